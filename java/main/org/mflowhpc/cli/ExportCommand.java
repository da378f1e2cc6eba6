package org.mflowhpc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.io.Ensemble;
import org.mflowhpc.io.EnsembleFormatException;
import org.mflowhpc.io.EnsembleMeta;
import org.mflowhpc.io.HdfSchema;
import org.mflowhpc.io.Ildg;
import org.mflowhpc.io.Shard;
import org.mflowhpc.io.ShardHeader;
import org.mflowhpc.lattice.GaugeField;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mflow export --format ildg}: every configuration of an ensemble (directories, array ensembles or shard
 * files, read with full validation: schema, per-configuration checksums) as one ILDG/LIME file
 * OUT/config-NNNNNN.lime, NNNNNN = the configuration's position in the ensemble (for an array ensemble its global
 * index), in the format of {@link Ildg} (SU(3), 4D; U(1) and d != 4 are refused). The LFN of file F is
 * {@code <lfn-prefix>/F}. OUT/export.json lists, per file: source shard and config_index, LFN, plaquette (recomputed
 * from the float64 links), link trace, SciDAC checksum, bytes and SHA-256 of the file. The scidacRecord date is the
 * time of the export, or SOURCE_DATE_EPOCH if set (reproducible exports). OUT must not exist or be empty; files
 * are written under temporary names and renamed when complete.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Export configurations for other codes: --format ildg writes one ILDG (LIME) file per configuration",
                "(SU(3), 4D; read by Chroma/QIO, openQCD's ILDG import, Grid)."},
        footer = {"", "Example: mflow export --format ildg su3-b6 --out su3-b6-ildg"})
final class ExportCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR|FILE", description = "Ensemble directories or shard files (one ensemble).") List<Path> inputs;
    @Option(names = "--format", defaultValue = "ildg", description = "Output format: ildg. Default: ${DEFAULT-VALUE}.") String format;
    @Option(names = "--precision", defaultValue = "64", description = "Floating point precision of the binary data, 64 or 32. Default: ${DEFAULT-VALUE}.") int precision;
    @Option(names = "--lfn-prefix", description = "Logical file name prefix (default lfn://mflow-hpc/<name of the first input>).") String lfnPrefix;
    @Option(names = "--out", required = true, description = "Output directory (created; must be empty).") Path out;
    @CommandLine.Mixin ComputeOptions compute = new ComputeOptions();

    @Override public Integer call() throws IOException {
        if (!format.equalsIgnoreCase("ildg")) throw new UserError("unknown --format '" + format + "' (supported: ildg)");
        if (precision != 64 && precision != 32) throw new UserError("--precision must be 64 or 32, got " + precision);
        Ensemble ens;
        try {
            ens = Ensemble.open(inputs);
        } catch (EnsembleFormatException e) {
            throw new UserError(e.getMessage());
        }
        EnsembleMeta meta = ens.meta();
        String why = Ildg.unsupported(meta.group(), meta.lattice());
        if (why != null) throw new UserError(why);
        if (Files.exists(out)) {
            if (!Files.isDirectory(out)) throw new UserError("--out " + out + " exists and is not a directory");
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(out)) {
                if (ds.iterator().hasNext()) throw new UserError("--out " + out + " is not empty; refusing to mix exports");
            }
        }
        Files.createDirectories(out);
        String prefix = lfnPrefix != null ? lfnPrefix
                : "lfn://mflow-hpc/" + inputs.get(0).toAbsolutePath().normalize().getFileName();
        while (prefix.endsWith("/")) prefix = prefix.substring(0, prefix.length() - 1);
        String date = date();
        PrintWriter log = spec.commandLine().getErr();
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.put("format", "mflow-hpc-ildg-export");
        root.put("ildg_field", "su3gauge");
        root.put("precision", precision);
        root.put("group", meta.group().name());
        ArrayNode lat = root.putArray("lattice");
        for (int x : meta.lattice().extents()) lat.add(x);
        root.put("beta", meta.beta());
        root.put("algorithm", meta.algorithm());
        root.put("seed", meta.seed());
        root.put("plaquette_convention", "(1/3) Re tr P averaged over sites and the 6 planes, of the float64 links");
        root.put("checksum_convention", "SciDAC: per site c = CRC32 of its bytes as written, suma = XOR rotl(c, rank % 29), sumb = XOR rotl(c, rank % 31)");
        ArrayNode files = root.putArray("files");
        long pos = 0;
        try (Backend be = compute.create();
             Progress pr = new Progress("export", ens.size(), new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true))) {
            Buffer pb = be.alloc(1);
            for (int i = 0; i < ens.shards().size(); i++) {
                Shard s;
                try {
                    s = ens.readShard(i);
                } catch (EnsembleFormatException e) {
                    throw new UserError(e.getMessage());
                }
                ShardHeader h = s.header();
                for (int b = 0; b < s.n(); b++, pos++) {
                    String name = String.format(Locale.ROOT, "config-%06d.lime", pos);
                    GaugeField one = s.config(be, b);
                    be.meanPlaquette(one, pb, 0);
                    double plaq = be.download(pb)[0];
                    String lfn = prefix + "/" + name;
                    String info = "mflow-hpc " + meta.mflowVersion() + " export: SU3 " + meta.lattice().spec() + " beta=" + meta.beta()
                            + " algorithm=" + meta.algorithm() + " seed=" + meta.seed() + " configuration " + pos + " (" + h.file().getFileName()
                            + " config_index " + s.configIndex()[b] + ")";
                    Ildg.Written w = Ildg.write(out.resolve(name), meta.lattice(), s.configData(), b * s.configSize(), precision, lfn, plaq, info, date);
                    ObjectNode f = files.addObject();
                    f.put("file", name);
                    f.put("position", pos);
                    f.put("source_shard", h.file().toString());
                    f.put("source_config_index", s.configIndex()[b]);
                    f.put("lfn", lfn);
                    f.put("plaquette", plaq);
                    f.put("link_trace", w.linkTrace());
                    f.put("scidac_suma", w.sumaHex());
                    f.put("scidac_sumb", w.sumbHex());
                    f.put("bytes", w.bytes());
                    f.put("sha256", HdfSchema.sha256Hex(w.file()));
                    pr.step(1);
                }
            }
        }
        root.put("n_files", pos);
        Path tmp = out.resolve(".export.json.tmp");
        Files.write(tmp, (om.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8));
        Files.move(tmp, out.resolve("export.json"), StandardCopyOption.ATOMIC_MOVE);
        log.printf("mflow export: wrote %d ILDG file(s) (su3gauge, %d-bit big-endian, %s) to %s%n", pos, precision, meta.lattice().spec(), out);
        log.flush();
        return 0;
    }

    /** scidacRecord date, QIO style ("Tue Dec  1 22:51:15 2026 UTC"): SOURCE_DATE_EPOCH if set, else now. */
    static String date() {
        String sde = System.getenv("SOURCE_DATE_EPOCH");
        Instant t;
        try {
            t = sde != null ? Instant.ofEpochSecond(Long.parseLong(sde.trim())) : Instant.now();
        } catch (NumberFormatException e) {
            throw new UserError("SOURCE_DATE_EPOCH='" + sde + "' is not a number of seconds");
        }
        return DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC).format(t);
    }
}
