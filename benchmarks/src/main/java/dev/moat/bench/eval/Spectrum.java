package dev.moat.bench.eval;

import java.util.Arrays;

/**
 * Singular values of a small dense matrix, enough to read a numerical rank: the eigenvalues of
 * the Gram matrix A A^T by the cyclic Jacobi method (Golub and Van Loan, section 8.5), then their
 * square roots. Meant for a few dozen rows; accurate to about 1e-8 of the largest singular value.
 */
final class Spectrum {

    private Spectrum() {}

    /** Singular values of {@code a} (rows x cols), largest first; as many as rows. */
    static double[] singularValues(double[][] a) {
        int m = a.length;
        double[][] g = new double[m][m];
        for (int i = 0; i < m; i++) {
            for (int j = i; j < m; j++) {
                double s = 0;
                for (int k = 0; k < a[i].length; k++) {
                    s += a[i][k] * a[j][k];
                }
                g[i][j] = s;
                g[j][i] = s;
            }
        }
        double[] eig = symmetricEigenvalues(g);
        double[] sv = new double[m];
        for (int i = 0; i < m; i++) {
            sv[i] = Math.sqrt(Math.max(0, eig[i]));
        }
        Arrays.sort(sv);
        for (int i = 0; i < m / 2; i++) {
            double t = sv[i];
            sv[i] = sv[m - 1 - i];
            sv[m - 1 - i] = t;
        }
        return sv;
    }

    /** How many singular values exceed {@code relTol} times the largest. */
    static int rank(double[] singularValues, double relTol) {
        if (singularValues.length == 0 || singularValues[0] == 0) {
            return 0;
        }
        int r = 0;
        for (double s : singularValues) {
            if (s > relTol * singularValues[0]) {
                r++;
            }
        }
        return r;
    }

    /** Eigenvalues of a symmetric matrix (cyclic Jacobi rotations; the input is overwritten). */
    static double[] symmetricEigenvalues(double[][] s) {
        int n = s.length;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += s[p][q] * s[p][q];
                }
            }
            if (off < 1e-30) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (Math.abs(s[p][q]) < 1e-300) {
                        continue;
                    }
                    double theta = (s[q][q] - s[p][p]) / (2 * s[p][q]);
                    double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1);
                    double sn = t * c;
                    for (int k = 0; k < n; k++) {
                        double kp = s[k][p];
                        double kq = s[k][q];
                        s[k][p] = c * kp - sn * kq;
                        s[k][q] = sn * kp + c * kq;
                    }
                    for (int k = 0; k < n; k++) {
                        double pk = s[p][k];
                        double qk = s[q][k];
                        s[p][k] = c * pk - sn * qk;
                        s[q][k] = sn * pk + c * qk;
                    }
                }
            }
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = s[i][i];
        }
        return out;
    }
}
