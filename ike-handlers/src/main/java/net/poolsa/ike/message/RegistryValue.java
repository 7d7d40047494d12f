package net.poolsa.ike.message;

import java.util.HashMap;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * An entry of an open IANA registry: a number and, for the numbers this code knows, a name. A number it
 * does not know is still a value (named {@code PREFIX(n)}) so it survives a decode/encode round trip and
 * the code that understands the message, not the codec, decides whether to refuse it. Two values are
 * equal when they are of the same registry and carry the same number.
 */
abstract class RegistryValue {
    private final int code;
    private final String name;
    private final boolean known;

    RegistryValue(int code, String name, boolean known) {
        this.code = code;
        this.name = name;
        this.known = known;
    }

    /** The number on the wire (a 4-byte registry keeps its unsigned value in the int's 32 bits). */
    public int code() {
        return code;
    }

    /** True for the registry values this class names. */
    public boolean isKnown() {
        return known;
    }

    /** The name of an unknown number: {@code prefix(n)}, n unsigned. */
    static String unknownName(String prefix, int code) {
        return prefix + "(" + Integer.toUnsignedString(code) + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && ((RegistryValue) o).code == code;
    }

    @Override
    public int hashCode() {
        return getClass().hashCode() * 31 + code;
    }

    @Override
    public String toString() {
        return name;
    }

    /** The known values of one registry; a lookup of a known number allocates nothing. */
    static final class Table<T extends RegistryValue> {
        private final Object[] small = new Object[256];
        private final Map<Integer, T> large = new HashMap<>();

        T add(T value) {
            int c = value.code();
            if (c >= 0 && c < small.length) {
                small[c] = value;
            } else {
                large.put(c, value);
            }
            return value;
        }

        @SuppressWarnings("unchecked")
        T of(int code, IntFunction<T> unknown) {
            T v = code >= 0 && code < small.length ? (T) small[code] : large.get(code);
            return v != null ? v : unknown.apply(code);
        }
    }
}
