package dev.moat.config.internal;

import java.util.IdentityHashMap;
import java.util.Map;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Walks the graph as the readers will, aliases expanded, and reports a recursive alias or aliases
 * that add more than {@link #MAX_EXPANSION} values, at the list or mapping holding the alias
 * that crossed the line (an alias node is its anchor's node, so its own position is gone).
 */
final class AliasExpansion {
    /** Values that aliases may add beyond those written: generous for shared defaults, far from a bomb. */
    static final long MAX_EXPANSION = 100_000;

    private final Source source;
    private final Map<Node, Long> sizes = new IdentityHashMap<>();
    private final Map<Node, Boolean> open = new IdentityHashMap<>();
    private long added;
    private boolean reported;

    AliasExpansion(Source source) {
        this.source = source;
    }

    boolean fits(Node root) {
        size(root, root);
        return !reported;
    }

    /** The node's expanded size, saturating. */
    private long size(Node node, Node holder) {
        Long known = sizes.get(node);
        if (known != null) {
            // an alias of a scalar adds one value for the two characters of "*a": no more than writing it out
            if (!(node instanceof ScalarNode)) {
                added = saturatedAdd(added, known);
            }
            if (added > MAX_EXPANSION) {
                report(
                        holder,
                        "YAML: aliases expand the document by more than " + MAX_EXPANSION
                                + " values (expected aliases that add at most " + MAX_EXPANSION
                                + "; is an alias of aliases repeated?)");
            }
            return known;
        }
        if (open.containsKey(node)) {
            report(node, "YAML: the value anchored here holds an alias of itself (expected no recursive aliases)");
            return 0;
        }
        open.put(node, Boolean.TRUE);
        long total = 1;
        if (node instanceof SequenceNode s) {
            for (Node child : s.getValue()) {
                total = saturatedAdd(total, size(child, node));
            }
        } else if (node instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                total = saturatedAdd(total, size(t.getKeyNode(), node));
                total = saturatedAdd(total, size(t.getValueNode(), node));
            }
        }
        open.remove(node);
        sizes.put(node, total);
        return total;
    }

    private void report(Node at, String message) {
        if (!reported) {
            reported = true;
            source.error(at.getStartMark(), "", message);
        }
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }
}
