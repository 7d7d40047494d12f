package net.poolsa.appliance.control;

import java.util.Map;
import java.util.Set;

/**
 * The control socket's protocol: newline-delimited JSON over a Unix stream socket, one request object per
 * line, one reply object per line ({@link ControlReply}), answered in order. Requests:
 * <pre>
 * {"command":"status"}
 * {"command":"initiate","connection":"NAME"}
 * {"command":"terminate","connection":"NAME"}
 * </pre>
 * A line longer than {@link #MAX_REQUEST_BYTES} or more than {@link #MAX_PENDING} unanswered requests get an
 * error reply and the connection is closed; any other bad request gets an error reply and the connection
 * stays usable. Documented for operators in {@code appliance/README.md}.
 */
public final class ControlProtocol {
    /** Longest request line, newline excluded: a command and a connection name need far less. */
    public static final int MAX_REQUEST_BYTES = 4096;
    /** Requests a client may queue on one connection before it must read answers. */
    public static final int MAX_PENDING = 8;

    /** Error codes (the {@code error} field). */
    public static final String MALFORMED_REQUEST = "malformed_request";
    public static final String REQUEST_TOO_LONG = "request_too_long";
    public static final String TOO_MANY_REQUESTS = "too_many_requests";
    public static final String UNKNOWN_COMMAND = "unknown_command";
    public static final String UNKNOWN_CONNECTION = "unknown_connection";
    public static final String MANUALLY_KEYED = "manually_keyed";
    public static final String NOT_INSTALLED = "not_installed";
    public static final String IKE_UNAVAILABLE = "ike_unavailable";
    public static final String INTERNAL_ERROR = "internal_error";

    public static final String STATUS = "status";
    public static final String INITIATE = "initiate";
    public static final String TERMINATE = "terminate";

    private static final Set<String> FIELDS = Set.of("command", "connection");

    private ControlProtocol() {
    }

    /** A parsed request; {@code connection} is null for status. */
    public record Request(String command, String connection) {
        /** The request as one JSON line, without the newline (what the CLI sends). */
        public String toJson() {
            return "{\"command\":" + Json.quote(command) + (connection == null ? "" : ",\"connection\":" + Json.quote(connection)) + "}";
        }
    }

    /** A request that cannot be carried out as sent; {@link #reply()} says why. */
    public static final class BadRequest extends Exception {
        private final transient ControlReply reply;

        BadRequest(String code, String message) {
            super(message, null, false, false);
            this.reply = ControlReply.error(code, message);
        }

        public ControlReply reply() {
            return reply;
        }
    }

    public static Request parse(String line) throws BadRequest {
        Object tree;
        try {
            tree = Json.parse(line);
        } catch (Json.JsonException e) {
            throw new BadRequest(MALFORMED_REQUEST, "not JSON: " + e.getMessage());
        }
        if (!(tree instanceof Map<?, ?> m)) {
            throw new BadRequest(MALFORMED_REQUEST, "a request is a JSON object");
        }
        for (Object k : m.keySet()) {
            if (!FIELDS.contains(k)) {
                throw new BadRequest(MALFORMED_REQUEST, "unknown field " + Json.quote((String) k) + "; fields: command, connection");
            }
        }
        if (!(m.get("command") instanceof String command)) {
            throw new BadRequest(MALFORMED_REQUEST, "\"command\" must be a string");
        }
        Object connection = m.get("connection");
        switch (command) {
            case STATUS -> {
                if (connection != null) {
                    throw new BadRequest(MALFORMED_REQUEST, "status takes no connection");
                }
                return new Request(command, null);
            }
            case INITIATE, TERMINATE -> {
                if (!(connection instanceof String name) || name.isEmpty()) {
                    throw new BadRequest(MALFORMED_REQUEST, command + " needs \"connection\": a non-empty string");
                }
                return new Request(command, name);
            }
            default -> throw new BadRequest(UNKNOWN_COMMAND, "unknown command " + Json.quote(command)
                    + "; commands: status, initiate, terminate");
        }
    }
}
