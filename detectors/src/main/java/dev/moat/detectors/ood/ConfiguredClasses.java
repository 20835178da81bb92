package dev.moat.detectors.ood;

import static dev.moat.detectors.ood.OodDetector.BINS;

import dev.moat.detectors.internal.Rows;
import java.util.Map;

/**
 * A calibration's per-class and per-class-pair references for {@link OodDetector}'s confidence test
 * ({@code ood.class_cdf.C}, {@code ood.pair_cdf.A.B}: see {@link dev.moat.detectors.Calibration}), in
 * place of the peers' ({@link ClassReferences}). Built by the detector's constructor when its settings
 * carry a pooled reference and per-class ones; the detector asks {@link #code} for each answer's code
 * (the window holds it beside the answer's bin), {@link #reference} for a code's reference when it
 * builds a key's class mixture, and {@link #envelope} for the classes without one.
 */
final class ConfiguredClasses {

    /**
     * The reference of each configured code (classes' first, then class pairs'). The window holds
     * these codes instead of {@link ClassReferences#code}'s.
     */
    private final double[][] configuredClasses;

    /** The configured code of each top-1 class index ({@link ClassReferences#UNTRACKED}: none). */
    private final int[] configuredCodeOfClass;

    /** Per top-1 class index, the top-2 classes with a configured pair reference, sorted (null: none). */
    private final int[][] configuredPairSeconds;

    /** The configured codes of {@link #configuredPairSeconds}' pairs. */
    private final int[][] configuredPairCodes;

    /** The pointwise maximum of the configured pooled and per-class references. */
    private final double[] configuredEnvelope = new double[BINS];

    ConfiguredClasses(OodSettings settings) {
        // codes 0..254: the classes' references first (by class index), then the class pairs' (by pair)
        java.util.List<double[]> refs = new java.util.ArrayList<>();
        int max = 0;
        for (int c : settings.classCdfs().keySet()) {
            max = Math.max(max, c);
        }
        for (long pair : settings.pairCdfs().keySet()) {
            max = Math.max(max, dev.moat.detectors.Calibration.pairTop1(pair));
        }
        configuredCodeOfClass = new int[max + 1];
        java.util.Arrays.fill(configuredCodeOfClass, ClassReferences.UNTRACKED);
        System.arraycopy(settings.referenceCdf(), 0, configuredEnvelope, 0, BINS);
        for (Map.Entry<Integer, double[]> e : new java.util.TreeMap<>(settings.classCdfs()).entrySet()) {
            if (refs.size() == ClassReferences.MAX_CLASSES) {
                break;
            }
            configuredCodeOfClass[e.getKey()] = refs.size();
            refs.add(e.getValue().clone());
            for (int i = 0; i < BINS; i++) {
                // classes without a reference of their own: the least confident of the pooled and the classes'
                // (not the pairs': a pair is the classes' confusions, less confident than any class's answers)
                configuredEnvelope[i] = Math.max(configuredEnvelope[i], e.getValue()[i]);
            }
        }
        configuredPairSeconds = new int[max + 1][];
        configuredPairCodes = new int[max + 1][];
        for (Map.Entry<Long, double[]> e : new java.util.TreeMap<>(settings.pairCdfs()).entrySet()) {
            if (refs.size() == ClassReferences.MAX_CLASSES) {
                break;
            }
            int a = dev.moat.detectors.Calibration.pairTop1(e.getKey());
            int[] seconds = configuredPairSeconds[a];
            int n = seconds == null ? 0 : seconds.length;
            // sorted by the TreeMap's order: top-2 classes ascend within a top-1 class
            configuredPairSeconds[a] = seconds = java.util.Arrays.copyOf(seconds == null ? new int[0] : seconds, n + 1);
            seconds[n] = dev.moat.detectors.Calibration.pairTop2(e.getKey());
            int[] codes = java.util.Arrays.copyOf(
                    configuredPairCodes[a] == null ? new int[0] : configuredPairCodes[a], n + 1);
            codes[n] = refs.size();
            configuredPairCodes[a] = codes;
            // the less confident of the pair's and its top-1 class's: a pair's reference rests on fewer answers,
            // and its noise must not make an honest key's answers of the class look worse than the class's own
            double[] ref = e.getValue().clone();
            int classCode = configuredCodeOfClass[a];
            if (classCode != ClassReferences.UNTRACKED) {
                for (int i = 0; i < BINS; i++) {
                    ref[i] = Math.max(ref[i], refs.get(classCode)[i]);
                }
            }
            refs.add(ref);
        }
        configuredClasses = refs.toArray(new double[0][]);
    }

    /**
     * The configured code of an answer of top-1 class {@code cls}: its (top-1, top-2) class pair's when
     * the calibration has a reference for the pair, else its top-1 class's, else {@link
     * ClassReferences#UNTRACKED}.
     */
    int code(int cls, double[] prediction) {
        if (cls >= configuredCodeOfClass.length) {
            return ClassReferences.UNTRACKED;
        }
        int[] seconds = configuredPairSeconds[cls];
        if (seconds != null && prediction.length >= 3) {
            int i = java.util.Arrays.binarySearch(seconds, Rows.runnerUp(prediction));
            if (i >= 0) {
                return configuredPairCodes[cls][i];
            }
        }
        return configuredCodeOfClass[cls];
    }

    /** Configured code {@code code}'s reference, or null when there is none. */
    double[] reference(int code) {
        return code < configuredClasses.length ? configuredClasses[code] : null;
    }

    /** The pointwise maximum of the configured pooled and per-class references: for classes without one. */
    double[] envelope() {
        return configuredEnvelope;
    }
}
