package dev.moat.config.internal;

import dev.moat.config.KeyConfig;
import dev.moat.config.RateLimit;
import dev.moat.config.TierConfig;
import dev.moat.config.Values;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;

/**
 * The {@code tiers} section and the API keys, from {@code keys} and from the YAML list in
 * {@code keys_file}; errors in the keys file name the keys file.
 */
final class KeySections {
    private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]+");

    private KeySections() {}

    static Map<String, TierConfig> tiers(ConfigNode node) {
        Map<String, TierConfig> out = new LinkedHashMap<>();
        node.entries().forEach((name, value) -> {
            Fields fields = value.fields("limits", "tokens", "max_action");
            List<RateLimit> limits = rates(fields.required("limits"), "a list of rates like [\"100/1m\", \"5000/1d\"]");
            ConfigNode tokensNode = fields.get("tokens");
            List<RateLimit> tokens = tokensNode.isAbsent()
                    ? List.of()
                    : rates(tokensNode, "a list of LLM token budgets like [\"100000/1m\", \"2000000/1d\"]");
            List<String> actions = Arrays.stream(TierConfig.MaxAction.values())
                    .map(TierConfig.MaxAction::yamlName)
                    .toList();
            String action = Fields.oneOf(fields.get("max_action"), actions, "block");
            TierConfig.MaxAction maxAction = action == null
                    ? TierConfig.MaxAction.BLOCK
                    : TierConfig.MaxAction.valueOf(action.toUpperCase(Locale.ROOT));
            out.put(name, new TierConfig(name, limits, tokens, maxAction));
        });
        return out;
    }

    private static List<RateLimit> rates(ConfigNode listNode, String expected) {
        List<RateLimit> rates = new ArrayList<>();
        for (ConfigNode item : listNode.itemsOrSingle(expected)) {
            RateLimit r = item.as(null, Values.RATE_EXPECTED, Values::rate);
            if (r != null) {
                rates.add(r);
            }
        }
        if (listNode.isSequence() && listNode.items("a list").isEmpty()) {
            listNode.fail("at least one rate like \"100/1m\"");
        }
        return rates;
    }

    static List<KeyConfig> keys(ConfigNode keys, ConfigNode keysFile, Set<String> tiers) {
        KeyCollector collector = new KeyCollector(tiers);
        keys.items("a list of keys").forEach(collector::add);
        if (!keysFile.isAbsent()) {
            String relative = keysFile.text("a path to a YAML list of keys");
            if (relative != null) {
                readKeysFile(keysFile, relative).forEach(collector::add);
            }
        }
        return collector.keys;
    }

    private static List<ConfigNode> readKeysFile(ConfigNode keysFile, String relative) {
        Path file = keysFile.source().resolve(relative);
        YamlFiles.Text read = YamlFiles.read(file, "YAML file holding a list of keys");
        if (read.problem() != null) {
            keysFile.report(keysFile.quote(relative) + " " + read.problem());
            return List.of();
        }
        String text = read.text();
        Source source = keysFile.source().referenced(relative);
        Node root = YamlDocuments.compose(text, source);
        if (root == null) {
            return List.of();
        }
        return ConfigNode.root(source, root, "keys").items("a YAML list of keys, each {id, sha256, tier, tenant}");
    }

    /** Adds keys from either place, checking ids and hashes for uniqueness across both. */
    private static final class KeyCollector {
        private final Set<String> tiers;
        private final List<KeyConfig> keys = new ArrayList<>();
        private final Map<String, ConfigNode> ids = new HashMap<>();
        private final Map<String, String> idByHash = new HashMap<>();

        KeyCollector(Set<String> tiers) {
            this.tiers = tiers;
        }

        void add(ConfigNode item) {
            Fields f = item.fields("id", "sha256", "tier", "tenant");
            ConfigNode idNode = f.required("id");
            String id = idNode.as(
                    null,
                    "a key id of letters, digits, '.', '_' or '-'",
                    s -> KEY_ID.matcher(s).matches() ? s : null);
            if (id != null && ids.containsKey(id)) {
                idNode.fail("a unique id; \"" + id + "\" is already at "
                        + ids.get(id).where());
            } else if (id != null) {
                ids.put(id, idNode);
            }
            // Hidden: a secret pasted here by mistake must not end up in logs.
            ConfigNode hashNode = f.required("sha256").secret();
            String sha = hashNode.as(
                    null, "64 hex digits, the SHA-256 of the secret (`moat keys new` prints it)", Values::sha256Hex);
            if (sha != null && idByHash.containsKey(sha)) {
                hashNode.fail("a unique sha256; key \"" + idByHash.get(sha) + "\" has the same one");
            } else if (sha != null) {
                idByHash.put(sha, id);
            }
            String tier = Fields.oneOf(f.required("tier"), tiers, null);
            String tenant =
                    f.has("tenant") ? f.get("tenant").as(null, "a tenant name", s -> s.isBlank() ? null : s) : null;
            keys.add(new KeyConfig(id, sha, tier, tenant));
        }
    }
}
