package dev.moat.detectors;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.IdentityHashMap;

/**
 * A deep size estimate in bytes for a 64-bit JVM with compressed references (the default below
 * 32 GiB of heap): 12-byte object headers, 16-byte array headers, 4-byte references, 8-byte
 * alignment. Shared objects reachable from {@code exclude} (detector instances, profiles) are not counted.
 */
final class HeapBytes {

    private HeapBytes() {}

    static long of(Object root, Object... exclude) {
        IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
        for (Object o : exclude) {
            seen.put(o, Boolean.TRUE);
        }
        return walk(root, seen);
    }

    private static long align(long n) {
        return (n + 7) & ~7L;
    }

    private static long primitive(Class<?> t) {
        if (t == long.class || t == double.class) {
            return 8;
        }
        if (t == int.class || t == float.class) {
            return 4;
        }
        if (t == short.class || t == char.class) {
            return 2;
        }
        return 1;
    }

    private static long walk(Object o, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || o instanceof Class || o instanceof Enum || seen.put(o, Boolean.TRUE) != null) {
            return 0;
        }
        Class<?> c = o.getClass();
        if (c.isArray()) {
            int n = Array.getLength(o);
            Class<?> t = c.getComponentType();
            long size = align(16 + n * (t.isPrimitive() ? primitive(t) : 4));
            if (!t.isPrimitive()) {
                for (int i = 0; i < n; i++) {
                    size += walk(Array.get(o, i), seen);
                }
            }
            return size;
        }
        if (o instanceof String s) {
            return 24 + align(16 + s.length());
        }
        long size = 12;
        long children = 0;
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                if (f.getType().isPrimitive()) {
                    size += primitive(f.getType());
                    continue;
                }
                size += 4;
                if (k.getName().startsWith("java.") && !k.getName().startsWith("java.util.")) {
                    continue;
                }
                try {
                    f.setAccessible(true);
                    children += walk(f.get(o), seen);
                } catch (RuntimeException | IllegalAccessException e) {
                    // a JDK-internal field the module system hides: counted shallowly
                }
            }
        }
        return align(size) + children;
    }
}
