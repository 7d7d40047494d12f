package net.poolsa.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Coverage-guided fuzzing of the decoder with Jazzer: any input either decodes (and then re-encodes to a
 * message that decodes equal, and meets the payload table with at most an IkeProtocolException) or is
 * refused with an {@link IkeProtocolException}; anything else thrown is a finding. The first input byte
 * chooses between a datagram and a decrypted body. The build runs it in fuzzing mode for a bounded number
 * of executions in its own JVM (surefire execution {@code fuzz} in ike-handlers/pom.xml, JAZZER_FUZZ=1),
 * starting from the seeds in {@code IsakmpFuzzTestInputs/}; without JAZZER_FUZZ it replays those seeds.
 */
class IsakmpFuzzTest {
    /** The header a decrypted body is decoded under: Quick Mode, first payload HASH. */
    private static final IsakmpHeader PLAIN = IsakmpHeader.of(0x0102030405060708L, 0x1112131415161718L,
            ExchangeType.QUICK_MODE, 1, IsakmpHeader.Flag.ENCRYPTION).withNextPayload(PayloadType.HASH);

    @FuzzTest(maxExecutions = 50_000)
    void decoderRefusesOnlyWithProtocolExceptions(byte[] data) throws Exception {
        if (data.length == 0) {
            return;
        }
        boolean plaintext = (data[0] & 1) != 0;
        ByteBuf in = Unpooled.wrappedBuffer(data, 1, data.length - 1);
        IsakmpDatagram d;
        try {
            d = plaintext ? IsakmpMessageDecoder.decodePlaintext(PLAIN, in) : IsakmpMessageDecoder.decode(in);
        } catch (IkeProtocolException refused) {
            return;
        } finally {
            in.release();
        }
        if (d instanceof IsakmpMessage m) {
            IsakmpMessage again = plaintext ? Msgs.plaintext(m.header(), Msgs.chain(m.payloads()))
                    : Msgs.decodeClear(Msgs.encode(m));
            assertEquals(m, again);
            for (ExchangeMessage row : ExchangeMessage.values()) {
                try {
                    row.check(m);
                } catch (IkeProtocolException refused) {
                    // a refusal with a notify is a valid outcome
                }
            }
        }
    }
}
