package org.mflowhpc.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Run cards: TOML files whose keys are a subcommand's long option names without dashes, e.g.
 * <pre>
 * [generate]
 * group = "U1"
 * lattice = "16x16"
 * beta = 2.0
 * </pre>
 * A card is turned into option tokens placed before the command-line arguments, so the same validation applies
 * and explicit options override the card. Keys may sit at top level or in a table named after the subcommand.
 * Unknown keys are rejected with a one-line error naming the card and the key.
 */
public final class RunCards {
    private RunCards() {}

    public static JsonNode parse(Path card) {
        if (!Files.isRegularFile(card)) throw new UserError("run card " + card + " does not exist or is not a file");
        try {
            return new TomlMapper().readTree(card.toFile());
        } catch (IOException e) {
            throw new UserError("run card " + card + " is not valid TOML: " + firstLine(e.getMessage()));
        }
    }

    public static JsonNode parseResource(String resource) {
        try (InputStream in = RunCards.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("embedded run card " + resource + " missing from the jar");
            return new TomlMapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("embedded run card " + resource + ": " + e.getMessage(), e);
        }
    }

    /** Option tokens for subcommand {@code spec} from the card's table {@code section} (or top-level keys). */
    public static List<String> tokens(JsonNode card, String section, CommandSpec spec, String cardName) {
        JsonNode table = card.has(section) && card.get(section).isObject() ? card.get(section) : card;
        List<String> out = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = table.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isObject()) continue; // another subcommand's table
            String opt = "--" + e.getKey().replace('_', '-');
            if (opt.equals("--card")) throw new UserError("run card " + cardName + ": a card cannot include another card");
            CommandLine.Model.OptionSpec os = spec.findOption(opt);
            if (os == null)
                throw new UserError("run card " + cardName + ": unknown key '" + e.getKey() + "' for 'mflow " + spec.name() + "'");
            if (v.isBoolean()) {
                if (os.arity().max() == 0) { if (v.asBoolean()) out.add(opt); }
                else out.add(opt + "=" + v.asBoolean());
            } else if (v.isArray()) {
                for (JsonNode x : v) out.add(opt + "=" + x.asText());
            } else {
                out.add(opt + "=" + v.asText());
            }
        }
        return out;
    }

    /** Positional values (e.g. inputs of measure) from key "inputs" if present. */
    static String firstLine(String s) { return s == null ? "" : s.split("\\R", 2)[0]; }
}
