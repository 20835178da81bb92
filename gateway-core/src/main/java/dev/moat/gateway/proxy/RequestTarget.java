package dev.moat.gateway.proxy;

import java.util.ArrayList;
import java.util.List;

/**
 * Normalises a request target once, before routing, so that the gateway routes and forwards the
 * same path and no upstream can read a path the gateway did not route (RFC 3986 section 6):
 * <ol>
 *   <li>the form: origin-form ({@code /p?q}) as is; absolute-form ({@code http://h/p?q}) reduced to
 *       its path and query; anything else (asterisk-form, authority-form) is refused;</li>
 *   <li>every percent-encoded octet in the path is decoded. It must decode to a character a path
 *       may hold literally (unreserved, sub-delims except {@code ;}, {@code :}, {@code @});
 *       anything else is refused: {@code %2F} and {@code %5C} (a second path separator),
 *       {@code %25} (double encoding), {@code %00} and controls, octets above 0x7F (overlong
 *       UTF-8 and every other non-ASCII byte). The path that results holds no {@code %} at all,
 *       so there is nothing left for an upstream to decode;</li>
 *   <li>raw characters outside {@code pchar} and {@code /} are refused, and so are {@code \}
 *       (some servers read it as {@code /}) and {@code ;} (servlet containers drop
 *       {@code ;params} from a segment, which would route {@code /a;x/b} as {@code /a/b});</li>
 *   <li>runs of {@code /} collapse to one (a server that merges slashes must not see a path
 *       that the gateway routed differently), then dot segments are removed (RFC 3986 section
 *       5.2.4; {@code ..} above the root stays at the root);</li>
 *   <li>the query is kept as sent, but must hold only visible ASCII, well-formed escapes and no
 *       {@code %00}; a fragment is refused (it has no place in a request target).</li>
 * </ol>
 */
public final class RequestTarget {

    /** The normalised target ({@code path[?query]}) and its path, or why the target was refused. */
    public record Result(String target, String path, String problem) {
        public boolean ok() {
            return problem == null;
        }

        static Result refuse(String why) {
            return new Result(null, null, why);
        }
    }

    private RequestTarget() {}

    public static Result normalise(String raw) {
        Result same = alreadyNormal(raw);
        return same != null ? same : normaliseFully(raw);
    }

    /**
     * The common case without copying: an origin-form target whose path holds only characters a
     * path may hold literally, no escape, no empty segment ({@code //}) and no dot segment is its
     * own normal form, so {@link #normaliseFully} would return it unchanged ({@code
     * RequestTargetTest} compares the two on generated targets). Null when the target needs the
     * full pass (or is refused by it).
     */
    static Result alreadyNormal(String raw) {
        if (raw == null || raw.isEmpty() || raw.charAt(0) != '/') {
            return null;
        }
        int q = raw.indexOf('?');
        int end = q < 0 ? raw.length() : q;
        int segment = 1;
        for (int i = 1; i <= end; i++) {
            if (i == end || raw.charAt(i) == '/') {
                int len = i - segment;
                boolean lastAndEmpty = i == end && len == 0; // a trailing '/' (or the root) stays
                if ((len == 0 && !lastAndEmpty)
                        || (len == 1 && raw.charAt(segment) == '.')
                        || (len == 2 && raw.charAt(segment) == '.' && raw.charAt(segment + 1) == '.')) {
                    return null;
                }
                segment = i + 1;
            } else if (!literalInPath(raw.charAt(i))) {
                return null;
            }
        }
        if (q < 0) {
            return new Result(raw, raw, null);
        }
        if (checkQuery(raw, q + 1) != null) {
            return null;
        }
        return new Result(raw, raw.substring(0, q), null);
    }

    static Result normaliseFully(String raw) {
        if (raw == null || raw.isEmpty()) {
            return Result.refuse("the request target is empty");
        }
        int start;
        if (raw.charAt(0) == '/') {
            start = 0;
        } else if (raw.regionMatches(true, 0, "http://", 0, 7) || raw.regionMatches(true, 0, "https://", 0, 8)) {
            int authority = raw.indexOf("://") + 3;
            int end = authority;
            while (end < raw.length() && raw.charAt(end) != '/' && raw.charAt(end) != '?') {
                end++;
            }
            if (end == raw.length() || raw.charAt(end) == '?') {
                return normaliseFully("/" + raw.substring(end));
            }
            start = end;
        } else {
            return Result.refuse("the request target must be a path ('/...') or an absolute http(s) URI");
        }
        int q = raw.indexOf('?', start);
        String rawPath = q < 0 ? raw.substring(start) : raw.substring(start, q);
        String query = q < 0 ? null : raw.substring(q + 1);
        StringBuilder path = new StringBuilder(rawPath.length());
        String problem = decodePath(rawPath, path);
        if (problem != null) {
            return Result.refuse(problem);
        }
        if (query != null) {
            problem = checkQuery(query, 0);
            if (problem != null) {
                return Result.refuse(problem);
            }
        }
        String normal = removeDotSegments(path);
        return new Result(query == null ? normal : normal + "?" + query, normal, null);
    }

    private static String decodePath(String raw, StringBuilder out) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int v = escape(raw, i);
                if (v < 0) {
                    return "the path holds an invalid percent-escape";
                }
                if (!literalInPath(v) || v == '/') {
                    return v == '/' || v == '\\'
                            ? "the path holds an encoded path separator (%2F or %5C)"
                            : "the path holds a percent-encoded character that is refused: %"
                                    + raw.substring(i + 1, i + 3);
                }
                out.append((char) v);
                i += 2;
            } else if (c == '/' || literalInPath(c)) {
                out.append(c);
            } else if (c == '\\') {
                return "the path holds a backslash";
            } else if (c == ';') {
                return "the path holds ';' (path parameters are refused)";
            } else if (c == '#') {
                return "the request target holds a fragment";
            } else {
                return "the path holds a character that must not appear in it";
            }
        }
        return null;
    }

    private static String checkQuery(String query, int from) {
        for (int i = from; i < query.length(); i++) {
            char c = query.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '#') {
                return "the query holds a character that must not appear in it";
            }
            if (c == '%') {
                int v = escape(query, i);
                if (v < 0) {
                    return "the query holds an invalid percent-escape";
                }
                if (v == 0) {
                    return "the query holds %00";
                }
                i += 2;
            }
        }
        return null;
    }

    /** The octet of the escape at {@code s[i]} ('%'), or -1 when it is not two hex digits. */
    private static int escape(String s, int i) {
        if (i + 2 >= s.length()) {
            return -1;
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0 || s.charAt(i + 1) > 0x7f || s.charAt(i + 2) > 0x7f) {
            return -1;
        }
        return hi << 4 | lo;
    }

    /** pchar (RFC 3986 section 3.3) minus pct-encoded and ';': unreserved, sub-delims, ':', '@'. */
    private static boolean literalInPath(int c) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            return true;
        }
        return switch (c) {
            case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', '=', ':', '@' -> true;
            default -> false;
        };
    }

    /** Collapses '//' and removes '.' and '..' segments of an absolute path. */
    private static String removeDotSegments(CharSequence path) {
        List<String> segments = new ArrayList<>();
        boolean directory = false;
        int i = 1;
        int n = path.length();
        while (i <= n) {
            int slash = i;
            while (slash < n && path.charAt(slash) != '/') {
                slash++;
            }
            String seg = path.subSequence(i, slash).toString();
            boolean last = slash >= n;
            if (seg.equals(".")) {
                directory = true;
            } else if (seg.equals("..")) {
                if (!segments.isEmpty()) {
                    segments.remove(segments.size() - 1);
                }
                directory = true;
            } else if (seg.isEmpty()) {
                directory = last || directory; // "//" collapses; a trailing "/" stays
            } else {
                segments.add(seg);
                directory = false;
            }
            i = slash + 1;
        }
        StringBuilder out = new StringBuilder(n);
        for (String s : segments) {
            out.append('/').append(s);
        }
        if (out.length() == 0 || directory) {
            out.append('/');
        }
        return out.toString();
    }
}
