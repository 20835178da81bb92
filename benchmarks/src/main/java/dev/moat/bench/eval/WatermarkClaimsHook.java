package dev.moat.bench.eval;

import java.nio.file.Path;

/** The one call {@link EvalMain} makes into the watermark claims experiment (kept apart for easy merges). */
final class WatermarkClaimsHook {

    private WatermarkClaimsHook() {}

    static void run(EvalSettings settings, Path out, String command) throws Exception {
        System.out.println();
        System.out.println(
                "watermark claims (issue 11): " + WatermarkClaims.cases().size() + " runs");
        WatermarkClaims.Results r =
                WatermarkClaims.runAndWrite(settings.seed(), settings.threads(), out, command, line -> {
                    synchronized (System.out) {
                        System.out.println("  " + line);
                    }
                });
        System.out.println(WatermarkClaims.goals(r));
        System.out.printf("wrote %s (%.0f s)%n", out.resolve("watermark-claims.md"), r.seconds());
    }
}
