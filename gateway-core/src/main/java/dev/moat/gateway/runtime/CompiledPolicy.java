package dev.moat.gateway.runtime;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.gateway.protocol.OpenAiGuard;
import dev.moat.policies.runtime.PolicyRuntime;

/**
 * A policy compiled once per config load: its transforms and ladder, its detector profile, and the
 * LLM guard when it has {@code llm} rules.
 */
public record CompiledPolicy(PolicyRuntime runtime, DetectorProfile profile, OpenAiGuard llmGuard) {

    public boolean detects() {
        return !profile.isEmpty();
    }
}
