package org.mflowhpc.report;

/**
 * A problem with the report's input (a directory that is neither an ensemble nor a training run, a corrupt shard
 * or checkpoint, an empty ensemble, an output that already exists): the message is one line naming the file and
 * the problem; `mflow report` prints it and exits with status 2 before writing anything.
 */
public final class ReportException extends Exception {
    private static final long serialVersionUID = 1L;
    public ReportException(String message) { super(message); }
    public ReportException(String message, Throwable cause) { super(message, cause); }
}
