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

    /** The one state (most keys have one profile), or a KeyState[] most recently fed first; null when empty. */
    private Object states;

    private int count;
    /** The risk last published for the key (or tenant). */
    double risk;

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
        for (int i = 0; i < count; i++) {
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
            count = 1;
            return;
        }
        if (states instanceof KeyState only) {
            states = new KeyState[] {only};
        }
        KeyState[] states = (KeyState[]) this.states;
        if (count == states.length && count < MAX_PROFILES) {
            this.states = states = Arrays.copyOf(states, Math.min(MAX_PROFILES, count * 2));
        }
        int n = Math.min(count, states.length - 1);
        System.arraycopy(states, 0, states, 1, n);
        states[0] = s;
        count = n + 1;
    }

    int size() {
        return count;
    }

    KeyState get(int i) {
        return states instanceof KeyState[] a ? a[i] : (KeyState) states;
    }

    /** Queries over every profile. */
    long queries() {
        long q = 0;
        for (int i = 0; i < count; i++) {
            q += get(i).queries;
        }
        return q;
    }
}
