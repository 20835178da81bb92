package dev.moat.config.internal;

import java.io.StringReader;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.comments.CommentLine;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Turns YAML text into a SnakeYAML node tree, which keeps the line and column of every value.
 * Composing builds no Java objects from tags, so a config cannot instantiate classes.
 *
 * <p>Aliases share one node, so a tree is a graph that the readers walk as if expanded: a value that
 * holds an alias to itself would recurse forever, and a few dozen aliases of aliases (a "billion
 * laughs") expand to billions of values. Both are refused here, at their line, before any reader
 * walks the graph.
 *
 * <p>Two more bounds keep a file under the size limit from costing minutes or the heap: SnakeYAML
 * copies a value's characters again for each 1,024 it reads past the value's start, so a value (or a
 * comment, or a line of a block scalar) of megabytes takes minutes ({@link #MAX_LOOKAHEAD}); and
 * each value costs some 120 bytes as a node, so 16 MiB of {@code [a,a,a,...]} is eight million nodes
 * and more than a 1 GiB heap ({@link #MAX_VALUES}).
 */
final class YamlDocuments {
    static final int MAX_ALIASES = 50;
    static final int MAX_DEPTH = 50;
    /** Characters SnakeYAML may read ahead from one position: the longest value, comment or line. */
    static final int MAX_LOOKAHEAD = 1 << 16;
    /** Lists, mappings and scalars in one file: a keys file of 16 MiB holds some 1.2 million. */
    static final int MAX_VALUES = 2_000_000;

    private YamlDocuments() {}

    /** The single document's root node, or {@code null} after reporting why there is none. */
    static Node compose(String text, Source source) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setNestingDepthLimit(MAX_DEPTH);
        // YamlFiles has bounded the size already; text passed in directly is the caller's
        options.setCodePointLimit(Integer.MAX_VALUE);
        BoundedLookahead in = new BoundedLookahead(text);
        StreamReader reader = new StreamReader(in);
        in.reader = reader;
        Node root;
        try {
            root = new CountingComposer(new ParserImpl(reader, options), reader, options).getSingleNode();
        } catch (MarkedYAMLException e) {
            // Only the problem text: the exception's full message quotes the offending line, which may hold a secret.
            String problem = e.getProblem() != null ? e.getProblem() : "invalid YAML";
            String context = e.getContext() != null ? e.getContext() + ": " : "";
            source.error(
                    e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark(),
                    "",
                    "YAML syntax: " + context + problem);
            return null;
        } catch (ReaderException e) {
            int[] at = lineColumn(text, e.getPosition());
            source.error(
                    new Mark("", e.getPosition(), at[0], at[1], new int[0], 0),
                    "",
                    String.format(
                            "YAML: the character U+%04X cannot appear in a YAML file (expected printable text;"
                                    + " write a control character escaped in double quotes, e.g. \"\\t\")",
                            e.getCodePoint()));
            return null;
        } catch (LimitException e) {
            source.error(e.at, "", "YAML: " + e.getMessage());
            return null;
        } catch (YAMLException e) {
            // SnakeYAML's limits carry no position: the reader's is where composing stopped
            source.error(reader.getMark(), "", "YAML: " + limitMessage(e));
            return null;
        }
        if (root == null) {
            source.error(null, "", "the file is empty (expected a YAML document)");
            return null;
        }
        return new AliasExpansion(source).fits(root) ? root : null;
    }

    /** What a SnakeYAML limit says, in this loader's words; its messages hold no content of the file. */
    private static String limitMessage(YAMLException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (m.startsWith("Number of aliases")) {
            return "more than " + MAX_ALIASES + " aliases of lists or mappings (expected at most " + MAX_ALIASES
                    + "; write the values out)";
        }
        if (m.startsWith("Nesting Depth")) {
            return "lists and mappings nested deeper than " + MAX_DEPTH + " levels (expected at most " + MAX_DEPTH
                    + ")";
        }
        return e.getClass().getSimpleName() + " (expected a valid YAML document)";
    }

    /** 0-based line and column of the {@code position}-th code point. */
    private static int[] lineColumn(String text, int position) {
        int line = 0;
        int column = 0;
        int i = 0;
        for (int cp = 0; cp < position && i < text.length(); cp++) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (c == '\n') {
                line++;
                column = 0;
            } else {
                column++;
            }
        }
        return new int[] {line, column};
    }

    /** One of this loader's own limits, reached at {@code at}; the message holds no content of the file. */
    private static final class LimitException extends YAMLException {
        final transient Mark at;

        LimitException(Mark at, String message) {
            super(message);
            this.at = at;
        }
    }

    /**
     * The text, handed to SnakeYAML's reader 1,024 characters at a time as it asks; refused when the
     * reader asks for more while holding {@link #MAX_LOOKAHEAD} characters it has not moved past.
     */
    private static final class BoundedLookahead extends StringReader {
        StreamReader reader;
        /** Code points handed out: a character that is not a low surrogate starts one. */
        private long delivered;

        BoundedLookahead(String text) {
            super(text);
        }

        @Override
        public int read(char[] buffer, int offset, int length) throws java.io.IOException {
            if (delivered - reader.getIndex() > MAX_LOOKAHEAD) {
                throw new LimitException(
                        reader.getMark(),
                        "a value, comment or line longer than " + MAX_LOOKAHEAD + " characters (expected at most "
                                + MAX_LOOKAHEAD + ")");
            }
            int n = super.read(buffer, offset, length);
            for (int i = offset; i < offset + n; i++) {
                if (!Character.isLowSurrogate(buffer[i])) {
                    delivered++;
                }
            }
            return n;
        }
    }

    /** Counts the nodes it composes and stops past {@link #MAX_VALUES}. */
    private static final class CountingComposer extends Composer {
        private final StreamReader reader;
        private int values;

        CountingComposer(ParserImpl parser, StreamReader reader, LoaderOptions options) {
            super(parser, new Resolver(), options);
            this.reader = reader;
        }

        private void count() {
            if (++values > MAX_VALUES) {
                throw new LimitException(
                        reader.getMark(),
                        "more than " + MAX_VALUES + " values (expected at most " + MAX_VALUES
                                + " lists, mappings and scalars in one file)");
            }
        }

        @Override
        protected Node composeScalarNode(String anchor, List<CommentLine> blockComments) {
            count();
            return super.composeScalarNode(anchor, blockComments);
        }

        @Override
        protected Node composeSequenceNode(String anchor) {
            count();
            return super.composeSequenceNode(anchor);
        }

        @Override
        protected Node composeMappingNode(String anchor) {
            count();
            return super.composeMappingNode(anchor);
        }
    }
}
