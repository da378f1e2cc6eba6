package org.mflowhpc.io;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.Lattice;

/**
 * Training checkpoint: a model's parameters, optimiser state and training position, with everything needed to
 * check that it belongs to the model being resumed.
 *
 * <p>File format (version 1; all integers and doubles big-endian, doubles as IEEE-754 bit patterns, so round
 * trips are bit-exact):
 * <pre>
 *   bytes 0..7   magic "MFLOWCK1"
 *   int32        H = header length in bytes
 *   H bytes      header, UTF-8 JSON object:
 *                  format_version (1), kind, group ("U1"/"SU3"), lattice ("8x8"), beta, step, config (object,
 *                  the model's FlowModel.config()), param_layout (Params.layoutSignature()), state (object: trainer
 *                  state such as seed, batch, schedule, Adam t and hyperparameters, lr_factor, counters),
 *                  arrays: [{"name": ..., "length": n}, ...] naming the arrays that follow, in order
 *   per array    n doubles (8 bytes each)
 *   32 bytes     SHA-256 of every preceding byte
 * </pre>
 * The bytes are a function of the contents only (ordered maps throughout, no time stamps), so two runs that reach the
 * same state write identical files. Arrays written by the Trainer: "params", "adam_m", "adam_v". {@link #write}
 * refuses non-finite values and writes
 * atomically: temporary file in the same directory, fsync, rename with ATOMIC_MOVE, fsync of the directory.
 * {@link #read} verifies magic, lengths and the checksum; {@link #validateFor} checks kind, group, lattice, beta,
 * config, parameter layout and parameter count against the values the caller's model reports (this package knows
 * no model classes; train.Trainer.validateCheckpoint passes a flow model's). Every failure is a
 * {@link CheckpointException} with a one-line message.
 */
public final class Checkpoint {
    public static final String MAGIC = "MFLOWCK1";
    public static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    public final String kind;
    public final Group group;
    public final Lattice lattice;
    public final double beta;
    public final long step;
    public final Map<String, Object> config;
    public final String paramLayout;
    public final Map<String, Object> state;
    private final Map<String, double[]> arrays;

    public Checkpoint(String kind, Group group, Lattice lattice, double beta, long step, Map<String, Object> config,
                      String paramLayout, Map<String, Object> state, Map<String, double[]> arrays) {
        this.kind = kind; this.group = group; this.lattice = lattice; this.beta = beta; this.step = step;
        this.config = config; this.paramLayout = paramLayout; this.state = state;
        this.arrays = new LinkedHashMap<>(arrays);
    }

    public double[] array(String name) throws CheckpointException {
        double[] a = arrays.get(name);
        if (a == null) throw new CheckpointException("checkpoint has no array '" + name + "'");
        return a;
    }

    public boolean hasArray(String name) { return arrays.containsKey(name); }

    /** Writes atomically (see class doc). Throws if any array holds NaN or infinity. */
    public void write(Path path) throws IOException {
        for (Map.Entry<String, double[]> e : arrays.entrySet())
            for (double v : e.getValue())
                if (!Double.isFinite(v)) throw new IOException("refusing to write checkpoint " + path + ": array '" + e.getKey() + "' holds non-finite values");
        if (!Double.isFinite(beta)) throw new IOException("refusing to write checkpoint with non-finite beta");
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("format_version", FORMAT_VERSION);
        h.put("kind", kind);
        h.put("group", group.name());
        h.put("lattice", lattice.spec());
        h.put("beta", beta);
        h.put("step", step);
        h.put("config", config);
        h.put("param_layout", paramLayout);
        h.put("state", state);
        List<Map<String, Object>> al = new ArrayList<>();
        for (Map.Entry<String, double[]> e : arrays.entrySet()) { // ordered map: the file must not depend on Map.of's per-JVM order
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("name", e.getKey());
            a.put("length", e.getValue().length);
            al.add(a);
        }
        h.put("arrays", al);
        byte[] header = JSON.writeValueAsBytes(h);

        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        MessageDigest md = sha256();
        try (DataOutputStream out = new DataOutputStream(bos)) {
            out.write(MAGIC.getBytes(StandardCharsets.US_ASCII));
            out.writeInt(header.length);
            out.write(header);
            for (double[] a : arrays.values()) {
                ByteBuffer bb = ByteBuffer.allocate(8 * a.length).order(ByteOrder.BIG_ENDIAN);
                bb.asDoubleBuffer().put(a);
                out.write(bb.array());
            }
        }
        byte[] body = bos.toByteArray();
        md.update(body);
        byte[] digest = md.digest();

        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer b1 = ByteBuffer.wrap(body), b2 = ByteBuffer.wrap(digest);
                while (b1.hasRemaining()) ch.write(b1);
                while (b2.hasRemaining()) ch.write(b2);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) { /* the failure below is what matters */ }
            throw IoErrors.at(path, e); // e.g. a full disk; the previous checkpoint is untouched
        }
        if (dir != null) {
            try (FileChannel dc = FileChannel.open(dir, StandardOpenOption.READ)) { dc.force(true); } catch (IOException ignored) {
                // directory fsync is not supported on every platform/filesystem
            }
        }
    }

    /** Reads and verifies a checkpoint. */
    public static Checkpoint read(Path path) throws CheckpointException {
        byte[] all;
        try {
            all = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new CheckpointException("checkpoint " + path + " does not exist");
        } catch (IOException e) {
            throw new CheckpointException("cannot read checkpoint " + path + ": " + e.getMessage(), e);
        }
        String where = "checkpoint " + path;
        if (all.length < MAGIC.length() + 4 + 32 || !new String(all, 0, 8, StandardCharsets.US_ASCII).equals(MAGIC))
            throw new CheckpointException(where + " is not an mflow-hpc checkpoint (bad magic or too short: " + all.length + " bytes)");
        MessageDigest md = sha256();
        md.update(all, 0, all.length - 32);
        if (!Arrays.equals(md.digest(), Arrays.copyOfRange(all, all.length - 32, all.length)))
            throw new CheckpointException(where + " is corrupted or truncated (SHA-256 checksum mismatch)");
        ByteBuffer bb = ByteBuffer.wrap(all, 0, all.length - 32).order(ByteOrder.BIG_ENDIAN);
        bb.position(8);
        int hl = bb.getInt();
        if (hl < 2 || hl > bb.remaining()) throw new CheckpointException(where + " has a bad header length " + hl);
        Map<String, Object> h;
        try {
            h = JSON.readValue(all, 12, hl, new TypeReference<Map<String, Object>>() {});
        } catch (IOException e) {
            throw new CheckpointException(where + " has an unreadable header: " + e.getMessage().split("\n")[0]);
        }
        bb.position(12 + hl);
        try {
            int ver = ((Number) h.get("format_version")).intValue();
            if (ver != FORMAT_VERSION) throw new CheckpointException(where + " has format version " + ver + ", this build reads " + FORMAT_VERSION);
            Map<String, double[]> arrays = new LinkedHashMap<>();
            for (Object o : (List<?>) h.get("arrays")) {
                Map<?, ?> a = (Map<?, ?>) o;
                String name = (String) a.get("name");
                long n = ((Number) a.get("length")).longValue();
                if (n < 0 || 8 * n > bb.remaining()) throw new CheckpointException(where + " is truncated in array '" + name + "'");
                double[] v = new double[(int) n];
                bb.asDoubleBuffer().get(v);
                bb.position(bb.position() + 8 * (int) n);
                arrays.put(name, v);
            }
            if (bb.remaining() != 0) throw new CheckpointException(where + " has " + bb.remaining() + " unexpected trailing bytes");
            @SuppressWarnings("unchecked") Map<String, Object> cfg = (Map<String, Object>) h.get("config");
            @SuppressWarnings("unchecked") Map<String, Object> st = (Map<String, Object>) h.get("state");
            return new Checkpoint((String) h.get("kind"), Group.parse((String) h.get("group")), Lattice.parse((String) h.get("lattice")),
                    ((Number) h.get("beta")).doubleValue(), ((Number) h.get("step")).longValue(), cfg,
                    (String) h.get("param_layout"), st == null ? Map.of() : st, arrays);
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CheckpointException(where + " has a malformed header (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    /** Throws a one-line CheckpointException unless this checkpoint was written for {@code model} at {@code beta}. */
    public void validateFor(String kind, Group group, Lattice lattice, double beta, Map<String, Object> config,
                            String paramLayout, int paramCount) throws CheckpointException {
        String m = "checkpoint does not match the requested model: ";
        if (!kind.equals(this.kind)) throw new CheckpointException(m + "checkpoint kind '" + this.kind + "', requested '" + kind + "'");
        if (group != this.group) throw new CheckpointException(m + "checkpoint group " + this.group + ", requested " + group);
        if (!lattice.equals(this.lattice)) throw new CheckpointException(m + "checkpoint lattice " + this.lattice + ", requested " + lattice);
        if (Double.compare(beta, this.beta) != 0) throw new CheckpointException(m + "checkpoint beta " + this.beta + ", requested " + beta);
        String a = JSON.valueToTree(this.config).toString(), b = JSON.valueToTree(config).toString();
        if (!a.equals(b)) throw new CheckpointException(m + "checkpoint config " + a + ", requested " + b);
        if (!paramLayout.equals(this.paramLayout))
            throw new CheckpointException(m + "parameter layout differs (" + this.paramLayout.length() + " vs " + paramLayout.length() + " chars)");
        if (hasArray("params") && array("params").length != paramCount)
            throw new CheckpointException(m + "checkpoint has " + array("params").length + " parameters, model has " + paramCount);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
