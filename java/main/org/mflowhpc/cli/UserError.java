package org.mflowhpc.cli;

/** A problem with the user's input (options, run card, files): reported as one line, exit status 2. */
public class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public UserError(String message) { super(message); }
    public UserError(String message, Throwable cause) { super(message, cause); }
}
