package org.mflowhpc.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import org.mflowhpc.io.IoErrors;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code java -jar mflow-hpc.jar}: the picocli command tree, run-card expansion and the error
 * policy. Every failure caused by input (options, cards, files, the environment: a full disk, a missing
 * permission, too little memory) prints ONE line {@code mflow <command>: error: <problem>} on stderr and exits with
 * status 2 (I/O failures are described by {@link IoErrors#describe}: path and reason); internal failures exit 1;
 * a run stopped by SIGTERM ({@link Shutdown}) exits {@value #EXIT_INTERRUPTED}.
 */
@Command(name = "mflow", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Multiscale normalizing flows and reference samplers for lattice gauge theory (U(1), SU(3); d = 2, 3, 4).",
        subcommands = {CommandLine.HelpCommand.class, InfoCommand.class, RunCommand.class, GenerateCommand.class,
                MeasureCommand.class, VerifyCommand.class, TrainCommand.class, SampleCommand.class, BenchCommand.class,
                MergeCommand.class, ExportCommand.class, ReportCommand.class, SelfCheckCommand.class})
public final class Main implements Runnable {
    /** Exit status of a run stopped by SIGTERM after it saved its state (128 + 15, as the JVM reports it). */
    public static final int EXIT_INTERRUPTED = 143;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setOverwrittenOptionsAllowed(true);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        // every command takes --card FILE; expandCards replaces it by the card's options before parsing, so the
        // option declared here only documents it in --help (run declares its own: the card is what it runs)
        for (CommandLine sub : cl.getSubcommands().values()) {
            CommandLine.Model.CommandSpec cs = sub.getCommandSpec();
            if (cs.findOption("--card") != null || cs.userObject() instanceof CommandLine.HelpCommand) continue;
            cs.addOption(CommandLine.Model.OptionSpec.builder("--card").paramLabel("FILE").type(java.nio.file.Path.class)
                    .description("TOML run card: keys are this command's option names (e.g. lattice = \"16x16\"), top level or in a ["
                            + cs.name() + "] table; explicit options override it.").build());
        }
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println(prefix(c) + "error: " + RunCards.firstLine(ex.getMessage()) + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> {
            PrintWriter err = c.getErr();
            if (ex instanceof java.io.IOException) {
                err.println(prefix(c) + "error: " + IoErrors.describe(ex));
                return 2;
            }
            if (ex instanceof UserError || ex instanceof IllegalArgumentException) {
                err.println(prefix(c) + "error: " + RunCards.firstLine(ex.getMessage()));
                return 2;
            }
            if (IoErrors.diskFull(ex)) { // e.g. an UncheckedIOException or a library's wrapper
                err.println(prefix(c) + "error: " + IoErrors.describe(ex));
                return 2;
            }
            err.println(prefix(c) + "internal error: " + ex + (System.getenv("MFLOW_DEBUG") != null ? "" : " (set MFLOW_DEBUG=1 for a stack trace)"));
            if (System.getenv("MFLOW_DEBUG") != null) ex.printStackTrace(err);
            return 1;
        });
        return cl;
    }

    private static String prefix(CommandLine c) { return c.getCommandSpec().qualifiedName() + ": "; }

    /** Runs the CLI and returns the exit status (used by main and by tests). */
    public static int execute(String... args) {
        CommandLine cl = commandLine();
        try {
            args = expandCards(cl, args);
        } catch (UserError e) {
            cl.getErr().println("mflow: error: " + e.getMessage());
            return 2;
        }
        Shutdown.commandStarted();
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            String sub = "mflow";
            for (String a : args) if (cl.getSubcommands().containsKey(a)) { sub = "mflow " + a; break; }
            cl.getErr().println(sub + ": error: out of memory (max heap " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB): reduce --batch or the lattice, or give Java more memory (java -Xmx...)");
            cl.getErr().flush();
            return 2;
        } finally {
            cl.getErr().flush();
            Shutdown.commandReturned();
        }
    }

    /** Replaces "--card FILE" after a subcommand by the card's options, placed before the explicit ones. */
    static String[] expandCards(CommandLine cl, String[] args) {
        int sub = -1;
        for (int i = 0; i < args.length; i++) if (cl.getSubcommands().containsKey(args[i])) { sub = i; break; }
        if (sub < 0 || args[sub].equals("run")) return args; // run takes its card as CARD or --card itself
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(sub + 1, args.length));
        String card = null;
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            if (a.equals("--card")) {
                if (i + 1 >= rest.size()) throw new UserError("--card needs a file name");
                card = rest.get(i + 1);
                rest.remove(i + 1); rest.remove(i);
                break;
            } else if (a.startsWith("--card=")) {
                card = a.substring(7);
                rest.remove(i);
                break;
            }
        }
        if (card == null) return args;
        CommandLine subcl = cl.getSubcommands().get(args[sub]);
        JsonNode node = RunCards.parse(java.nio.file.Path.of(card));
        List<String> out = new ArrayList<>(Arrays.asList(args).subList(0, sub + 1));
        out.addAll(RunCards.tokens(node, args[sub], subcl.getCommandSpec(), card));
        out.addAll(rest);
        return out.toArray(new String[0]);
    }
}
