package net.poolsa.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A seeded mutation test over real messages (the strongSwan capture, clear and decrypted, and our
 * {@link SampleMessages}): bytes flipped, datagrams cut, length fields rewritten, Next Payload fields
 * changed, chains made to loop (a payload length below its header), garbage appended. Decoding must either
 * succeed or throw {@link IkeProtocolException}, never anything else; what decodes must re-encode to a
 * message that decodes equal, and pass or fail the payload table with an IkeProtocolException too. No
 * ByteBuf may leak. The seed is printed; {@code -Dpoolsa.mutation.seed=N} replays a run. The timeout is a
 * watchdog against a decoder that never returns, not a performance bound.
 */
class MutationTest {
    private static final long DEFAULT_SEED = 0x2408_2409_3947L;
    private static final int ITERATIONS = 20_000;
    /** The low half of the header's 32-bit Length. */
    private static final int HEADER_LENGTH_FIELD = 26;

    enum Kind { FLIP, TRUNCATE, LENGTH_FIELD, NEXT_PAYLOAD, LOOP, APPEND }

    /** One message to mutate: the bytes, the header to decode them under if they are a decrypted body, and the
     * offsets of their length fields (header Length and every Payload Length, substructures included). */
    record Base(String name, byte[] bytes, IsakmpHeader plainHeader, int[] lengthFields, int[] nextFields) {
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void mutatedMessagesFailOnlyWithProtocolExceptionsAndNeverLeak() throws Exception {
        long seed = Long.getLong("poolsa.mutation.seed", DEFAULT_SEED);
        System.out.println("MutationTest seed=0x" + Long.toHexString(seed) + " (replay with -Dpoolsa.mutation.seed=" + seed + ")");
        Random rnd = new Random(seed);
        List<Base> bases = bases();
        Map<Kind, int[]> outcomes = new EnumMap<>(Kind.class);
        Map<String, Integer> notifies = new TreeMap<>();
        try (LeakWatch watch = LeakWatch.start()) {
            for (int i = 0; i < ITERATIONS; i++) {
                Base base = bases.get(rnd.nextInt(bases.size()));
                Kind kind = Kind.values()[rnd.nextInt(Kind.values().length)];
                byte[] input = mutate(base, kind, rnd);
                int[] o = outcomes.computeIfAbsent(kind, k -> new int[2]);
                try {
                    exercise(base, input);
                    o[0]++;
                } catch (IkeProtocolException e) {
                    o[1]++;
                    notifies.merge(e.notifyType().toString(), 1, Integer::sum);
                } catch (Throwable t) {
                    fail("seed 0x" + Long.toHexString(seed) + " iteration " + i + " " + kind + " of " + base.name()
                            + " input " + Msgs.hex(input) + ": " + t, t);
                }
            }
            assertEquals(List.of(), watch.leaks(5));
        }
        System.out.println("MutationTest outcomes (decoded, refused) " + outcomesText(outcomes) + " notifies " + notifies);
        int total = 0;
        for (Kind k : Kind.values()) {
            int[] o = outcomes.get(k);
            // Every kind of mutation is exercised, and each is refused at least sometimes.
            assertTrue(o[0] + o[1] > ITERATIONS / Kind.values().length / 2, k + " ran " + (o[0] + o[1]) + " times");
            assertTrue(o[1] > 0, k + " was never refused");
            total += o[0] + o[1];
        }
        assertEquals(ITERATIONS, total);
        // The refusals cover the header, the chain and the payload checks.
        assertTrue(notifies.keySet().containsAll(Set.of("PAYLOAD-MALFORMED", "UNEQUAL-PAYLOAD-LENGTHS",
                "INVALID-MAJOR-VERSION", "INVALID-FLAGS", "BAD-PROPOSAL-SYNTAX", "INVALID-ID-INFORMATION",
                "INVALID-EXCHANGE-TYPE")), notifies.toString());
    }

    private static String outcomesText(Map<Kind, int[]> outcomes) {
        StringBuilder sb = new StringBuilder();
        outcomes.forEach((k, o) -> sb.append(k).append('=').append(o[0]).append('/').append(o[1]).append(' '));
        return sb.toString().trim();
    }

    /** Decode, and for what decodes: re-encode and decode again, check against the table, read the typed fields. */
    private static void exercise(Base base, byte[] input) throws Exception {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(input.length);
        IsakmpDatagram d;
        try {
            b.writeBytes(input);
            d = base.plainHeader() == null ? IsakmpMessageDecoder.decode(b) : IsakmpMessageDecoder.decodePlaintext(base.plainHeader(), b);
        } finally {
            b.release();
        }
        ExchangeMessage.checkSupportedExchange(d);
        if (!(d instanceof IsakmpMessage m)) {
            return;
        }
        assertFalse(m.toString().isEmpty());
        IsakmpMessage again = base.plainHeader() == null ? Msgs.decodeClear(Msgs.encode(m))
                : Msgs.plaintext(m.header(), Msgs.chain(m.payloads()));
        assertEquals(m, again);
        for (IsakmpPayload p : m.payloads()) {
            if (p instanceof NotificationPayload n && (n.notifyType().equals(NotifyType.R_U_THERE)
                    || n.notifyType().equals(NotifyType.R_U_THERE_ACK))) {
                n.dpdSequence();
            }
        }
        // The table may refuse the message, but only as a protocol error (anything else fails the test).
        for (ExchangeMessage row : ExchangeMessage.values()) {
            try {
                row.check(m);
            } catch (IkeProtocolException expected) {
                // a refusal with a notify is a valid outcome
            }
        }
    }

    private static byte[] mutate(Base base, Kind kind, Random rnd) {
        byte[] b = base.bytes().clone();
        switch (kind) {
            case FLIP -> {
                int n = 1 + rnd.nextInt(4);
                for (int i = 0; i < n; i++) {
                    b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                }
                return b;
            }
            case TRUNCATE -> {
                return Arrays.copyOf(b, rnd.nextInt(b.length));
            }
            case LENGTH_FIELD -> {
                int at = base.lengthFields()[rnd.nextInt(base.lengthFields().length)];
                int old = ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
                int[] choices = {0, 1, 3, 4, 5, old - 1, old + 1, old * 2, 0xffff, rnd.nextInt(0x10000)};
                int v = choices[rnd.nextInt(choices.length)] & 0xffff;
                b[at] = (byte) (v >>> 8);
                b[at + 1] = (byte) v;
                return b;
            }
            case NEXT_PAYLOAD -> {
                int at = base.nextFields()[rnd.nextInt(base.nextFields().length)];
                int[] types = {0, 1, 2, 3, 4, 5, 8, 10, 11, 12, 13, 14, 20, 21, 130, 131, 200, rnd.nextInt(256)};
                b[at] = (byte) types[rnd.nextInt(types.length)];
                return b;
            }
            case LOOP -> {
                // A Payload Length below the generic header would make a naive walker read the same bytes forever.
                int[] fields = base.lengthFields();
                int at = fields[rnd.nextInt(fields.length)];
                if (at == HEADER_LENGTH_FIELD && fields.length > 1) {
                    at = fields[1 + rnd.nextInt(fields.length - 1)]; // a payload's, not the header's
                }
                b[at] = 0;
                b[at + 1] = (byte) rnd.nextInt(4);
                return b;
            }
            default -> {
                byte[] tail = new byte[1 + rnd.nextInt(300)];
                rnd.nextBytes(tail);
                byte[] out = Arrays.copyOf(b, b.length + tail.length);
                System.arraycopy(tail, 0, out, b.length, tail.length);
                return out;
            }
        }
    }

    static List<Base> bases() throws Exception {
        List<Base> out = new ArrayList<>();
        for (StrongSwanCapture.Message m : StrongSwanCapture.messages().values()) {
            IsakmpMessage readable = StrongSwanMessagesTest.readable(m);
            if (m.encrypted()) {
                out.add(new Base(m.name() + " datagram", m.isakmp(), null, new int[] {HEADER_LENGTH_FIELD}, new int[] {16}));
                out.add(base(m.name() + " plaintext", m.plain(), readable.header(), readable, 0));
            } else {
                out.add(base(m.name(), m.isakmp(), null, readable, IsakmpConstants.HEADER_LENGTH));
            }
        }
        for (SampleMessages.Sample s : SampleMessages.all()) {
            out.add(base(s.row() + " sample", Msgs.encode(s.message()), null, s.message(), IsakmpConstants.HEADER_LENGTH));
        }
        return out;
    }

    /** The offsets of every length and Next Payload field of {@code m}, whose chain starts at {@code start} in its bytes. */
    private static Base base(String name, byte[] bytes, IsakmpHeader plainHeader, IsakmpMessage m, int start) {
        List<Integer> lengths = new ArrayList<>();
        List<Integer> nexts = new ArrayList<>();
        if (start > 0) {
            lengths.add(HEADER_LENGTH_FIELD);
            nexts.add(16);
        }
        int off = start;
        for (IsakmpPayload p : m.payloads()) {
            nexts.add(off);
            lengths.add(off + 2);
            if (p instanceof SecurityAssociationPayload sa) {
                int po = off + 4 + SecurityAssociationPayload.FIXED_LENGTH;
                for (Proposal pr : sa.proposals()) {
                    nexts.add(po);
                    lengths.add(po + 2);
                    int to = po + 4 + Proposal.FIXED_LENGTH + pr.spi().length();
                    for (Transform t : pr.transforms()) {
                        nexts.add(to);
                        lengths.add(to + 2);
                        to += 4 + t.encodedLength();
                    }
                    po += 4 + pr.encodedLength();
                }
            }
            off += 4 + p.encodedLength();
        }
        return new Base(name, bytes, plainHeader, lengths.stream().mapToInt(Integer::intValue).toArray(),
                nexts.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The watch this test relies on does see a buffer dropped without release. */
    @Test
    void leakWatchSeesALeak() throws Exception {
        try (LeakWatch watch = LeakWatch.start()) {
            leakOne();
            List<String> leaks = List.of();
            for (int i = 0; i < 20 && leaks.isEmpty(); i++) {
                leaks = watch.leaks(5);
            }
            assertEquals(1, leaks.size(), leaks.toString());
        }
    }

    private static void leakOne() {
        PooledByteBufAllocator.DEFAULT.directBuffer(64).writeLong(1);
    }
}
