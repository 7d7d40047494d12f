package net.poolsa.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tshark (Wireshark's ISAKMP dissector) and our decoder read the same strongSwan capture (resources
 * strongswan-capture/), tshark decrypting with the keys from charon's log: for every ISAKMP packet, every
 * field of {@link TsharkView#FIELDS} must agree. Needs the {@code tshark} binary, no root.
 */
@Tag("root")
class StrongSwanTsharkTest {
    @Test
    void tsharkAndWeReadEveryCapturedMessageAlike(@TempDir Path dir) throws Exception {
        Path pcap = StrongSwanCapture.pcapWithKeys(dir);
        List<String> fields = new ArrayList<>(List.of("frame.number"));
        fields.addAll(Arrays.asList(TsharkView.FIELDS));
        List<String[]> rows = Tshark.fields(pcap, "isakmp", fields.toArray(new String[0]));
        List<StrongSwanCapture.Message> messages = new ArrayList<>(StrongSwanCapture.messages().values());
        assertEquals(messages.size(), rows.size());
        for (int i = 0; i < rows.size(); i++) {
            StrongSwanCapture.Message m = messages.get(i);
            String[] row = rows.get(i);
            assertEquals(String.valueOf(m.frame()), row[0]);
            String theirs = String.join("|", Arrays.copyOfRange(row, 1, row.length));
            String ours = TsharkView.row(StrongSwanMessagesTest.readable(m), m.isakmp().length);
            assertEquals(theirs, ours, m.name() + " (frame " + m.frame() + ")");
        }
    }
}
