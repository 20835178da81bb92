package dev.moat.policies.watermark;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The ledger on disk: the active file at the configured path ({@code watermarks.jsonl}), the
 * rotated segments next to it ({@code watermarks.jsonl.000001}, {@code .000002}, ... oldest first)
 * and, for each, a per-key offset index ({@code <file>.idx}, {@link LedgerIndex}). Reading one key
 * seeks to its lines through the indexes; a segment whose index is missing or stale is scanned.
 */
public final class LedgerFiles {

    private LedgerFiles() {}

    /** The rotated segments of the ledger at {@code path}, oldest first (the active file not included). */
    public static List<Path> rotated(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        Pattern p = Pattern.compile(Pattern.quote(path.getFileName().toString()) + "\\.(\\d{6,})");
        List<Path> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(f -> {
                if (p.matcher(f.getFileName().toString()).matches()) {
                    out.add(f);
                }
            });
        }
        out.sort(Comparator.comparingLong(LedgerFiles::sequence));
        return out;
    }

    /** Every file of the ledger, oldest first: rotated segments, then the active file if it exists. */
    public static List<Path> segments(Path path) throws IOException {
        List<Path> out = new ArrayList<>(rotated(path));
        if (Files.exists(path)) {
            out.add(path);
        }
        return out;
    }

    static long sequence(Path segment) {
        Matcher m =
                Pattern.compile("\\.(\\d{6,})$").matcher(segment.getFileName().toString());
        return m.find() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
    }

    /** Every entry of every segment, oldest first. */
    public static List<LedgerEntry> readAll(Path path) throws IOException {
        List<LedgerEntry> out = new ArrayList<>();
        for (Path segment : segments(path)) {
            readSegment(segment, out);
        }
        return out;
    }

    /** The entries of one key ({@code null}: entries without a key), oldest first, through the indexes. */
    public static List<LedgerEntry> readKey(Path path, String key) throws IOException {
        List<LedgerEntry> out = new ArrayList<>();
        for (Path segment : segments(path)) {
            LedgerIndex idx = index(segment);
            long[] offsets = idx.offsets(key);
            if (offsets.length == 0) {
                continue;
            }
            try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
                LineReader lines = new LineReader(ch);
                for (long offset : offsets) {
                    String line = lines.lineAt(offset);
                    try {
                        out.add(LedgerJson.parse(line));
                    } catch (IllegalArgumentException e) {
                        throw new IOException(segment + " at byte " + offset + ": " + e.getMessage(), e);
                    }
                }
            }
        }
        return out;
    }

    /** Writes {@code entries} as a ledger file (the same line format), e.g. one key's extract. */
    public static void write(Path file, List<LedgerEntry> entries) throws IOException {
        try (var out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (LedgerEntry e : entries) {
                try (var g = LedgerJson.generator(out)) {
                    LedgerJson.write(g, e);
                }
                out.write('\n');
            }
        }
    }

    /** How many entries each key has, over every segment (through the indexes). */
    public static Map<String, Integer> counts(Path path) throws IOException {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Path segment : segments(path)) {
            LedgerIndex idx = index(segment);
            for (String k : idx.keys()) {
                out.merge(k, idx.count(k), Integer::sum);
            }
        }
        return out;
    }

    /** The segment's index: its valid {@code .idx}, else rebuilt by scanning the segment. */
    static LedgerIndex index(Path segment) throws IOException {
        LedgerIndex idx = LedgerIndex.readValid(segment);
        return idx != null ? idx : scan(segment);
    }

    /** Builds a segment's index by reading every line; a torn last line (no newline) is left out. */
    static LedgerIndex scan(Path segment) throws IOException {
        LedgerIndex idx = new LedgerIndex();
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(segment), 1 << 16)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream(256);
            long offset = 0;
            long start = 0;
            int b;
            while ((b = in.read()) >= 0) {
                offset++;
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                String text = line.toString(StandardCharsets.UTF_8);
                if (!text.isBlank()) {
                    try {
                        idx.add(LedgerJson.parse(text).key(), start, (int) (offset - start));
                    } catch (IllegalArgumentException e) {
                        throw new IOException(segment + " at byte " + start + ": " + e.getMessage(), e);
                    }
                }
                line.reset();
                start = offset;
            }
        }
        return idx;
    }

    private static void readSegment(Path segment, List<LedgerEntry> out) throws IOException {
        try (var lines = Files.newBufferedReader(segment, StandardCharsets.UTF_8)) {
            forEach(segment, lines, out::add);
        }
    }

    /**
     * Gives {@code each} every entry of one ledger file as {@code lines} reads it, holding one line
     * at a time (a whole ledger need not fit in memory); blank lines are skipped, a malformed line
     * fails with {@code file} and its line number.
     *
     * @param file  the file {@code lines} reads, for the message of a malformed line
     * @param lines the file's text; the caller opens it (and may bound its lines) and closes it
     */
    public static void forEach(Path file, BufferedReader lines, Consumer<LedgerEntry> each) throws IOException {
        int lineNo = 0;
        for (String line; (line = lines.readLine()) != null; ) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            LedgerEntry entry;
            try {
                entry = LedgerJson.parse(line);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ":" + lineNo + ": " + e.getMessage(), e);
            }
            each.accept(entry);
        }
    }

    /** Reads lines at increasing offsets through one buffer. */
    private static final class LineReader {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        private long bufStart = -1;
        private int bufLen;

        LineReader(FileChannel ch) {
            this.ch = ch;
        }

        String lineAt(long offset) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            long pos = offset;
            while (true) {
                if (bufStart < 0 || pos < bufStart || pos >= bufStart + bufLen) {
                    buf.clear();
                    bufLen = Math.max(0, ch.read(buf, pos));
                    bufStart = pos;
                    if (bufLen == 0) {
                        return out.toString(StandardCharsets.UTF_8);
                    }
                }
                int i = (int) (pos - bufStart);
                byte[] a = buf.array();
                int j = i;
                while (j < bufLen && a[j] != '\n') {
                    j++;
                }
                out.write(a, i, j - i);
                pos += j - i;
                if (j < bufLen) {
                    return out.toString(StandardCharsets.UTF_8);
                }
            }
        }
    }
}
