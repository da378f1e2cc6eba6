package org.mflowhpc.backend.cuda;

/**
 * The GPU has too little free memory for a requested buffer even after the backend returned its pooled memory and
 * the garbage collector released unreachable buffers. An input problem (a batch or lattice too large for the device),
 * so it is an IllegalArgumentException: the CLI prints it as one line {@code mflow <cmd>: error: GPU out of memory:
 * ...} and exits with status 2.
 */
public final class DeviceOutOfMemoryException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public DeviceOutOfMemoryException(String message) { super(message); }
}
