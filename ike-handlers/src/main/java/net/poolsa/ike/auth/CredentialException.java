package net.poolsa.ike.auth;

import java.nio.file.Path;

/**
 * A credential file the configuration names cannot be used: unreadable, not the PEM/DER it should be, an
 * encrypted key, a key that does not belong to its certificate, a CA that is not a CA. The message starts with
 * the file's path and says what is wrong with it; it never quotes the file's content.
 */
public final class CredentialException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public CredentialException(Path file, String problem) {
        this(file, problem, null);
    }

    public CredentialException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file the problem is in. */
    public Path file() {
        return file;
    }
}
