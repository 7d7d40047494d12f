package net.poolsa.esp.sa;

/** An inclusive range of transport ports, as in IKE traffic selectors. */
public record PortRange(int from, int to) {
    public static final PortRange ANY = new PortRange(0, 65535);

    public PortRange {
        if (from < 0 || to > 65535 || from > to) {
            throw new IllegalArgumentException("port range " + from + "-" + to + " is not within 0-65535 in order");
        }
    }

    public static PortRange of(int port) {
        return new PortRange(port, port);
    }

    /** Parses "any", "443" or "1024-65535". */
    public static PortRange parse(String text) {
        String t = text.trim();
        if (t.equalsIgnoreCase("any")) {
            return ANY;
        }
        try {
            int dash = t.indexOf('-');
            if (dash < 0) {
                return of(Integer.parseInt(t));
            }
            return new PortRange(Integer.parseInt(t.substring(0, dash).trim()), Integer.parseInt(t.substring(dash + 1).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a port or port range");
        }
    }

    public boolean contains(int port) {
        return port >= from && port <= to;
    }

    public boolean isAny() {
        return from == 0 && to == 65535;
    }

    public int size() {
        return to - from + 1;
    }

    @Override
    public String toString() {
        return isAny() ? "any" : from == to ? Integer.toString(from) : from + "-" + to;
    }
}
