package dev.moat.config.internal;

import java.io.StringReader;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Turns YAML text into a SnakeYAML node tree, which keeps the line and column of every value.
 * Composing builds no Java objects from tags, so a config cannot instantiate classes.
 */
final class YamlDocuments {
    private YamlDocuments() {}

    /** The single document's root node, or {@code null} after reporting a syntax error or an empty file. */
    static Node compose(String text, Source source) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(50);
        options.setNestingDepthLimit(50);
        try {
            Node root = new Yaml(options).compose(new StringReader(text));
            if (root == null) {
                source.error(null, "", "the file is empty (expected a YAML document)");
            }
            return root;
        } catch (MarkedYAMLException e) {
            // Only the problem text: the exception's full message quotes the offending line, which may hold a secret.
            String problem = e.getProblem() != null ? e.getProblem() : "invalid YAML";
            String context = e.getContext() != null ? e.getContext() + ": " : "";
            source.error(
                    e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark(),
                    "",
                    "YAML syntax: " + context + problem);
            return null;
        } catch (YAMLException e) {
            source.error(null, "", "YAML: " + e.getClass().getSimpleName() + " (expected a valid YAML document)");
            return null;
        }
    }
}
