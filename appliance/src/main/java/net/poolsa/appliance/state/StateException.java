package net.poolsa.appliance.state;

/** The state directory or a file in it cannot be used; the message names the path and says what to do. */
public final class StateException extends Exception {
    private static final long serialVersionUID = 1L;

    public StateException(String message) {
        super(message);
    }

    public StateException(String message, Throwable cause) {
        super(message, cause);
    }
}
