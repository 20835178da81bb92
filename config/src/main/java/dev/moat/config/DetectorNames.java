package dev.moat.config;

import java.util.Set;

/** The detector names a policy may list. */
public final class DetectorNames {
    public static final Set<String> ALL =
            Set.of("prada", "volume", "boundary", "ood", "coverage", "tenant", "cross_key");

    private DetectorNames() {}
}
