package org.mflowhpc.io;

import java.io.IOException;

/** A checkpoint that cannot be used: unreadable, corrupted, or made for another model. The message is one line. */
public final class CheckpointException extends IOException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) { super(message); }
    public CheckpointException(String message, Throwable cause) { super(message, cause); }
}
