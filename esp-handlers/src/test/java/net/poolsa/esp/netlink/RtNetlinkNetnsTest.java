package net.poolsa.esp.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import net.poolsa.esp.netns.Netns;
import net.poolsa.esp.path.LocalAddress;
import net.poolsa.esp.path.PathMonitor;
import net.poolsa.esp.path.PathTimers;
import net.poolsa.esp.path.UplinkWatcher;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.sa.OuterAddress;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root (a network namespace). The reader's socket, opened inside a namespace, reports what {@code ip} does
 * there: the interface index it decodes is the one {@code ip -o link} prints, and the uplink watcher turns carrier
 * loss, carrier back and the address's removal into the local address becoming unusable, usable, unusable.
 */
@Tag("root")
class RtNetlinkNetnsTest {
    private static final Pattern INDEX = Pattern.compile("^(\\d+): up1@");

    @Test
    void eventsFromANamespaceDriveTheUplinkState() throws Exception {
        try (Netns ns = Netns.create("psa-rtnl")) {
            ns.exec("ip", "link", "add", "up1", "type", "veth", "peer", "name", "up1p");
            ns.exec("ip", "addr", "add", "198.51.100.1/29", "dev", "up1");
            ns.exec("ip", "link", "set", "up1p", "up");
            ns.exec("ip", "link", "set", "up1", "up");
            Matcher m = INDEX.matcher(ns.exec("ip", "-o", "link", "show", "up1"));
            assertTrue(m.find());
            int index = Integer.parseInt(m.group(1));

            OuterAddress local = OuterAddress.parse("198.51.100.1");
            List<ByteBuf> probes = new ArrayList<>();
            PathMonitor monitor = new PathMonitor(List.of(new LocalAddress(local, 29, "up1")), List.of(OuterAddress.parse("198.51.100.2")),
                    PathTimers.DEFAULTS, probes::add, PooledByteBufAllocator.DEFAULT, DataPathListener.NONE);
            UplinkWatcher watcher = new UplinkWatcher(monitor);
            LinkedBlockingQueue<List<RtEvent>> batches = new LinkedBlockingQueue<>();
            RtNetlinkReader reader = new RtNetlinkReader((events, full, nanos) -> batches.add(events), "test-rtnetlink");
            try {
                List<RtEvent> state = inNamespace(ns, reader::start);
                assertTrue(state.stream().anyMatch(e -> e instanceof RtEvent.Link l && l.index() == index && "up1".equals(l.name())
                        && l.usable()), "the dump has up1 with the index ip prints: " + state);
                watcher.apply(state, true, 0, 0);
                assertTrue(usable(monitor));
                assertEquals(Math.max(-20, nice("thread-self") - ThreadNice.RAISE), readerNice("test-rtnetlink"),
                        "the reader starts a local failover: raised above the process's threads");

                ns.exec("ip", "link", "set", "up1p", "down");
                assertTrue(await(batches, watcher, monitor, false), "carrier lost");
                ns.exec("ip", "link", "set", "up1p", "up");
                assertTrue(await(batches, watcher, monitor, true), "carrier back");
                ns.exec("ip", "addr", "del", "198.51.100.1/29", "dev", "up1");
                assertTrue(await(batches, watcher, monitor, false), "address removed");
                assertEquals(0, reader.malformed());
            } finally {
                reader.close();
                probes.forEach(ByteBuf::release);
            }
        }
    }

    /** The nice value of a thread: field 19 of its /proc stat ({@code task}: "thread-self" or "self/task/TID"). */
    private static int nice(String task) throws java.io.IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", task, "stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
    }

    /** The nice value of this process's thread named {@code name}, once it has set it (within 5 s). */
    private static int readerNice(String name) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        int nice;
        do {
            nice = Integer.MIN_VALUE;
            try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
                for (java.nio.file.Path t : tasks.toList()) {
                    if (java.nio.file.Files.readString(t.resolve("comm")).strip().equals(name)) {
                        nice = nice("self/task/" + t.getFileName());
                    }
                }
            }
            if (nice != Integer.MIN_VALUE && nice != nice("thread-self")) {
                return nice;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return nice;
    }

    private static boolean usable(PathMonitor m) {
        return m.paths().get(0).localUsable();
    }

    /** Applies batches as they come until the uplink is {@code want}; false after 10 s. */
    private static boolean await(LinkedBlockingQueue<List<RtEvent>> batches, UplinkWatcher w, PathMonitor m, boolean want)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            List<RtEvent> b = batches.poll(100, TimeUnit.MILLISECONDS);
            if (b != null) {
                w.apply(b, false, System.nanoTime(), System.nanoTime());
                if (usable(m) == want) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Runs {@code task} on a fresh thread that first joins {@code ns}'s network namespace (setns(2) is per thread). */
    static <T> T inNamespace(Netns ns, java.util.function.Supplier<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                int fd = NetlinkLibC.open("/var/run/netns/" + ns.name(), 0);
                try {
                    NetlinkLibC.setns(fd, NetlinkLibC.CLONE_NEWNET);
                } finally {
                    NetlinkLibC.close(fd);
                }
                result.complete(task.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "in-" + ns.name());
        t.start();
        return result.get(30, TimeUnit.SECONDS);
    }
}
