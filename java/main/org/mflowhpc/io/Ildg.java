package org.mflowhpc.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.zip.CRC32;

import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.Lattice;

/**
 * One gauge configuration as an ILDG file: a LIME file (records of typed byte strings) holding the ILDG records
 * ildg-format (XML), ildg-data-lfn (the logical file name) and ildg-binary-data, framed by the SciDAC records that
 * QIO-based codes (Chroma) and Grid read, and closed by the SciDAC checksum that ILDG uses.
 *
 * <p>LIME record: a 144-byte header of big-endian fields, magic 0x456789ab (int32), LIME version 1 (int16), flags
 * (uint16: bit 15 = message begin MB, bit 14 = message end ME), data length in bytes (int64), record type (128 bytes,
 * ASCII, NUL-padded); then the data, then zero bytes up to a multiple of 8. Records written, in order:
 * <pre>
 *   message 1: scidac-private-file-xml (MB)  &lt;scidacFile&gt; version 1.1, spacetime 4, dims "lx ly lz lt ", volfmt 0
 *              scidac-file-xml (ME)          &lt;usqcdInfo&gt; version 1.0, plaq, linktr, info (provenance)
 *   message 2: scidac-private-record-xml (MB) &lt;scidacRecord&gt; version 1.1, date, recordtype 0,
 *                                             datatype QDP_D3_ColorMatrix | QDP_F3_ColorMatrix, precision D | F,
 *                                             colors 3, spins 4, typesize 144 | 72, datacount 4
 *              scidac-record-xml             &lt;usqcdInfo&gt; (as above)
 *              ildg-format                   &lt;ildgFormat&gt; version 1.0, field su3gauge, precision 64 | 32, lx ly lz lt
 *              ildg-data-lfn                 the LFN, plain text
 *              ildg-binary-data              the links (below)
 *              scidac-checksum (ME)          &lt;scidacChecksum&gt; version 1.0, suma, sumb (lowercase hex)
 * </pre>
 * Binary data (ILDG): IEEE-754 big-endian, float64 (precision 64) or float32 (precision 32); sites in the order x
 * fastest, then y, z, t; per site the four links U_mu(x), mu = x, y, z, t; each link the 3x3 complex matrix
 * row-major, real part before imaginary part. mflow-hpc's 4D lattice L0xL1xL2xL3 maps to lx = L0, ly = L1,
 * lz = L2, lt = L3 (direction 3 is time, as for the Polyakov loop), and its site index x0 + L0(x1 + L1(x2 + L2 x3))
 * is exactly the ILDG site rank; its link element (i,j) at k = 2(3i+j) (re), 2(3i+j)+1 (im) is the ILDG matrix
 * order. Link convention: U_mu(x) is the link from x to x + mu, plaquette U_mu(x) U_nu(x+mu) U_mu(x+nu)^dag
 * U_nu(x)^dag (docs/conventions.md), the convention of the ILDG codes, so no transposition is applied.
 *
 * <p>SciDAC checksum (the one ILDG files carry): for each site with rank r, c = CRC-32 (the zlib/IEEE 802.3
 * polynomial, {@link CRC32}) of the site's bytes as written; suma = XOR over sites of rotl32(c, r mod 29), sumb = XOR
 * of rotl32(c, r mod 31). usqcdInfo plaq = (1/3) Re tr P averaged over sites and the 6 planes (the mflow plaquette,
 * passed in by the caller); linktr = (1/3) Re tr U averaged over the 4 V links, of the float64 links.
 *
 * <p>Only SU(3) in four dimensions: ILDG defines su3gauge fields (3x3 complex matrices) on four-dimensional
 * lattices; U(1) and d != 4 are refused by {@link #unsupported} (an embedding would change the plaquette and the
 * meaning of the file). Files are written to a temporary name in the target directory, fsynced and renamed.
 */
public final class Ildg {
    private Ildg() {}

    public static final int LIME_MAGIC = 0x456789ab;
    public static final short LIME_VERSION = 1;
    public static final int HEADER_BYTES = 144;

    /** What was written for one configuration. */
    public record Written(Path file, long bytes, int suma, int sumb, double linkTrace) {
        public String sumaHex() { return Integer.toHexString(suma); }
        public String sumbHex() { return Integer.toHexString(sumb); }
    }

    /** Why a configuration of {@code group} on {@code lattice} cannot be written as ILDG, or null if it can. */
    public static String unsupported(Group group, Lattice lattice) {
        if (group != Group.SU3)
            return "ILDG stores SU(3) gauge fields (field su3gauge, 3x3 complex links); this ensemble is " + group
                    + " and ILDG has no U(1) field type (use the HDF5 shards, docs/hdf5-schema.md)";
        if (lattice.d != 4)
            return "ILDG files are four-dimensional (lx, ly, lz, lt); this ensemble is " + lattice.d + "D (" + lattice.spec() + ")";
        return null;
    }

    /**
     * Writes one SU(3) configuration ({@code data[off .. off + 4*V*18)}, mflow layout) as the ILDG file
     * {@code file}. {@code plaquette} is the configuration's mean plaquette (for usqcdInfo), {@code date} the
     * scidacRecord date string, {@code info} a free provenance text (XML-escaped here).
     */
    public static Written write(Path file, Lattice lat, double[] data, int off, int precision, String lfn, double plaquette,
                                String info, String date) throws IOException {
        String why = unsupported(Group.SU3, lat);
        if (why != null) throw new IllegalArgumentException(why);
        if (precision != 64 && precision != 32) throw new IllegalArgumentException("ILDG precision must be 32 or 64, got " + precision);
        int V = lat.volume;
        if (off < 0 || (long) off + 4L * V * 18 > data.length) throw new IllegalArgumentException("ILDG: configuration data out of range");
        int word = precision / 8;
        int siteBytes = 4 * 18 * word;
        long binBytes = (long) V * siteBytes;
        double linkTrace = 0;
        for (int mu = 0; mu < 4; mu++)
            for (int s = 0; s < V; s++) {
                int o = off + (mu * V + s) * 18;
                linkTrace += data[o] + data[o + 8] + data[o + 16];
            }
        linkTrace /= 3.0 * 4 * V;
        String dims = lat.extent(0) + " " + lat.extent(1) + " " + lat.extent(2) + " " + lat.extent(3) + " ";
        String usqcd = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><usqcdInfo><version>1.0</version><plaq>" + num(plaquette)
                + "</plaq><linktr>" + num(linkTrace) + "</linktr><info>" + xml(info) + "</info></usqcdInfo>";
        String privFile = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><scidacFile><version>1.1</version><spacetime>4</spacetime><dims>"
                + dims + "</dims><volfmt>0</volfmt></scidacFile>";
        String privRecord = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><scidacRecord><version>1.1</version><date>" + xml(date)
                + "</date><recordtype>0</recordtype><datatype>" + (precision == 64 ? "QDP_D3_ColorMatrix" : "QDP_F3_ColorMatrix")
                + "</datatype><precision>" + (precision == 64 ? "D" : "F") + "</precision><colors>3</colors><spins>4</spins><typesize>"
                + (18 * word) + "</typesize><datacount>4</datacount></scidacRecord>";
        String format = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ildgFormat xmlns=\"http://www.lqcd.org/ildg\""
                + " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
                + " xsi:schemaLocation=\"http://www.lqcd.org/ildg http://www.lqcd.org/ildg/filefmt.xsd\">\n"
                + "  <version>1.0</version>\n  <field>su3gauge</field>\n  <precision>" + precision + "</precision>\n"
                + "  <lx>" + lat.extent(0) + "</lx>\n  <ly>" + lat.extent(1) + "</ly>\n  <lz>" + lat.extent(2) + "</lz>\n  <lt>"
                + lat.extent(3) + "</lt>\n</ildgFormat>\n";

        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        int suma = 0, sumb = 0;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            record(ch, true, false, "scidac-private-file-xml", privFile);
            record(ch, false, true, "scidac-file-xml", usqcd);
            record(ch, true, false, "scidac-private-record-xml", privRecord);
            record(ch, false, false, "scidac-record-xml", usqcd);
            record(ch, false, false, "ildg-format", format);
            record(ch, false, false, "ildg-data-lfn", lfn);
            writeFully(ch, header(false, false, binBytes, "ildg-binary-data"));
            CRC32 crc = new CRC32();
            int sitesPerChunk = Math.max(1, (1 << 20) / siteBytes);
            ByteBuffer bb = ByteBuffer.allocate(sitesPerChunk * siteBytes).order(ByteOrder.BIG_ENDIAN);
            for (int s0 = 0; s0 < V; s0 += sitesPerChunk) {
                bb.clear();
                int s1 = Math.min(V, s0 + sitesPerChunk);
                for (int s = s0; s < s1; s++) {
                    int start = bb.position();
                    for (int mu = 0; mu < 4; mu++) {
                        int o = off + (mu * V + s) * 18;
                        for (int k = 0; k < 18; k++) {
                            if (precision == 64) bb.putDouble(data[o + k]);
                            else bb.putFloat((float) data[o + k]);
                        }
                    }
                    crc.reset();
                    crc.update(bb.array(), start, siteBytes);
                    int c = (int) crc.getValue();
                    suma ^= Integer.rotateLeft(c, s % 29);
                    sumb ^= Integer.rotateLeft(c, s % 31);
                }
                bb.flip();
                writeFully(ch, bb);
            }
            writeFully(ch, ByteBuffer.allocate(pad(binBytes)));
            String cks = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><scidacChecksum><version>1.0</version><suma>"
                    + Integer.toHexString(suma) + "</suma><sumb>" + Integer.toHexString(sumb) + "</sumb></scidacChecksum>";
            record(ch, false, true, "scidac-checksum", cks);
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return new Written(file, Files.size(file), suma, sumb, linkTrace);
    }

    /** The 144-byte LIME header of a record (see the class comment). */
    static ByteBuffer header(boolean mb, boolean me, long length, String type) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        if (t.length > 127) throw new IllegalArgumentException("LIME record type longer than 127 bytes: " + type);
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.BIG_ENDIAN);
        h.putInt(LIME_MAGIC);
        h.putShort(LIME_VERSION);
        h.putShort((short) ((mb ? 0x8000 : 0) | (me ? 0x4000 : 0)));
        h.putLong(length);
        h.put(t);
        h.position(HEADER_BYTES);
        h.flip();
        return h;
    }

    private static void record(FileChannel ch, boolean mb, boolean me, String type, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        writeFully(ch, header(mb, me, b.length, type));
        writeFully(ch, ByteBuffer.wrap(b));
        writeFully(ch, ByteBuffer.allocate(pad(b.length)));
    }

    private static int pad(long n) { return (int) ((8 - n % 8) % 8); }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Shortest round-trip decimal of a double (Java's Double.toString, locale-independent). */
    private static String num(double v) { return String.format(Locale.ROOT, "%s", Double.toString(v)); }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
