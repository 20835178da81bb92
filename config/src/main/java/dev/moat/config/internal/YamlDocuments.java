package dev.moat.config.internal;

import org.yaml.snakeyaml.LoaderOptions;
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
 */
final class YamlDocuments {
    static final int MAX_ALIASES = 50;
    static final int MAX_DEPTH = 50;

    private YamlDocuments() {}

    /** The single document's root node, or {@code null} after reporting why there is none. */
    static Node compose(String text, Source source) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(MAX_ALIASES);
        options.setNestingDepthLimit(MAX_DEPTH);
        // YamlFiles has bounded the size already; text passed in directly is the caller's
        options.setCodePointLimit(Integer.MAX_VALUE);
        StreamReader reader = new StreamReader(text);
        Node root;
        try {
            root = new Composer(new ParserImpl(reader, options), new Resolver(), options).getSingleNode();
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
}
