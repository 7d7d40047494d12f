package net.poolsa.appliance.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP reloads, SIGTERM and SIGINT stop in order (so {@code run} exits 0, which systemd reads as a clean
 * stop). sun.misc.Signal is the JDK's supported way (module jdk.unsupported) to catch these; the
 * handlers only hand work to other threads.
 */
final class SignalHandlers {
    private static final Logger LOG = LoggerFactory.getLogger(SignalHandlers.class);

    private SignalHandlers() {
    }

    static void install(Runnable reload, Runnable stop) {
        SignalHandler before = Signal.handle(new Signal("HUP"), s -> {
            LOG.info("event=signal signal=HUP action=reload");
            Thread t = new Thread(reload, "poolsa-reload");
            t.start();
        });
        if (before == SignalHandler.SIG_IGN) {
            // The JVM leaves a signal that was ignored at its start ignored (nohup does that): the handler above
            // is then never called, and a SIGHUP would silently not reload.
            LOG.warn("event=signal_ignored signal=HUP action=none: poolsa was started with SIGHUP ignored (nohup?), so"
                    + " SIGHUP cannot reload the configuration; start it without nohup (systemd, setsid) to reload by"
                    + " signal, or restart it to apply a changed configuration");
        }
        Signal.handle(new Signal("TERM"), s -> stop.run());
        Signal.handle(new Signal("INT"), s -> stop.run());
    }
}
