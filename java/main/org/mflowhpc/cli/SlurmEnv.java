package org.mflowhpc.cli;

import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The one place that reads the SLURM environment. Every command that needs the job, the array task or the restart
 * count asks this class; nothing else calls {@code System.getenv("SLURM_...")}.
 *
 * <p>Variables (as sbatch sets them; all optional):
 * <pre>
 *   SLURM_JOB_ID            this job's id (an array task has its own)         jobId()        long >= 0
 *   SLURM_ARRAY_JOB_ID      the array's master job id                         arrayJobId()   long >= 0
 *   SLURM_ARRAY_TASK_ID     index of this array task                          taskId()       int  >= 0 (0 outside arrays)
 *   SLURM_ARRAY_TASK_COUNT  number of tasks in the array                      taskCount()    int  >= 1
 *   SLURM_ARRAY_TASK_MIN/MAX  smallest / largest task index of the array      checked: MIN <= task <= MAX
 *   SLURM_RESTART_COUNT     how often the job was requeued                    restartCount() int  >= 0 (0 if unset)
 * </pre>
 * Values are parsed strictly (decimal digits only, surrounding blanks ignored, within range). A malformed value
 * (e.g. {@code SLURM_ARRAY_TASK_ID=abc} or {@code -3}) is a {@link UserError} with one line naming the variable,
 * the value and what is expected; it is raised by the accessor that needs the value, so a command that does not
 * use the task id (e.g. {@code generate}) is not stopped by it, while {@link #validate} checks all variables at
 * once. {@link #underSlurm} only asks whether SLURM_JOB_ID is set (progress bars become plain log lines).
 *
 * <p>Used by {@code sample} (task id: the task's own Philox streams, {@code RngStream.taskSeed(seed, task)}),
 * {@link Progress} and {@code info}; SLURM job templates and the ensemble tools use it for the same reasons.
 * Construct with {@link #current()} (the process environment) or {@link #of(Map)} (tests, embedding).
 */
public final class SlurmEnv {
    public static final String JOB_ID = "SLURM_JOB_ID";
    public static final String ARRAY_JOB_ID = "SLURM_ARRAY_JOB_ID";
    public static final String ARRAY_TASK_ID = "SLURM_ARRAY_TASK_ID";
    public static final String ARRAY_TASK_COUNT = "SLURM_ARRAY_TASK_COUNT";
    public static final String ARRAY_TASK_MIN = "SLURM_ARRAY_TASK_MIN";
    public static final String ARRAY_TASK_MAX = "SLURM_ARRAY_TASK_MAX";
    public static final String RESTART_COUNT = "SLURM_RESTART_COUNT";

    private final Map<String, String> env;

    private SlurmEnv(Map<String, String> env) { this.env = Map.copyOf(env); }

    /** The SLURM variables of this process. */
    public static SlurmEnv current() {
        java.util.Map<String, String> m = new java.util.HashMap<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet())
            if (e.getKey().startsWith("SLURM_")) m.put(e.getKey(), e.getValue());
        return new SlurmEnv(m);
    }

    /** From an explicit variable map (only the SLURM_* entries matter). */
    public static SlurmEnv of(Map<String, String> env) {
        java.util.Map<String, String> m = new java.util.HashMap<>();
        for (Map.Entry<String, String> e : env.entrySet())
            if (e.getKey() != null && e.getValue() != null && e.getKey().startsWith("SLURM_")) m.put(e.getKey(), e.getValue());
        return new SlurmEnv(m);
    }

    private String raw(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** True when SLURM_JOB_ID is set (this process runs inside a SLURM job). */
    public boolean underSlurm() { return raw(JOB_ID) != null; }

    /** True when SLURM_ARRAY_TASK_ID is set. */
    public boolean isArrayTask() { return raw(ARRAY_TASK_ID) != null; }

    public OptionalLong jobId() {
        String v = raw(JOB_ID);
        return v == null ? OptionalLong.empty() : OptionalLong.of(parse(JOB_ID, v, 0, Long.MAX_VALUE, "a job id"));
    }

    public OptionalLong arrayJobId() {
        String v = raw(ARRAY_JOB_ID);
        return v == null ? OptionalLong.empty() : OptionalLong.of(parse(ARRAY_JOB_ID, v, 0, Long.MAX_VALUE, "a job id"));
    }

    /**
     * This array task's index, 0 outside an array. Checked against SLURM_ARRAY_TASK_MIN/MAX when they are set.
     */
    public int taskId() {
        String v = raw(ARRAY_TASK_ID);
        if (v == null) return 0;
        int t = (int) parse(ARRAY_TASK_ID, v, 0, Integer.MAX_VALUE, "an array task index");
        OptionalInt lo = optInt(ARRAY_TASK_MIN, 0), hi = optInt(ARRAY_TASK_MAX, 0);
        if (lo.isPresent() && hi.isPresent() && lo.getAsInt() > hi.getAsInt())
            throw new UserError(ARRAY_TASK_MIN + "=" + lo.getAsInt() + " exceeds " + ARRAY_TASK_MAX + "=" + hi.getAsInt());
        if (lo.isPresent() && t < lo.getAsInt() || hi.isPresent() && t > hi.getAsInt())
            throw new UserError(ARRAY_TASK_ID + "=" + t + " lies outside the array's range [" + (lo.isPresent() ? lo.getAsInt() : 0) + ", "
                    + (hi.isPresent() ? String.valueOf(hi.getAsInt()) : "...") + "] (" + ARRAY_TASK_MIN + "/" + ARRAY_TASK_MAX + ")");
        return t;
    }

    /** Number of tasks in the array (SLURM_ARRAY_TASK_COUNT), if set. */
    public OptionalInt taskCount() { return optInt(ARRAY_TASK_COUNT, 1); }

    /** How often this job was requeued (SLURM_RESTART_COUNT, 0 if unset). */
    public int restartCount() {
        OptionalInt r = optInt(RESTART_COUNT, 0);
        return r.isPresent() ? r.getAsInt() : 0;
    }

    /** Parses every variable this class knows; throws the first {@link UserError}. */
    public SlurmEnv validate() {
        jobId();
        arrayJobId();
        taskCount();
        restartCount();
        taskId();
        return this;
    }

    /** One line for logs and {@code mflow info}: "job 123 (array 120, task 3 of 8), restart 1" or "not under SLURM". */
    public String describe() {
        if (!underSlurm() && !isArrayTask()) return "not under SLURM";
        StringBuilder sb = new StringBuilder();
        if (underSlurm()) sb.append("job ").append(jobId().getAsLong());
        if (isArrayTask()) {
            sb.append(sb.length() > 0 ? " (" : "(");
            if (arrayJobId().isPresent()) sb.append("array ").append(arrayJobId().getAsLong()).append(", ");
            sb.append("task ").append(taskId());
            if (taskCount().isPresent()) sb.append(" of ").append(taskCount().getAsInt());
            sb.append(')');
        }
        if (restartCount() > 0) sb.append(", restart ").append(restartCount());
        return sb.toString();
    }

    private OptionalInt optInt(String name, int min) {
        String v = raw(name);
        return v == null ? OptionalInt.empty() : OptionalInt.of((int) parse(name, v, min, Integer.MAX_VALUE, "an integer >= " + min));
    }

    private static long parse(String name, String v, long min, long max, String what) {
        boolean digits = !v.isEmpty() && v.length() <= 19;
        for (int i = 0; i < v.length() && digits; i++) digits = v.charAt(i) >= '0' && v.charAt(i) <= '9';
        long x;
        try {
            x = digits ? Long.parseLong(v) : -1;
        } catch (NumberFormatException e) {
            x = -1;
            digits = false;
        }
        if (!digits || x < min || x > max)
            throw new UserError(name + "='" + (v.length() > 40 ? v.substring(0, 40) + "..." : v) + "' is not " + what
                    + " (expected decimal digits, " + min + " to " + max + ")");
        return x;
    }
}
