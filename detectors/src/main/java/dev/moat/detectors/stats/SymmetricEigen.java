package dev.moat.detectors.stats;

/**
 * Eigenvalues and eigenvectors of a small symmetric matrix by the cyclic Jacobi method (Jacobi 1846;
 * Golub and Van Loan, "Matrix Computations", 4th ed., algorithm 8.5.3): plane rotations that zero
 * each off-diagonal element in turn, sweep after sweep, until the off-diagonal mass is negligible.
 * For the 16 x 16 covariances {@code ood}'s input reference decomposes at a refit (a few sweeps,
 * about 10^4 multiply-adds each), accurate to rounding and free of allocation. Hand-written because
 * the detectors module has no runtime dependencies and this is all the linear algebra it needs;
 * the tests check it against Commons Math's {@code EigenDecomposition}.
 */
public final class SymmetricEigen {

    private static final int MAX_SWEEPS = 64;

    private SymmetricEigen() {}

    /**
     * Decomposes the symmetric {@code n x n} matrix {@code a} (row-major with row stride {@code
     * stride}; only its lower triangle is read, and it is overwritten) into {@code values} (n
     * eigenvalues, in no particular order) and {@code vectors} (row-major, stride {@code stride}:
     * column k is the unit eigenvector of {@code values[k]}).
     */
    public static void decompose(double[] a, int n, int stride, double[] values, double[] vectors) {
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                a[j * stride + i] = a[i * stride + j];
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                vectors[i * stride + j] = i == j ? 1 : 0;
            }
        }
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            double off = 0;
            double diag = 0;
            for (int i = 0; i < n; i++) {
                diag += a[i * stride + i] * a[i * stride + i];
                for (int j = 0; j < i; j++) {
                    off += a[i * stride + j] * a[i * stride + j];
                }
            }
            if (off <= 1e-30 * diag || off == 0) {
                break;
            }
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = a[p * stride + q];
                    if (apq == 0) {
                        continue;
                    }
                    // the rotation that zeroes a[p][q]: t = tan(theta), the smaller root
                    double theta = (a[q * stride + q] - a[p * stride + p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k * stride + p];
                        double akq = a[k * stride + q];
                        a[k * stride + p] = c * akp - s * akq;
                        a[k * stride + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p * stride + k];
                        double aqk = a[q * stride + k];
                        a[p * stride + k] = c * apk - s * aqk;
                        a[q * stride + k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = vectors[k * stride + p];
                        double vkq = vectors[k * stride + q];
                        vectors[k * stride + p] = c * vkp - s * vkq;
                        vectors[k * stride + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            values[i] = a[i * stride + i];
        }
    }
}
