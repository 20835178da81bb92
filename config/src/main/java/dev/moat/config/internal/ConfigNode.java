package dev.moat.config.internal;

import dev.moat.config.Values;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A YAML node on its way to a record: it knows its field path ({@code routes[2].upstream}) and its
 * position, reports problems there, and returns a default after reporting so that reading goes on
 * and every problem of a file is found in one pass. An absent node stands for a field not written
 * (or written as null); it reports at its parent's position.
 */
final class ConfigNode {
    private static final int SHOWN_MAX = 80;

    private final Source src;
    private final Node node;
    private final Node anchor;
    private final Node key;
    private final String path;
    private final boolean secret;
    private final boolean required;
    private final boolean quiet;

    private ConfigNode(
            Source src,
            Node node,
            Node anchor,
            Node key,
            String path,
            boolean secret,
            boolean required,
            boolean quiet) {
        this.src = src;
        this.node = node;
        this.anchor = anchor;
        this.key = key;
        this.path = path;
        this.secret = secret;
        this.required = required;
        this.quiet = quiet;
    }

    static ConfigNode root(Source src, Node node, String path) {
        return new ConfigNode(src, node, node, null, path, false, false, false);
    }

    Source source() {
        return src;
    }

    String path() {
        return path;
    }

    /** This node's value is a secret: messages say "(value hidden)" instead of quoting it. */
    ConfigNode secret() {
        return new ConfigNode(src, node, anchor, key, path, true, required, quiet);
    }

    /** Absence of this node is an error ("missing"). */
    ConfigNode required() {
        return new ConfigNode(src, node, anchor, key, path, secret, true, quiet);
    }

    ConfigNode child(Node keyNode, Node value, String name) {
        return new ConfigNode(src, value, value, keyNode, childPath(name), false, false, false);
    }

    ConfigNode absentChild(String name, boolean quietChild) {
        return new ConfigNode(
                src, null, node != null ? node : anchor, null, childPath(name), false, false, quiet || quietChild);
    }

    boolean isAbsent() {
        return node == null || (node instanceof ScalarNode s && Tag.NULL.equals(s.getTag()));
    }

    boolean isMapping() {
        return node instanceof MappingNode;
    }

    boolean isSequence() {
        return node instanceof SequenceNode;
    }

    Mark mark() {
        Node at = node != null ? node : anchor;
        return at == null ? null : at.getStartMark();
    }

    /** Reports {@code message} for this field, at its value (or, when absent, at its parent). */
    void report(String message) {
        src.error(mark(), path, message);
    }

    /** Reports at the field's key where there is one (unknown names, duplicates). */
    void reportAtKey(String message) {
        src.error(key != null ? key.getStartMark() : mark(), path, message);
    }

    /** Reports what was found here and what was {@code expected}. */
    void fail(String expected) {
        if (isAbsent()) {
            missing(expected);
        } else {
            report(describe() + " (expected " + expected + ")");
        }
    }

    void missing(String expected) {
        if (!quiet) {
            report("missing (expected " + expected + ")");
        }
    }

    /** The position as {@code file:line:col}, for messages that point at an earlier definition. */
    String where() {
        return src.name() + ":" + lineColumn(mark());
    }

    /**
     * The scalar's text after {@code ${VAR}} substitution, or {@code null} after reporting why not
     * (absent and required, a list or mapping, an unset variable). Absent and optional gives null quietly.
     */
    String text(String expected) {
        if (isAbsent()) {
            if (required) {
                missing(expected);
            }
            return null;
        }
        if (!(node instanceof ScalarNode scalar)) {
            fail(expected);
            return null;
        }
        EnvSubstitution.Result r = EnvSubstitution.apply(scalar.getValue(), src.env());
        if (r.error() != null) {
            report(r.error());
            return null;
        }
        return r.value();
    }

    /** Parses the text with {@code parse} (null meaning rejected); on any problem reports and returns {@code def}. */
    <T> T as(T def, String expected, Function<String, T> parse) {
        String text = text(expected);
        if (text == null) {
            return def;
        }
        T value = parse.apply(text);
        if (value == null) {
            report(quote(text) + " (expected " + expected + ")");
            return def;
        }
        return value;
    }

    /** A mapping with the given field names; any other name is reported as unknown. */
    Fields fields(String... names) {
        if (isAbsent()) {
            if (required) {
                missing("a mapping");
            }
            return new Fields(this, Map.of(), required);
        }
        if (!isMapping()) {
            fail("a mapping");
            return new Fields(this, Map.of(), true);
        }
        return Fields.of(this, entries(), List.of(names));
    }

    /** A mapping with names chosen by the operator (upstreams, tiers, policies), in file order. */
    Map<String, ConfigNode> entries() {
        if (isAbsent() || !isMapping()) {
            if (!isAbsent()) {
                fail("a mapping");
            }
            return Map.of();
        }
        Map<String, ConfigNode> out = new LinkedHashMap<>();
        List<NodeTuple> merged = new ArrayList<>();
        for (NodeTuple t : ((MappingNode) node).getValue()) {
            Node k = t.getKeyNode();
            if (k instanceof ScalarNode ks && (Tag.MERGE.equals(ks.getTag()) || "<<".equals(ks.getValue()))) {
                if (!collectMerge(t.getValueNode(), merged)) {
                    // a merge of a scalar merged nothing, without a word
                    child(k, t.getValueNode(), "<<")
                            .fail("a mapping or a list of mappings to merge (an alias such as *defaults)");
                }
                continue;
            }
            String name = k instanceof ScalarNode ks ? ks.getValue() : null;
            ConfigNode child = child(k, t.getValueNode(), name == null ? "?" : name);
            if (name == null) {
                child.reportAtKey("a non-text key (expected a plain name)");
            } else if (out.containsKey(name)) {
                child.reportAtKey("duplicate field (expected each name once; first at "
                        + out.get(name).keyWhere() + ")");
            } else {
                out.put(name, child);
            }
        }
        for (NodeTuple t : merged) {
            if (t.getKeyNode() instanceof ScalarNode ks) {
                out.putIfAbsent(ks.getValue(), child(ks, t.getValueNode(), ks.getValue()));
            }
        }
        return out;
    }

    /** A list; absent gives an empty list (reported when required). */
    List<ConfigNode> items(String expected) {
        if (isAbsent()) {
            if (required) {
                missing(expected);
            }
            return List.of();
        }
        if (!isSequence()) {
            fail(expected);
            return List.of();
        }
        List<Node> values = ((SequenceNode) node).getValue();
        List<ConfigNode> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            Node v = values.get(i);
            out.add(new ConfigNode(src, v, v, null, path + "[" + i + "]", secret, false, false));
        }
        return out;
    }

    /** A list, or one value standing for a list of one (e.g. {@code throttle: "20/1m"}). */
    List<ConfigNode> itemsOrSingle(String expected) {
        return isSequence() || isAbsent() ? items(expected) : List.of(this);
    }

    /** The value as plain Java: String, Long, Double, Boolean, null, List or Map (file order), unmodifiable. */
    Object plain() {
        if (isAbsent()) {
            return null;
        }
        if (node instanceof ScalarNode scalar) {
            // Quoting keeps text a string, except where a ${VAR} was quoted only to be valid YAML.
            String text = text("a value");
            boolean typed = scalar.isPlain() || scalar.getValue().contains("${");
            return text == null || !typed ? text : Values.scalar(text);
        }
        if (isSequence()) {
            List<Object> list = new ArrayList<>();
            items("a list").forEach(item -> list.add(item.plain()));
            return java.util.Collections.unmodifiableList(list);
        }
        Map<String, Object> map = new LinkedHashMap<>();
        entries().forEach((name, value) -> map.put(name, value.plain()));
        return java.util.Collections.unmodifiableMap(map);
    }

    private String keyWhere() {
        return lineColumn(key != null ? key.getStartMark() : mark());
    }

    private static String lineColumn(Mark m) {
        return m == null ? "1:1" : (m.getLine() + 1) + ":" + (m.getColumn() + 1);
    }

    /** Adds the entries {@code value} merges in; false when it holds something else than mappings. */
    private boolean collectMerge(Node value, List<NodeTuple> into) {
        if (value instanceof MappingNode m) {
            into.addAll(m.getValue());
            return true;
        }
        if (value instanceof SequenceNode s) {
            boolean all = true;
            for (Node v : s.getValue()) {
                all &= collectMerge(v, into);
            }
            return all;
        }
        return false;
    }

    private String describe() {
        if (node instanceof MappingNode) {
            return "a mapping";
        }
        if (node instanceof SequenceNode s) {
            return s.getValue().isEmpty() ? "an empty list" : "a list";
        }
        EnvSubstitution.Result r = EnvSubstitution.apply(((ScalarNode) node).getValue(), src.env());
        return quote(r.value() != null ? r.value() : ((ScalarNode) node).getValue());
    }

    /** The value in double quotes, escaped and shortened; "(value hidden)" for a secret. */
    String quote(String text) {
        if (secret) {
            return "(value hidden)";
        }
        StringBuilder b = new StringBuilder("\"");
        String shown = text.length() > SHOWN_MAX ? text.substring(0, SHOWN_MAX) : text;
        for (char c : shown.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> b.append(c < 0x20 ? String.format("\\u%04x", (int) c) : c);
            }
        }
        return b.append(shown.length() < text.length() ? "...\"" : "\"").toString();
    }

    private String childPath(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }
}
