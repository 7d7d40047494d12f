package net.poolsa.appliance.control;

import java.util.Objects;

/**
 * One answer of the control socket. On the wire a single JSON line:
 * {@code {"ok":true,"message":"..."}}, {@code {"ok":false,"error":"CODE","message":"..."}}, and for status
 * additionally {@code "text"} (the report as {@code poolsa status} prints it) and {@code "status"} (the
 * report as JSON, as {@code /status.json} serves it).
 *
 * @param error      a code from {@link ControlProtocol} when not ok, else null
 * @param statusText the text report (status only), else null
 * @param statusJson the JSON report, a complete JSON object written by the appliance (status only), else null
 */
public record ControlReply(boolean ok, String error, String message, String statusText, String statusJson) {
    public ControlReply {
        Objects.requireNonNull(message, "message");
        if (ok == (error != null)) {
            throw new IllegalArgumentException("an error code exactly when not ok");
        }
    }

    public static ControlReply ok(String message) {
        return new ControlReply(true, null, message, null, null);
    }

    public static ControlReply error(String code, String message) {
        return new ControlReply(false, Objects.requireNonNull(code, "code"), message, null, null);
    }

    public static ControlReply status(String text, String json) {
        return new ControlReply(true, null, "status", Objects.requireNonNull(text), Objects.requireNonNull(json));
    }

    /** The reply as one line of JSON, without the newline. */
    public String toJson() {
        StringBuilder b = new StringBuilder("{\"ok\":").append(ok);
        if (error != null) {
            b.append(",\"error\":").append(Json.quote(error));
        }
        b.append(",\"message\":").append(Json.quote(message));
        if (statusText != null) {
            b.append(",\"text\":").append(Json.quote(statusText));
        }
        if (statusJson != null) {
            b.append(",\"status\":").append(statusJson);
        }
        return b.append('}').toString();
    }
}
