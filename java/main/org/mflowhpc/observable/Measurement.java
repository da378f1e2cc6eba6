/*
 * Contract: a named table of per-configuration measurements: an ordered map name -> double[n], every column of the
 * same length n (the number of configurations, in ensemble order). Names are unique and kept in insertion order.
 * toTsv() writes a header line "config<TAB>name1<TAB>..." and one line per configuration with values in %.17g
 * (round-trip exact). append() concatenates two tables with the same column names (e.g. successive batches).
 */
package org.mflowhpc.observable;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Per-configuration measurement table (not thread-safe). */
public final class Measurement {
    private final int n;
    private final Map<String, double[]> cols = new LinkedHashMap<>();

    public Measurement(int nConfigs) {
        if (nConfigs < 0) throw new IllegalArgumentException("number of configurations must be >= 0, got " + nConfigs);
        this.n = nConfigs;
    }

    /** Number of configurations (rows). */
    public int size() { return n; }

    /** Adds or replaces a column; values.length must equal size(). The array is stored, not copied. */
    public Measurement put(String name, double[] values) {
        if (name == null || name.isBlank() || name.contains("\t") || name.contains("\n"))
            throw new IllegalArgumentException("bad measurement name '" + name + "'");
        if (values.length != n)
            throw new IllegalArgumentException("measurement '" + name + "' has " + values.length + " values, table has " + n + " configurations");
        cols.put(name, values);
        return this;
    }

    public boolean has(String name) { return cols.containsKey(name); }

    /** The column (not a copy); IllegalArgumentException naming the available columns if absent. */
    public double[] get(String name) {
        double[] v = cols.get(name);
        if (v == null) throw new IllegalArgumentException("no measurement '" + name + "' (have " + cols.keySet() + ")");
        return v;
    }

    public List<String> names() { return Collections.unmodifiableList(new ArrayList<>(cols.keySet())); }

    /** Rows of this table followed by rows of other; both must have the same column names in the same order. */
    public Measurement append(Measurement other) {
        if (!names().equals(other.names()))
            throw new IllegalArgumentException("cannot append measurements with columns " + other.names() + " to " + names());
        Measurement m = new Measurement(n + other.n);
        for (String k : cols.keySet()) {
            double[] a = cols.get(k), b = other.cols.get(k), c = new double[n + other.n];
            System.arraycopy(a, 0, c, 0, n);
            System.arraycopy(b, 0, c, n, other.n);
            m.put(k, c);
        }
        return m;
    }

    /** Tab-separated table with a header; first column is the configuration index. */
    public String toTsv() {
        StringBuilder sb = new StringBuilder("config");
        for (String k : cols.keySet()) sb.append('\t').append(k);
        sb.append('\n');
        for (int i = 0; i < n; i++) {
            sb.append(i);
            for (double[] v : cols.values()) sb.append('\t').append(String.format(java.util.Locale.ROOT, "%.17g", v[i]));
            sb.append('\n');
        }
        return sb.toString();
    }

    @Override public String toString() { return "Measurement[" + n + " configs, " + cols.keySet() + "]"; }
}
