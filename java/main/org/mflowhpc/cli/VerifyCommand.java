package org.mflowhpc.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.io.Verifier;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code mflow verify}: schema, attributes, per-configuration checksums, shard hashes against the manifest,
 * unitarity, and stored action/plaquette against values recomputed from the links. Prints one line per fault and
 * exits 1 if there is any; never modifies its inputs.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Verify ensembles: schema, attributes, checksums, unitarity, stored action/plaquette; non-zero exit on any fault.")
final class VerifyCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR|FILE", description = "Ensemble directories or shard files.") List<Path> inputs;
    @CommandLine.Mixin ComputeOptions compute = new ComputeOptions();

    @Override public Integer call() {
        Verifier.Report r;
        try (Backend be = compute.create()) { // recomputes action and plaquette
            r = Verifier.verify(be, inputs);
        }
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        for (String n : r.notes()) out.println("note: " + n);
        for (String f : r.faults()) err.println("mflow verify: fault: " + f);
        out.println(r.summary());
        out.flush();
        err.flush();
        return r.ok() ? 0 : 1;
    }
}
