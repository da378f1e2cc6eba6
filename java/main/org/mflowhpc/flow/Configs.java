package org.mflowhpc.flow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Typed reads of model configuration maps (run cards, checkpoints, --model-option): a wrong type gives a one-line
 * IllegalArgumentException naming the key, never a ClassCastException.
 */
public final class Configs {
    private Configs() {}

    public static int intOf(Map<String, Object> c, String k, int def) {
        Object v = c.get(k);
        if (v == null) return def;
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.intValue();
        throw new IllegalArgumentException("model option " + k + " must be an integer, got '" + v + "'");
    }

    public static long longOf(Map<String, Object> c, String k, long def) {
        Object v = c.get(k);
        if (v == null) return def;
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.longValue();
        throw new IllegalArgumentException("model option " + k + " must be an integer, got '" + v + "'");
    }

    public static double doubleOf(Map<String, Object> c, String k, double def) {
        Object v = c.get(k);
        if (v == null) return def;
        if (v instanceof Number n) return n.doubleValue();
        throw new IllegalArgumentException("model option " + k + " must be a number, got '" + v + "'");
    }

    public static boolean boolOf(Map<String, Object> c, String k, boolean def) {
        Object v = c.get(k);
        if (v == null) return def;
        if (v instanceof Boolean b) return b;
        String s = String.valueOf(v);
        if (s.equals("true") || s.equals("false")) return Boolean.parseBoolean(s);
        throw new IllegalArgumentException("model option " + k + " must be true or false, got '" + v + "'");
    }

    public static String stringOf(Map<String, Object> c, String k, String def) {
        Object v = c.get(k);
        return v == null ? def : String.valueOf(v);
    }

    /** A list of integers: a List of numbers, an int[], or a single integer (a one-element list). */
    public static int[] intsOf(Map<String, Object> c, String k, int[] def) {
        Object v = c.get(k);
        if (v == null) return def;
        if (v instanceof int[] a) return a.clone();
        if (v instanceof Number) return new int[] {intOf(c, k, 0)};
        if (v instanceof List<?> l) {
            int[] r = new int[l.size()];
            for (int i = 0; i < r.length; i++) {
                Object x = l.get(i);
                if (!(x instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()))
                    throw new IllegalArgumentException("model option " + k + " must be a list of integers, got '" + v + "'");
                r[i] = n.intValue();
            }
            return r;
        }
        throw new IllegalArgumentException("model option " + k + " must be a list of integers, got '" + v + "'");
    }

    /** A list of strings: a List (each entry as its string), or a single value (a one-element list). */
    public static List<String> stringsOf(Map<String, Object> c, String k, List<String> def) {
        Object v = c.get(k);
        if (v == null) return def;
        List<String> r = new ArrayList<>();
        if (v instanceof List<?> l) for (Object x : l) r.add(String.valueOf(x));
        else r.add(String.valueOf(v));
        return r;
    }

    public static List<Integer> toList(int[] a) {
        List<Integer> l = new ArrayList<>();
        for (int x : a) l.add(x);
        return l;
    }
}
