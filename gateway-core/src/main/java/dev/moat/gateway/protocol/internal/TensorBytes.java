package dev.moat.gateway.protocol.internal;

import dev.moat.gateway.http.MalformedBodyException;
import io.netty.buffer.ByteBuf;

/**
 * Tensor values sent as bytes (the Open Inference Protocol's binary tensor data extension, as
 * Triton reads it): each element little-endian, in row-major order, of one of the fixed-size
 * datatypes; {@code BYTES} (length-prefixed strings) is not a feature vector and is refused.
 *
 * <p>Why hand-written: Netty reads the integer and IEEE types little-endian already; only the two
 * 16-bit floats need a conversion, and Java 17 has neither ({@code Float.float16ToFloat} came in Java
 * 20, and bfloat16 is the high half of a float32). Both are exact: every FP16 and BF16 value is a
 * float32 value.
 */
public final class TensorBytes {

    private TensorBytes() {}

    /**
     * The size in bytes of one element of {@code datatype}, or -1 when the datatype is not a
     * fixed-size number ({@code BYTES}, or a name the protocol does not define).
     */
    public static int elementSize(String datatype) {
        return switch (datatype) {
            case "BOOL", "INT8", "UINT8" -> 1;
            case "INT16", "UINT16", "FP16", "BF16" -> 2;
            case "INT32", "UINT32", "FP32" -> 4;
            case "INT64", "UINT64", "FP64" -> 8;
            default -> -1;
        };
    }

    /**
     * {@code count} elements of {@code datatype} from {@code bytes} at {@code at} (absolute index,
     * the buffer's indices untouched), as doubles; the caller has checked that they fit.
     *
     * @throws MalformedBodyException for a datatype that is not a fixed-size number, or a value that
     *     is not finite (a NaN or infinite input is no feature a detector can place)
     */
    public static double[] decode(ByteBuf bytes, int at, String datatype, int count, String what)
            throws MalformedBodyException {
        double[] out = new double[count];
        switch (datatype) {
            case "BOOL" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bytes.getByte(at + i) != 0 ? 1 : 0;
                }
            }
            case "INT8" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bytes.getByte(at + i);
                }
            }
            case "UINT8" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bytes.getUnsignedByte(at + i);
                }
            }
            case "INT16" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bytes.getShortLE(at + 2 * i);
                }
            }
            case "UINT16" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bytes.getUnsignedShortLE(at + 2 * i);
                }
            }
            case "FP16" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = halfToFloat(bytes.getShortLE(at + 2 * i));
                }
            }
            case "BF16" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = Float.intBitsToFloat(bytes.getUnsignedShortLE(at + 2 * i) << 16);
                }
            }
            case "INT32" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bytes.getIntLE(at + 4 * i);
                }
            }
            case "UINT32" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bytes.getUnsignedIntLE(at + 4 * i);
                }
            }
            case "FP32" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bytes.getFloatLE(at + 4 * i);
                }
            }
            case "INT64" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bytes.getLongLE(at + 8 * i);
                }
            }
            case "UINT64" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = unsignedToDouble(bytes.getLongLE(at + 8 * i));
                }
            }
            case "FP64" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = bytes.getDoubleLE(at + 8 * i);
                }
            }
            default ->
                throw new MalformedBodyException(what + ".datatype: \"" + datatype
                        + "\" cannot be read as numbers on this route (expected BOOL, INT8-64, UINT8-64, FP16, BF16,"
                        + " FP32 or FP64)");
        }
        for (int i = 0; i < count; i++) {
            if (!Double.isFinite(out[i])) {
                throw new MalformedBodyException(what + ": element " + i + " is not a finite number");
            }
        }
        return out;
    }

    /** The IEEE 754 binary16 value with these bits, as a float (exact). */
    static float halfToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            // infinity, or NaN with its payload kept in the high mantissa bits
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa x 2^-24, exact in a float
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // normal: rebias the exponent from 15 to 127
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * The IEEE 754 binary16 value nearest {@code f} (ties to even), as bits: what a model server
     * answering FP16 would have sent. Beyond the largest finite half, infinity; a NaN stays a NaN.
     */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xFF;
        int mantissa = bits & 0x7FFFFF;
        if (exponent == 0xFF) {
            return (short) (sign | 0x7C00 | (mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0));
        }
        int e = exponent - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        int half;
        int rest;
        int halfway;
        if (e <= 0) {
            if (e < -10) {
                return (short) sign; // under half the smallest subnormal: zero
            }
            // a subnormal half: the mantissa with its leading 1, shifted down to 2^-24 units
            int m = mantissa | 0x800000;
            int shift = 14 - e;
            half = m >>> shift;
            rest = m & ((1 << shift) - 1);
            halfway = 1 << (shift - 1);
        } else {
            half = (e << 10) | (mantissa >>> 13);
            rest = mantissa & 0x1FFF;
            halfway = 0x1000;
        }
        if (rest > halfway || (rest == halfway && (half & 1) != 0)) {
            half++; // a carry into the exponent is right (up to infinity)
        }
        return (short) (sign | half);
    }

    /** The bfloat16 value nearest {@code f} (ties to even), as bits; a NaN stays a NaN. */
    public static short floatToBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** An unsigned 64-bit integer as the nearest double (round half to even, as a signed conversion). */
    static double unsignedToDouble(long v) {
        if (v >= 0) {
            return v;
        }
        // halve with the lost bit kept sticky, so the conversion's one rounding sees it, then double
        return (double) ((v >>> 1) | (v & 1)) * 2.0;
    }
}
