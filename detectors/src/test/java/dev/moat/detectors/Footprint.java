package dev.moat.detectors;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.IdentityHashMap;

/** A rough deep size (array elements counted) of a detector state, to check memory stays bounded. */
final class Footprint {

    private Footprint() {}

    static long of(Object root) {
        return walk(root, new IdentityHashMap<>());
    }

    private static long walk(Object o, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return 0;
        }
        Class<?> c = o.getClass();
        if (c.isArray()) {
            int n = Array.getLength(o);
            long size = n;
            if (!c.getComponentType().isPrimitive()) {
                for (int i = 0; i < n; i++) {
                    size += walk(Array.get(o, i), seen);
                }
            }
            return size;
        }
        if (c.getName().startsWith("java.")) {
            return 1;
        }
        long size = 1;
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                    continue;
                }
                f.setAccessible(true);
                try {
                    size += walk(f.get(o), seen);
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return size;
    }
}
