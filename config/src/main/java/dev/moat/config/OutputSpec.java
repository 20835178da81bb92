package dev.moat.config;

import java.nio.file.Path;
import java.util.List;

/**
 * One output transform as configured: a single-key map in YAML, e.g. {@code - top_k: 3}.
 * The policies module turns each into a transform.
 */
public sealed interface OutputSpec {

    /** {@code top_k: K}: keep the K largest probabilities, zero the rest, renormalise. */
    record TopK(int k) implements OutputSpec {}

    /** {@code round: D}: round every probability to D decimals. */
    record Round(int decimals) implements OutputSpec {}

    /** {@code label_only: true}: one-hot on the top-1 class. */
    record LabelOnly() implements OutputSpec {}

    /**
     * {@code noise: {kind: gaussian, scale: 0.05}} or {@code noise: {kind: laplace, epsilon: 1.0, sensitivity: 1.0}}.
     *
     * @param scale       the noise scale (Gaussian standard deviation, Laplace b); for Laplace written with
     *                    {@code epsilon} only, the loader fills in {@code sensitivity / epsilon}
     * @param epsilon     the privacy budget as written, or 0 when not given
     * @param sensitivity default 1.0
     * @param keepTop1    restore the original top-1 class after adding noise (default true)
     */
    record Noise(String kind, double scale, double epsilon, double sensitivity, boolean keepTop1)
            implements OutputSpec {}

    /** {@code reverse_sigmoid: {beta: 1.0, gamma: 0.2}} (top-1 always restored). */
    record ReverseSigmoid(double beta, double gamma) implements OutputSpec {}

    /** {@code strip: ["/explanations"]}: JSON pointers removed from every answer. */
    record Strip(List<String> pointers) implements OutputSpec {
        public Strip {
            pointers = List.copyOf(pointers);
        }
    }

    /**
     * {@code watermark: {rate: 0.005, secret: "...", ledger: /path, attribution: key,
     * ledger_max_size: 256MB, ledger_max_files: 20}} (DAWN, with the wrong label keyed by who asked).
     *
     * @param rate           the share of answers watermarked, in (0, 0.5] (default 0.005)
     * @param secret         at least 16 characters; never logged or echoed
     * @param ledger         where watermarked queries are recorded for {@code moat watermark verify}
     *                       (resolved against the config file's directory), or {@code null} for no ledger
     * @param attribution    what the watermark label is keyed by: {@code key} (default), {@code tenant}
     *                       or {@code none} (one label for everyone, as in DAWN)
     * @param ledgerMaxBytes the active ledger file rotates when it would grow past this
     * @param ledgerMaxFiles rotated files kept besides the active one; the oldest is deleted beyond it
     */
    record Watermark(
            double rate, String secret, Path ledger, String attribution, long ledgerMaxBytes, int ledgerMaxFiles)
            implements OutputSpec {

        public static final String BY_KEY = "key";
        public static final String BY_TENANT = "tenant";
        public static final String BY_NONE = "none";
        public static final long DEFAULT_LEDGER_MAX_BYTES = 256L << 20;
        public static final int DEFAULT_LEDGER_MAX_FILES = 20;

        /** Keyed by API key, default rotation. */
        public Watermark(double rate, String secret, Path ledger) {
            this(rate, secret, ledger, BY_KEY, DEFAULT_LEDGER_MAX_BYTES, DEFAULT_LEDGER_MAX_FILES);
        }
    }
}
