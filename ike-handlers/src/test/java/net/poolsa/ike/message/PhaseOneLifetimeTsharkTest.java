package net.poolsa.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.ike.proposal.AlgorithmWords;
import net.poolsa.ike.proposal.Phase1Sa;

/**
 * Needs tshark: our Main Mode message 1 offering a phase-1 lifetime in seconds and in kilobytes (RFC 2409 Appendix A
 * life types 1 and 2), as tshark reads it: two Life Type attributes, Seconds and Kilobytes, each followed by its Life
 * Duration.
 */
class PhaseOneLifetimeTsharkTest {
    @Test
    void tsharkReadsBothLifeTypesAndDurations(@TempDir Path dir) throws Exception {
        SecurityAssociationPayload sa = Phase1Sa.offer(AlgorithmWords.parseIke("aes128-sha256-modp2048"), 15840, 4608,
                IkeAttributeValues.AUTH_PRE_SHARED_KEY);
        IsakmpMessage mm1 = new IsakmpMessage(IsakmpHeader.of(SampleMessages.ICOOKIE, 0, ExchangeType.IDENTITY_PROTECTION,
                0), List.<IsakmpPayload>of(sa));
        Path pcap = dir.resolve("mm1-kilobytes.pcap");
        Files.write(pcap, PcapFile.udp(List.of(Msgs.encode(mm1)), 500));
        List<String[]> rows = Tshark.fields(pcap, "isakmp", "_ws.malformed", "isakmp.ike.attr.life_type",
                "isakmp.ike.attr.life_duration");
        assertEquals(1, rows.size());
        assertEquals("", rows.get(0)[0], "malformed");
        assertEquals("1,2", rows.get(0)[1], "Life Type: Seconds, then Kilobytes");
        assertEquals("15840,4608", rows.get(0)[2]);
    }
}
