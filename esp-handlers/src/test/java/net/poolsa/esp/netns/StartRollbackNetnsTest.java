package net.poolsa.esp.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import net.poolsa.esp.divert.HostDivert;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root. A data plane whose start fails half-way (the second uplink does not exist, so its capture
 * cannot open after the divert was applied) must leave the host as it found it: no sink, no routing rule,
 * no nftables table, forwarding as before. Runs {@link GatewayMain} in a namespace deleted in finally.
 */
@Tag("root")
class StartRollbackNetnsTest {
    @Test
    void failedStartIsRolledBack() throws Exception {
        NetnsLab lab = new NetnsLab("netns-rollback");
        try (Netns ns = Netns.create("psa-rb")) {
            ns.exec("ip", "link", "add", "up0", "type", "veth", "peer", "name", "up9");
            ns.exec("ip", "link", "set", "up0", "up");
            ns.exec("ip", "addr", "add", "198.51.100.1/29", "dev", "up0");
            ns.exec("sysctl", "-qw", "net.ipv4.ip_forward=0");
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                    "-Dorg.slf4j.simpleLogger.log.org.pcap4j=warn", GatewayMain.class.getName(),
                    "--status", lab.dir().resolve("rb.status").toString(),
                    "--uplink", "up0,198.51.100.1,29", "--uplink", "nosuch0,203.0.113.1,29", "--sink", "psink",
                    "--peer", "198.51.100.2", "--local-pool", "198.51.100.1/32,203.0.113.1/32",
                    "--remote-pool", "198.51.100.2/32", "--local-inner", "192.0.2.0/26", "--remote-inner", "192.0.2.64/26",
                    "--out-spi", "a001", "--in-spi", "b001"));
            Process p = ns.spawn(cmd, lab.dir().resolve("rb.log"));
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "GatewayMain exits when its data plane cannot start");
            String log = Files.readString(lab.dir().resolve("rb.log"));
            assertTrue(p.exitValue() != 0 && log.contains("data plane failed to start"), log);
            assertFalse(ns.tryExec("ip", "link", "show", "psink").ok(), "sink removed");
            assertFalse(ns.exec("ip", "rule").contains(Integer.toString(HostDivert.ROUTE_TABLE)), "rule removed");
            assertFalse(ns.tryExec("nft", "list", "table", "inet", HostDivert.NFT_TABLE).ok(), "nftables table removed");
            assertEquals("0", ns.exec("sysctl", "-n", "net.ipv4.ip_forward"), "forwarding restored");
        }
    }
}
