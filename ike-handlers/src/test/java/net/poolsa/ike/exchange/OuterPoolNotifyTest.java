package net.poolsa.ike.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.message.Doi;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.ProtocolId;

/** The outer-pool extension exactly as docs/ikev1-pools.md writes it down (its example bytes, its vendor ID). */
class OuterPoolNotifyTest {

    @Test
    void theDocumentsExampleIsWhatWeSend() {
        NotificationPayload n = OuterPoolNotify.build(ProtocolId.IPSEC_ESP, 0xc0ffee01,
                AddressPool.parse("198.51.100.10", "203.0.113.10"));
        String doc = "00000001" + "03" + "04" + "9600" + "c0ffee01" + "0c000000"
                + "0500000c" + "01000000" + "c633640a" + "0000000c" + "01000000" + "cb00710a";
        ByteBuf b = Unpooled.buffer();
        try {
            n.encode(b);
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            assertEquals(doc, HexFormat.of().formatHex(out));
        } finally {
            b.release();
        }
        assertEquals("5c90c438e7882c3decc1fc15031149f4", OuterPoolNotify.VENDOR_ID.toHex());
        assertEquals(38400, OuterPoolNotify.TYPE.code());
        assertEquals(false, OuterPoolNotify.TYPE.isError(), "a status type: ignored by who does not know it");
    }

    @Test
    void readsBackWhatItAnnouncesAndRefusesWhatIsNoAddressPool() throws Exception {
        AddressPool pool = AddressPool.parse("192.0.2.1", "198.51.100.0/28", "2001:db8::1-2001:db8::9");
        assertEquals(pool, OuterPoolNotify.read(OuterPoolNotify.build(ProtocolId.IPSEC_AH, 0x1234, pool)));
        for (Octets data : new Octets[] {Octets.EMPTY, body(IdentificationPayload.fqdn("gw.example.net")),
                body(new IdentificationPayload(net.poolsa.ike.message.IdType.ID_IPV4_ADDR, 17, 500,
                        new byte[] {(byte) 192, 0, 2, 1}))}) {
            NotificationPayload n = new NotificationPayload(Doi.IPSEC, ProtocolId.IPSEC_ESP, OuterPoolNotify.TYPE,
                    Octets.ofInt(1), data);
            IkeProtocolException e = assertThrows(IkeProtocolException.class, () -> OuterPoolNotify.read(n));
            assertEquals(NotifyType.INVALID_ID_INFORMATION, e.notifyType(), e.getMessage());
        }
    }

    private static Octets body(IdentificationPayload id) {
        return Octets.of(Messages.body(id));
    }
}
