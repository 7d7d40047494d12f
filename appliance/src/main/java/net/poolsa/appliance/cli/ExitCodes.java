package net.poolsa.appliance.cli;

/**
 * Exit codes of {@code poolsa}, stable so that scripts and systemd ({@code RestartPreventExitStatus}) can
 * act on them. Documented in {@code poolsa --help}.
 */
public final class ExitCodes {
    /** Success. */
    public static final int OK = 0;
    /** An unexpected internal error (a bug: please report the log). */
    public static final int FAILURE = 1;
    /** Wrong command-line usage. */
    public static final int USAGE = 2;
    /** The configuration file or a secret file is invalid; the message names file, line and field. */
    public static final int CONFIG = 3;
    /** The process lacks CAP_NET_RAW or CAP_NET_ADMIN. */
    public static final int PRIVILEGES = 4;
    /** libpcap cannot be loaded. */
    public static final int NO_LIBPCAP = 5;
    /** A needed part is not in this build (data path, IKE keying, demo). */
    public static final int UNAVAILABLE = 6;
    /** {@code status}, {@code initiate}, {@code terminate}: no running instance answered. */
    public static final int NOT_RUNNING = 7;
    /** {@code run}: startup failed (metrics port in use, an interface missing, ...). */
    public static final int STARTUP = 8;
    /** {@code initiate}, {@code terminate}: the running instance refused (unknown connection, manual keys, no IKE). */
    public static final int REFUSED = 9;
    /** {@code initiate}, {@code terminate}: no result within {@code --timeout}; the instance goes on with it. */
    public static final int PENDING = 10;

    private ExitCodes() {
    }

    static final String HELP = """
            Exit codes:
              0  success
              1  internal error (a bug: please report the log)
              2  wrong command-line usage
              3  invalid configuration or secret file (the message names file:line: field)
              4  missing capability CAP_NET_RAW or CAP_NET_ADMIN
              5  libpcap cannot be loaded
              6  a needed part is not in this build (data path, IKE keying, demo)
              7  status, initiate, terminate: no running instance answered
              8  run: startup failed (metrics port in use, control socket held by
                 another instance, data path did not start)
              9  initiate, terminate: the running instance refused the command, or
                 the negotiation failed (the message says why)
             10  initiate, terminate: no result within --timeout; the instance goes
                 on negotiating (poolsa status shows how far it got)""";
}
