package dev.moat.config;

import java.nio.file.Path;

/**
 * Where a single instance keeps what must survive a restart (YAML section {@code state}).
 *
 * @param file the local state file (blocks, unblock marks, shared risk, revocations, runtime keys),
 *             written atomically; {@code null} keeps that state in memory only. Ignored for blocks
 *             and risk when {@code distributed.redis} is set (Redis holds them then).
 */
public record StateConfig(Path file) {

    public static final StateConfig NONE = new StateConfig(null);
}
