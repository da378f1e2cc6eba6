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
 * and explicit options override the card. Keys may sit at top level or in a table named after the subcommand (both:
 * the table's keys override top-level ones); tables named after other subcommands are skipped (one card can serve
 * several commands and {@code mflow run}). Values: strings, numbers, booleans (flags: true sets, false omits);
 * arrays only for repeatable options (one token per element), except {@code lattice = [16, 16]}, which means
 * {@code 16x16}. Rejected with one line naming the card: a TOML syntax error (with line and column), an empty
 * card, an unknown key, an unknown or nested table, an array for a single-valued option, and {@code card} itself.
 */
public final class RunCards {
    private RunCards() {}

    public static JsonNode parse(Path card) {
        if (!Files.isRegularFile(card)) throw new UserError("run card " + card + " does not exist or is not a file");
        JsonNode n;
        try {
            n = new TomlMapper().readTree(card.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            com.fasterxml.jackson.core.JsonLocation l = e.getLocation();
            String at = l != null && l.getLineNr() > 0 ? " at line " + l.getLineNr() + ", column " + l.getColumnNr() : "";
            throw new UserError("run card " + card + " is not valid TOML" + at + ": " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new UserError("run card " + card + " cannot be read: " + org.mflowhpc.io.IoErrors.describe(e));
        }
        if (n == null || !n.isObject() || n.size() == 0) throw new UserError("run card " + card + " is empty (no keys, no tables)");
        return n;
    }

    public static JsonNode parseResource(String resource) {
        try (InputStream in = RunCards.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("embedded run card " + resource + " missing from the jar");
            return new TomlMapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("embedded run card " + resource + ": " + e.getMessage(), e);
        }
    }

    /** Option tokens for subcommand {@code spec} from the card's top-level keys and its table {@code section}. */
    public static List<String> tokens(JsonNode card, String section, CommandSpec spec, String cardName) {
        List<String> out = new ArrayList<>();
        java.util.Set<String> siblings = spec.parent() != null ? spec.parent().subcommands().keySet() : java.util.Set.of();
        boolean hasSection = card.has(section) && card.get(section).isObject();
        addTokens(card, spec, cardName, siblings, "", out);
        if (hasSection) addTokens(card.get(section), spec, cardName, java.util.Set.of(), "[" + section + "] ", out);
        return out;
    }

    private static void addTokens(JsonNode table, CommandSpec spec, String cardName, java.util.Set<String> skipTables, String where, List<String> out) {
        Iterator<Map.Entry<String, JsonNode>> it = table.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            String key = e.getKey();
            if (v.isObject()) {
                if (where.isEmpty() && (skipTables.contains(key) || key.equals(spec.name()))) continue; // a (sub)command's table
                if (!where.isEmpty())
                    throw new UserError("run card " + cardName + ": nested table '" + key + "' in " + where.trim() + " is not allowed (keys are option names)");
                throw new UserError("run card " + cardName + ": unknown table [" + key + "] (tables are named after subcommands, e.g. ["
                        + spec.name() + "])");
            }
            String opt = "--" + key.replace('_', '-');
            if (opt.equals("--card")) throw new UserError("run card " + cardName + ": a card cannot include another card");
            CommandLine.Model.OptionSpec os = spec.findOption(opt);
            if (os == null)
                throw new UserError("run card " + cardName + ": unknown key '" + key + "' " + where + "for 'mflow " + spec.name() + "'");
            if (v.isBoolean()) {
                if (os.arity().max() == 0) { if (v.asBoolean()) out.add(opt); }
                else out.add(opt + "=" + v.asBoolean());
            } else if (v.isArray()) {
                boolean allInts = v.size() > 0;
                for (JsonNode x : v) allInts &= x.isIntegralNumber();
                if (key.equals("lattice") && allInts) {
                    List<String> ext = new ArrayList<>();
                    for (JsonNode x : v) ext.add(x.asText());
                    out.add(opt + "=" + String.join("x", ext));
                } else if (os.isMultiValue()) {
                    for (JsonNode x : v) {
                        if (x.isContainerNode()) throw new UserError("run card " + cardName + ": key '" + key + "' " + where + "holds a nested array or table");
                        out.add(opt + "=" + x.asText());
                    }
                } else {
                    throw new UserError("run card " + cardName + ": key '" + key + "' " + where + "takes one value, got an array " + v);
                }
            } else if (v.isNull()) {
                throw new UserError("run card " + cardName + ": key '" + key + "' " + where + "has no value");
            } else {
                out.add(opt + "=" + v.asText());
            }
        }
    }

    /** Positional values (e.g. inputs of measure) from key "inputs" if present. */
    static String firstLine(String s) { return s == null ? "" : s.split("\\R", 2)[0]; }
}
