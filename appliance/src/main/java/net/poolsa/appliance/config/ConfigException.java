package net.poolsa.appliance.config;

import java.nio.file.Path;

/**
 * A configuration that cannot be used, with the place to fix it: {@code FILE:LINE: FIELD: what is wrong}.
 * The message never contains secret material, only paths and field names.
 */
public final class ConfigException extends Exception {
    private final transient Path file;
    private final int line;
    private final String field;

    public ConfigException(Path file, int line, String field, String problem) {
        super(file + ":" + (line > 0 ? line : "?") + ": " + (field == null || field.isEmpty() ? "" : field + ": ") + problem);
        this.file = file;
        this.line = line;
        this.field = field;
    }

    public Path file() {
        return file;
    }

    /** 1-based line in the file, or 0 when unknown. */
    public int line() {
        return line;
    }

    /** Dotted path of the field, e.g. {@code connections.site-b.local-outer[1]}. */
    public String field() {
        return field;
    }
}
