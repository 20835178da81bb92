package dev.moat.detectors.engine;

import java.util.Arrays;

/**
 * Everything the engine keeps for one key (or tenant): one {@link KeyState} per detector profile
 * the key has been scored under. A key that calls routes of two policies keeps the evidence of
 * both; a config reload that rebuilds a policy with the same detector config finds the same
 * (equal) profile and so the same state. At most {@value #MAX_PROFILES} profiles per key, the least
 * recently fed replaced first (a key is rarely scored under more than two or three).
 */
final class KeyEntry {

    static final int MAX_PROFILES = 8;

    /** The key's (or tenant's) id. */
    final String key;

    /** Neighbours in its {@link KeyTable}'s access order (the worker's only). */
    KeyEntry prev;

    KeyEntry next;

    /** When the worker last fed it, on the engine's clock (read by readers for idle expiry). */
    private long accessedAt;

    private static final java.lang.invoke.VarHandle ACCESSED_AT;

    KeyEntry(String key) {
        this.key = key;
    }

    long accessedAt() {
        return (long) ACCESSED_AT.getOpaque(this);
    }

    void accessedAt(long millis) {
        ACCESSED_AT.setOpaque(this, millis);
    }

    /**
     * The one state (most keys have one profile), or a KeyState[] most recently fed first (the
     * states first, then nulls); null when empty.
     */
    private Object states;

    /**
     * The verdict published for the key (readers read it without locks; its worker writes it), or
     * null before the first: kept here, not in a map of verdicts apart (a map node a key less).
     * Tenants' verdicts stay in the publisher's map.
     */
    volatile dev.moat.detectors.Verdict verdict;

    static final java.lang.invoke.VarHandle VERDICT;

    static {
        try {
            var lookup = java.lang.invoke.MethodHandles.lookup();
            VERDICT = lookup.findVarHandle(KeyEntry.class, "verdict", dev.moat.detectors.Verdict.class);
            ACCESSED_AT = lookup.findVarHandle(KeyEntry.class, "accessedAt", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /** A key of a tenant (or reset by an admin): what it inherits of its tenant's risk; null for the others. */
    private TenantLink tenant;

    /** What a key keeps of its tenant's risk (an object apart: most keys have no tenant). */
    static final class TenantLink {
        /** Tenant risk not inherited after an admin reset (NaN: take it at the first publish); see Publisher. */
        double floor;

        double lastRisk = -1;
        dev.moat.detectors.DetectorScore score;
    }

    /** The key's tenant link, made on first use. */
    TenantLink tenant() {
        if (tenant == null) {
            tenant = new TenantLink();
        }
        return tenant;
    }

    /** The tenant's entry in the key's published scores, or null. */
    dev.moat.detectors.DetectorScore tenantScore() {
        return tenant == null ? null : tenant.score;
    }

    /** The state kept for {@code profile} (equal, not identical), or null. Moves it to the front. */
    KeyState find(DetectorProfile profile) {
        if (!(states instanceof KeyState[])) {
            KeyState s = (KeyState) states;
            return s != null && (s.profile == profile || s.profile.equals(profile)) ? s : null;
        }
        KeyState[] states = (KeyState[]) this.states;
        for (int i = 0; i < states.length && states[i] != null; i++) {
            KeyState s = states[i];
            if (s.profile == profile || s.profile.equals(profile)) {
                if (i > 0) {
                    System.arraycopy(states, 0, states, 1, i);
                    states[0] = s;
                }
                return s;
            }
        }
        return null;
    }

    /** Adds a state at the front, replacing the least recently fed one when full. */
    void add(KeyState s) {
        if (states == null) {
            states = s;
            return;
        }
        if (states instanceof KeyState only) {
            states = new KeyState[] {only, null};
        }
        KeyState[] states = (KeyState[]) this.states;
        int count = size();
        if (count == states.length && count < MAX_PROFILES) {
            this.states = states = Arrays.copyOf(states, Math.min(MAX_PROFILES, count * 2));
        }
        int n = Math.min(count, states.length - 1);
        System.arraycopy(states, 0, states, 1, n);
        states[0] = s;
    }

    int size() {
        if (!(states instanceof KeyState[] a)) {
            return states == null ? 0 : 1;
        }
        int n = 0;
        while (n < a.length && a[n] != null) {
            n++;
        }
        return n;
    }

    KeyState get(int i) {
        return states instanceof KeyState[] a ? a[i] : (KeyState) states;
    }

    /** Queries over every profile. */
    long queries() {
        long q = 0;
        for (int i = 0, count = size(); i < count; i++) {
            q += get(i).queries;
        }
        return q;
    }
}
