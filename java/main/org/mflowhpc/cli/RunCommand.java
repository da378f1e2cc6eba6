package org.mflowhpc.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mflow run [CARD]}: the main job. Runs the stages of a run card in the order train, sample, generate,
 * measure (each a TOML table whose keys are that subcommand's options), wiring their directories under --out:
 * OUT/model (train), OUT/ensemble (sample or generate), and measure reads OUT/ensemble. Without CARD the embedded
 * default card runs (java/resources/org/mflowhpc/cards/run-default.toml), which needs no GPU. A card with no stage
 * is refused (it would run nothing), as are keys outside the stage tables and the keys that run sets itself (out;
 * model for sample). --backend and --threads, when given, replace the card's values in every stage. A stage that fails or is stopped by SIGTERM ends the run with its exit status.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run a run card end to end (train / sample / generate / measure stages).",
                "Without CARD: the embedded CPU default job (see 'mflow run --show-card')."})
final class RunCommand implements java.util.concurrent.Callable<Integer> {
    static final String DEFAULT_CARD = "/org/mflowhpc/cards/run-default.toml";
    static final String[] STAGES = {"train", "sample", "generate", "measure"};

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "CARD", description = "Run card (TOML). Default: the embedded CPU job.") Path card;
    @Option(names = "--card", paramLabel = "FILE", description = "The run card, as an option (same as CARD).") Path cardOption;
    @Option(names = "--out", description = "Output directory for all stages (must not exist). Default: mflow-run-<date>-<time>.") Path out;
    @Option(names = "--show-card", description = "Print the run card and exit.") boolean showCard;
    @Option(names = "--backend", description = "Compute backend of every stage (cpu, host, cuda, auto), overriding the card's. Default: each stage's own (the card's, else auto).")
    String backend;
    @Option(names = "--threads", description = "CPU worker threads of every stage (0 = all hardware threads), overriding the card's.")
    Integer threads;

    @Override public Integer call() throws Exception {
        if (cardOption != null) {
            if (card != null && !card.equals(cardOption)) throw new UserError("give the run card once: CARD " + card + " and --card " + cardOption);
            card = cardOption;
        }
        JsonNode node = card == null ? RunCards.parseResource(DEFAULT_CARD) : RunCards.parse(card);
        String cardName = card == null ? "embedded default card" : card.toString();
        if (showCard) {
            try (var in = card == null ? RunCommand.class.getResourceAsStream(DEFAULT_CARD) : Files.newInputStream(card)) {
                spec.commandLine().getOut().print(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            }
            spec.commandLine().getOut().flush();
            return 0;
        }
        var names = node.fieldNames();
        boolean anyStage = false;
        while (names.hasNext()) {
            String n = names.next();
            if (!node.get(n).isObject())
                throw new UserError("run card " + cardName + ": key '" + n + "' is outside a stage table; put it in [train], [sample], [generate] or [measure]");
            if (!List.of(STAGES).contains(n)) throw new UserError("run card " + cardName + ": unknown stage [" + n + "] (expected train, sample, generate, measure)");
            anyStage = true;
        }
        if (!anyStage) throw new UserError("run card " + cardName + " has no stage ([train], [sample], [generate], [measure]): nothing to run");
        for (String stage : STAGES) {
            if (!node.has(stage)) continue;
            for (String wired : stage.equals("sample") ? List.of("out", "model") : stage.equals("measure") ? List.<String>of() : List.of("out"))
                if (node.get(stage).has(wired))
                    throw new UserError("run card " + cardName + ": key '" + wired + "' in [" + stage + "] is set by mflow run (under --out); remove it");
        }
        if (node.has("sample") && node.has("generate")) throw new UserError("run card " + cardName + ": use either [sample] or [generate], not both");
        if (out == null) out = Path.of("mflow-run-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        OutDir.check(out, "--out");
        if (Files.exists(out)) throw new UserError("output directory " + out + " already exists; choose another --out");
        Files.createDirectories(out);
        CommandLine root = spec.commandLine().getParent();
        for (String stage : STAGES) {
            if (!node.has(stage)) continue;
            CommandLine sub = root.getSubcommands().get(stage);
            if (sub == null) throw new UserError("run card " + cardName + ": stage [" + stage + "] is not available in this build");
            List<String> args = new ArrayList<>(RunCards.tokens(node, stage, sub.getCommandSpec(), cardName));
            if (backend != null) { args.removeIf(t -> t.startsWith("--backend=")); args.add("--backend=" + backend); }
            if (threads != null) { args.removeIf(t -> t.startsWith("--threads=")); args.add("--threads=" + threads); }
            switch (stage) {
                case "train": args.add("--out=" + out.resolve("model")); break;
                case "sample": args.add("--model=" + out.resolve("model")); args.add("--out=" + out.resolve("ensemble")); break;
                case "generate": args.add("--out=" + out.resolve("ensemble")); break;
                case "measure": args.add(out.resolve("ensemble").toString()); break;
                default: break;
            }
            spec.commandLine().getErr().println("mflow run: stage " + stage + ": mflow " + stage + " " + String.join(" ", args));
            spec.commandLine().getErr().flush();
            int rc = sub.execute(args.toArray(new String[0]));
            if (rc != 0) return rc;
            if (Shutdown.requested()) {
                spec.commandLine().getErr().println("mflow run: stopped (SIGTERM) after stage " + stage + "; outputs so far in " + out);
                return Main.EXIT_INTERRUPTED;
            }
        }
        spec.commandLine().getErr().println("mflow run: done; outputs in " + out);
        return 0;
    }
}
