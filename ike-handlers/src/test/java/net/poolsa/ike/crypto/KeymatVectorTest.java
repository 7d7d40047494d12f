package net.poolsa.ike.crypto;

import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.sa.IpsecProtocol;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IKEv1 key derivation against a real peer. Two strongSwan 5.9.8 charons in network namespaces ran Main Mode with a
 * pre-shared key and Quick Mode with PFS in four suites, then deleted the SAs; {@code capture-keymat.sh} (in
 * resources {@code strongswan-keymat/}) made {@code keymat.pcap} and the logs {@code initiator.log} and
 * {@code responder.log} at ike = 4, chd = 4, in which charon dumps every value it derives. From the public values
 * of the capture and the pre-shared key alone (plus g^xy, which needs a private value strongSwan never prints), this
 * test reproduces each logged value with this package: SKEYID, SKEYID_d/_a/_e, Ka (expanded by Appendix B for aes256-sha1,
 * truncated otherwise), the initial and every chained IV of both charons, HASH_I and HASH_R, Quick Mode
 * HASH(1)-(3), the Informational HASH of each Delete, the KEYMAT seeds and the ESP keys of both directions. Every
 * encrypted message decrypts to a payload chain whose HASH verifies and whose padding is strongSwan's (1 to 16
 * zero octets), and encrypting that plaintext again gives the captured ciphertext byte for byte. Then one input
 * byte is flipped and the values no longer match. {@link StrongSwanKeymatLiveTest} repeats all of it on a fresh
 * capture.
 */
class KeymatVectorTest {
    private static final HexFormat HEX = HexFormat.of();
    private static StrongSwanCapture capture;

    /** One connection of capture-keymat.sh: its IKE addresses and negotiated suites. */
    record Variant(String name, int index, Phase1Suite suite, DhGroup group, ChildSaKeys.Suite child, DhGroup pfs) {
        String initiatorAddress() {
            return "192.0.2.1" + index;
        }

        String responderAddress() {
            return "192.0.2.2" + index;
        }
    }

    static final List<Variant> VARIANTS = List.of(
            new Variant("gcm", 1, new Phase1Suite(HashAlgorithm.SHA2_256, IkeCipher.AES_CBC, 128), DhGroup.MODP_2048,
                    new ChildSaKeys.Suite(IpsecProtocol.ESP, EspAlgorithm.AES_GCM_16, 128, IntegrityAlgorithm.NONE),
                    DhGroup.MODP_2048),
            new Variant("cbc", 2, new Phase1Suite(HashAlgorithm.SHA1, IkeCipher.AES_CBC, 256), DhGroup.MODP_1024,
                    new ChildSaKeys.Suite(IpsecProtocol.ESP, EspAlgorithm.TRIPLE_DES_CBC, 192,
                            IntegrityAlgorithm.HMAC_SHA1_96), DhGroup.MODP_1024),
            new Variant("tdes", 3, new Phase1Suite(HashAlgorithm.SHA2_384, IkeCipher.TRIPLE_DES_CBC, 192),
                    DhGroup.ECP_384, new ChildSaKeys.Suite(IpsecProtocol.ESP, EspAlgorithm.AES_CBC, 256,
                            IntegrityAlgorithm.HMAC_SHA2_512_256), DhGroup.ECP_256),
            new Variant("x25519", 4, new Phase1Suite(HashAlgorithm.SHA2_512, IkeCipher.AES_CBC, 192),
                    DhGroup.CURVE25519, new ChildSaKeys.Suite(IpsecProtocol.ESP, EspAlgorithm.AES_GCM_16, 256,
                            IntegrityAlgorithm.NONE), DhGroup.CURVE25519));

    @BeforeAll
    static void load() throws IOException, URISyntaxException {
        capture = StrongSwanCapture.load(Path.of(KeymatVectorTest.class.getResource("/strongswan-keymat/psk.txt").toURI())
                .getParent());
    }

    /** The vectors are what the javadoc says: strongSwan 5.9.8, 44 datagrams, IKE floated to 4500 after message 4. */
    @Test
    void captureIsStrongSwan598WithNatTraversal() throws Exception {
        Path dir = Path.of(KeymatVectorTest.class.getResource("/strongswan-keymat/psk.txt").toURI()).getParent();
        for (String log : List.of("initiator.log", "responder.log")) {
            assertTrue(java.nio.file.Files.readAllLines(dir.resolve(log), java.nio.charset.StandardCharsets.ISO_8859_1)
                    .get(0).contains("Starting IKE charon daemon (strongSwan 5.9.8,"), log);
        }
        assertEquals(44, capture.datagrams.size());
        for (StrongSwanCapture.Datagram d : capture.datagrams) {
            boolean phase1Clear = (d.isakmp()[18] & 0xff) == 2 && (d.isakmp()[19] & 1) == 0;
            assertEquals(phase1Clear ? 500 : 4500, d.dstPort(), "Main Mode 1-4 on 500, the rest behind the non-ESP marker");
        }
    }

    @Test
    void gcmAes128Sha256Modp2048() throws Exception {
        new Check(capture, VARIANTS.get(0)).all();
    }

    @Test
    void cbcAes256Sha1Modp1024With3desEsp() throws Exception {
        new Check(capture, VARIANTS.get(1)).all();
    }

    @Test
    void tdes3desSha384Ecp384() throws Exception {
        new Check(capture, VARIANTS.get(2)).all();
    }

    @Test
    void x25519Aes192Sha512Curve25519() throws Exception {
        new Check(capture, VARIANTS.get(3)).all();
    }

    /** Flip one byte of one input at a time: the value derived from it no longer matches strongSwan's. */
    @Test
    void flippedInputByteBreaksTheMatch() throws Exception {
        Check c = new Check(capture, VARIANTS.get(1));
        c.phase1();
        byte[] logSkeyid = c.ilog.one("SKEYID");
        assertArrayEquals(logSkeyid, c.keys(c.psk, c.values, c.gxy).skeyid(), "unflipped");
        assertFalse(Arrays.equals(logSkeyid, c.keys(flip(c.psk), c.values, c.gxy).skeyid()), "pre-shared key");
        assertFalse(Arrays.equals(logSkeyid, c.keys(c.psk, c.values(2, flip(c.values.nonceI())), c.gxy).skeyid()), "Ni_b");
        byte[] logD = c.ilog.one("SKEYID_d");
        assertFalse(Arrays.equals(logD, c.keys(c.psk, c.values, flip(c.gxy)).skeyidD()), "g^xy");
        assertFalse(Arrays.equals(logD, c.keys(c.psk, c.values(0, flip(c.values.cookieI())), c.gxy).skeyidD()), "CKY-I");
        byte[] logKa = c.ilog.one("encryption key Ka");
        assertFalse(Arrays.equals(logKa, c.keys(c.psk, c.values(1, flip(c.values.cookieR())), c.gxy).encryptionKey()),
                "CKY-R");
        byte[] initialIv = c.ilog.one("initial IV");
        assertFalse(Arrays.equals(initialIv, new IvChain(c.v.suite.hash(), 16, flip(c.values.publicI()),
                c.values.publicR()).sending(0)), "g^xi");
        Phase1Keys keys = c.keys(c.psk, c.values, c.gxy);
        assertFalse(Arrays.equals(c.ilog.one("HASH_I"), keys.hashI(flip(c.saiB), c.idiiB)), "SAi_b");

        c.messages();
        c.childKeys();
        byte[] logKey = c.ilog.one("encryption initiator key");
        assertArrayEquals(logKey, c.childKeys(true, c.spiI, c.spiR, c.qmNi, c.qmNr, c.gqm).outbound().encryptionKey());
        assertFalse(Arrays.equals(logKey, c.childKeys(true, c.spiI, c.spiR ^ 1, c.qmNi, c.qmNr, c.gqm)
                .outbound().encryptionKey()), "SPI");
        assertFalse(Arrays.equals(logKey, c.childKeys(true, c.spiI, c.spiR, c.qmNi, flip(c.qmNr), c.gqm)
                .outbound().encryptionKey()), "Quick Mode Nr_b");
        assertFalse(Arrays.equals(logKey, c.childKeys(true, c.spiI, c.spiR, c.qmNi, c.qmNr, flip(c.gqm))
                .outbound().encryptionKey()), "g(qm)^xy");

        // a flipped ciphertext byte of HASH(1)'s message, in a block inside the KE payload's data so that the payload
        // chain still parses: CBC garbles that block and flips one bit of the next, and HASH(1) no longer verifies
        StrongSwanCapture.Message qm1 = c.firstOf(32, true);
        int mid = qm1.messageId();
        byte[] genuine = c.afterPhase1(false).decrypt(mid, qm1.body()).plaintext();
        int ke = StrongSwanCapture.chain(qm1.firstPayload(), genuine, 0).first(4).offset();
        int block = (ke + 4) / 16 + 1;
        byte[] plain = c.afterPhase1(false).decrypt(mid, flip(qm1.body(), block * 16 + 3)).plaintext();
        assertEquals(genuine.length, plain.length);
        IkeCryptoException e = assertThrows(IkeCryptoException.class,
                () -> c.verifyQuickMode(mid, plain, qm1.firstPayload(), 1));
        assertEquals(23, e.notifyType().code(), "INVALID-HASH-INFORMATION");
        c.verifyQuickMode(mid, genuine, qm1.firstPayload(), 1);
    }

    private static byte[] flip(byte[] b) {
        return flip(b, b.length / 2);
    }

    private static byte[] flip(byte[] b, int at) {
        byte[] out = b.clone();
        out[at] ^= 0x01;
        return out;
    }

    /** The checks of one variant; package-private so that the live test runs the same. */
    static final class Check {
        final StrongSwanCapture cap;
        final Variant v;
        final StrongSwanCapture.SaLog ilog;
        final StrongSwanCapture.SaLog rlog;
        final List<StrongSwanCapture.Message> msgs;
        final byte[] psk;
        Phase1Values values;
        byte[] gxy;
        byte[] saiB;
        byte[] idiiB;
        Phase1Keys keys;
        int spiI;
        int spiR;
        byte[] qmNi;
        byte[] qmNr;
        byte[] gqm;

        Check(StrongSwanCapture cap, Variant v) {
            this.cap = cap;
            this.v = v;
            this.ilog = cap.initiator.get(v.name);
            this.rlog = cap.responder.get(v.name);
            assertTrue(ilog != null && rlog != null, v.name + " in both logs");
            this.msgs = cap.messages(v.initiatorAddress(), v.responderAddress());
            this.psk = cap.psk;
        }

        void all() throws Exception {
            phase1();
            messages();
            childKeys();
        }

        Phase1Keys keys(byte[] key, Phase1Values vals, byte[] secret) {
            return Phase1Keys.preSharedKey(v.suite, key, vals, secret);
        }

        /** {@link #values} with component {@code i} (cookieI, cookieR, nonceI, nonceR, publicI, publicR) replaced. */
        Phase1Values values(int i, byte[] b) {
            byte[][] c = {values.cookieI(), values.cookieR(), values.nonceI(), values.nonceR(), values.publicI(),
                values.publicR()};
            c[i] = b;
            return new Phase1Values(c[0], c[1], c[2], c[3], c[4], c[5]);
        }

        StrongSwanCapture.Message firstOf(int exchange, boolean fromInitiator) {
            return msgs.stream().filter(m -> m.exchange() == exchange && m.fromInitiator() == fromInitiator)
                    .findFirst().orElseThrow(() -> new AssertionError(v.name + ": no exchange " + exchange));
        }

        /** Main Mode messages 1-4 in clear; SKEYID and the rest from the pre-shared key and their values. */
        void phase1() throws Exception {
            List<StrongSwanCapture.Message> clear = msgs.stream().filter(m -> m.exchange() == 2 && !m.encrypted()).toList();
            assertEquals(4, clear.size(), v.name + ": Main Mode messages 1-4");
            StrongSwanCapture.Chain mm1 = StrongSwanCapture.chain(clear.get(0).firstPayload(), clear.get(0).body(), 0);
            StrongSwanCapture.Chain mm3 = StrongSwanCapture.chain(clear.get(2).firstPayload(), clear.get(2).body(), 0);
            StrongSwanCapture.Chain mm4 = StrongSwanCapture.chain(clear.get(3).firstPayload(), clear.get(3).body(), 0);
            saiB = mm1.first(1).body();
            values = new Phase1Values(clear.get(0).cookieI(), clear.get(1).cookieR(), mm3.first(10).body(),
                    mm4.first(10).body(), mm3.first(4).body(), mm4.first(4).body());
            assertEquals(v.group.publicValueLength(), values.publicI().length, v.name + " KE of " + v.group);
            assertEquals(v.group.publicValueLength(), values.publicR().length);
            // strongSwan's public values are members of the group by our validation
            DhKeyPair probe = v.group.generate(new SeededRandom("probe"));
            probe.sharedSecret(values.publicI());
            probe.sharedSecret(values.publicR());

            gxy = ilog.one("shared Diffie Hellman secret");
            assertArrayEquals(gxy, rlog.one("shared Diffie Hellman secret"));
            assertEquals(v.group.sharedSecretLength(), gxy.length, v.name + " g^xy of " + v.group);

            keys = keys(psk, values, gxy);
            for (StrongSwanCapture.SaLog log : List.of(ilog, rlog)) {
                String who = v.name + " " + (log == ilog ? "initiator" : "responder") + " ";
                assertArrayEquals(log.one("SKEYID"), keys.skeyid(), who + "SKEYID");
                assertArrayEquals(log.one("SKEYID_d"), keys.skeyidD(), who + "SKEYID_d");
                assertArrayEquals(log.one("SKEYID_a"), keys.skeyidA(), who + "SKEYID_a");
                assertArrayEquals(log.one("SKEYID_e"), keys.skeyidE(), who + "SKEYID_e");
                assertArrayEquals(log.one("encryption key Ka"), keys.encryptionKey(), who + "Ka");
                assertArrayEquals(log.one("initial IV"), new IvChain(v.suite.hash(), v.suite.cipher().blockSize(),
                        values.publicI(), values.publicR()).sending(0), who + "initial IV");
            }
        }

        /** An encryption that went through Main Mode 5 and 6 as the given side. */
        IsakmpEncryption afterPhase1(boolean initiatorSide) throws Exception {
            IsakmpEncryption mine = keys.newEncryption();
            IsakmpEncryption peer = keys.newEncryption();
            for (StrongSwanCapture.Message m : msgs) {
                if (m.exchange() == 2 && m.encrypted()) {
                    IsakmpEncryption receiver = m.fromInitiator() == initiatorSide ? peer : mine;
                    IsakmpEncryption.Decrypted d = receiver.decrypt(0, m.body());
                    d.confirm();
                    (receiver == mine ? peer : mine).encrypt(0, Arrays.copyOf(d.plaintext(),
                            StrongSwanCapture.chain(m.firstPayload(), d.plaintext(), 0).end()));
                }
            }
            return mine;
        }

        /**
         * Every encrypted message in wire order: the receiver's side decrypts and confirms it, the sender's side
         * encrypts the payloads again and must get the captured bytes; hashes and IVs against the logs.
         */
        void messages() throws Exception {
            if (keys == null) {
                phase1();
            }
            IsakmpEncryption iEnc = keys.newEncryption();
            IsakmpEncryption rEnc = keys.newEncryption();
            Map<Integer, List<String>> ivs = new LinkedHashMap<>();
            Map<Integer, Boolean> chained = new LinkedHashMap<>();
            List<String> infoHashes = new ArrayList<>();
            int encrypted = 0;
            for (StrongSwanCapture.Message m : msgs) {
                if (!m.encrypted()) {
                    continue;
                }
                encrypted++;
                int mid = m.messageId();
                boolean info = m.exchange() == 5;
                IsakmpEncryption sender = m.fromInitiator() ? iEnc : rEnc;
                IsakmpEncryption receiver = m.fromInitiator() ? rEnc : iEnc;
                byte[] body = m.body();
                String what = v.name + " exchange " + m.exchange() + " M-ID " + Integer.toUnsignedString(mid);

                IsakmpEncryption.Decrypted d = info ? receiver.decryptInformational(mid, body) : receiver.decrypt(mid, body);
                assertFalse(d.retransmission(), what);
                byte[] plain = d.plaintext();
                StrongSwanCapture.Chain chain = StrongSwanCapture.chain(m.firstPayload(), plain, 0);
                int pad = plain.length - chain.end();
                assertTrue(pad >= 1 && pad <= v.suite.cipher().blockSize(), what + ": " + pad + " octets of padding");
                for (int i = chain.end(); i < plain.length; i++) {
                    assertEquals(0, plain[i], what + ": padding octet " + i);
                }
                verify(m, plain, chain, infoHashes);
                d.confirm();

                byte[] iv = info ? sender.chain().informational(mid) : sender.chain().sending(mid);
                ivs.computeIfAbsent(mid, k -> new ArrayList<>()).add(HEX.formatHex(iv));
                chained.put(mid, !info);
                byte[] payloads = Arrays.copyOf(plain, chain.end());
                byte[] again = info ? sender.encryptInformational(mid, payloads) : sender.encrypt(mid, payloads);
                assertArrayEquals(body, again, what + ": encrypting the plaintext again gives the captured bytes");
            }
            assertEquals(7, encrypted, v.name + ": Main Mode 5-6, Quick Mode 1-3, two Deletes");
            assertEquals(2, infoHashes.size(), v.name + ": Delete of the CHILD_SA and of the IKE_SA");
            for (String h : infoHashes) {
                assertTrue(ilog.all("Hash").stream().anyMatch(x -> HEX.formatHex(x).equals(h)), v.name + " Hash " + h);
                assertTrue(rlog.all("Hash").stream().anyMatch(x -> HEX.formatHex(x).equals(h)), v.name + " Hash " + h);
            }
            for (Map.Entry<Integer, List<String>> e : ivs.entrySet()) {
                List<String> expected = new ArrayList<>(e.getValue());
                if (chained.get(e.getKey())) {
                    // the IV after the last message, which each charon also logged
                    expected.add(HEX.formatHex(iEnc.chain().sending(e.getKey())));
                    assertEquals(expected.get(expected.size() - 1), HEX.formatHex(rEnc.chain().sending(e.getKey())));
                }
                assertEquals(expected, ilog.ivs(e.getKey()), v.name + " initiator IVs of M-ID " + e.getKey());
                assertEquals(expected, rlog.ivs(e.getKey()), v.name + " responder IVs of M-ID " + e.getKey());
            }
        }

        private void verify(StrongSwanCapture.Message m, byte[] plain, StrongSwanCapture.Chain chain,
                            List<String> infoHashes) throws Exception {
            int mid = m.messageId();
            if (m.exchange() == 2) {
                // Main Mode 5 [ID HASH N(INITIAL_CONTACT)] and 6 [ID HASH]
                assertEquals(List.of(5, 8), chain.types().subList(0, 2), v.name + " Main Mode payloads");
                byte[] id = chain.first(5).body();
                byte[] hash = chain.first(8).body();
                String label = m.fromInitiator() ? "HASH_I" : "HASH_R";
                byte[] computed = m.fromInitiator() ? keys.hashI(saiB, id) : keys.hashR(saiB, id);
                Phase1Keys.verify(computed, hash, label);
                assertArrayEquals(ilog.one(label), computed, v.name + " initiator " + label);
                assertArrayEquals(rlog.one(label), computed, v.name + " responder " + label);
                byte[] data = m.fromInitiator()
                        ? Phase1Keys.concat(values.publicI(), values.publicR(), values.cookieI(), values.cookieR(), saiB, id)
                        : Phase1Keys.concat(values.publicR(), values.publicI(), values.cookieR(), values.cookieI(), saiB, id);
                assertArrayEquals(ilog.one(label + " data"), data, v.name + " " + label + " inputs");
                if (m.fromInitiator()) {
                    idiiB = id;
                }
            } else if (m.exchange() == 32) {
                int n = msgs.stream().filter(x -> x.exchange() == 32 && x.messageId() == mid).toList().indexOf(m) + 1;
                byte[] computed = verifyQuickMode(mid, plain, m.firstPayload(), n);
                assertArrayEquals(ilog.one("Hash(" + n + ")"), computed, v.name + " initiator HASH(" + n + ")");
                assertArrayEquals(rlog.one("Hash(" + n + ")"), computed, v.name + " responder HASH(" + n + ")");
            } else {
                assertEquals(5, m.exchange(), v.name + " unexpected exchange");
                assertEquals(List.of(8, 12), chain.types(), v.name + " Informational [HASH D]");
                byte[] rest = Arrays.copyOfRange(plain, chain.payloads().get(1).offset(), chain.end());
                byte[] computed = keys.informationalHash(mid, rest);
                Phase1Keys.verify(computed, chain.first(8).body(), "Informational HASH");
                infoHashes.add(HEX.formatHex(computed));
            }
        }

        /** Verifies HASH(n) of a decrypted Quick Mode message; records the SPIs, nonces and KE values. */
        byte[] verifyQuickMode(int mid, byte[] plain, int firstPayload, int n) throws Exception {
            StrongSwanCapture.Chain chain = StrongSwanCapture.chain(firstPayload, plain, 0);
            assertEquals(8, chain.types().get(0), "HASH first");
            byte[] hash = chain.payloads().get(0).body();
            byte[] rest = chain.payloads().size() > 1
                    ? Arrays.copyOfRange(plain, chain.payloads().get(1).offset(), chain.end()) : new byte[0];
            byte[] computed;
            if (n == 1) {
                qmNi = chain.first(10).body();
                spiI = spi(chain.first(1).body());
                computed = keys.quickModeHash1(mid, rest);
            } else if (n == 2) {
                qmNr = chain.first(10).body();
                spiR = spi(chain.first(1).body());
                computed = keys.quickModeHash2(mid, qmNi, rest);
            } else {
                assertEquals(List.of(8), chain.types(), "HASH(3) alone");
                computed = keys.quickModeHash3(mid, qmNi, qmNr);
            }
            if (n < 3) {
                byte[] ke = chain.first(4).body();
                assertEquals(v.pfs.publicValueLength(), ke.length, v.name + " PFS KE of " + v.pfs);
                v.pfs.generate(new SeededRandom("probe")).sharedSecret(ke);
            }
            Phase1Keys.verify(computed, hash, "HASH(" + n + ")");
            return computed;
        }

        /** The SPI of the SA payload's first proposal (RFC 2408 §3.4/§3.5): DOI, situation, then the proposal. */
        private int spi(byte[] sa) {
            int p = 8;
            assertEquals(3, sa[p + 5], "PROTO_IPSEC_ESP");
            assertEquals(4, sa[p + 6], "SPI size");
            return ((sa[p + 8] & 0xff) << 24) | ((sa[p + 9] & 0xff) << 16) | ((sa[p + 10] & 0xff) << 8) | (sa[p + 11] & 0xff);
        }

        ChildSaKeys childKeys(boolean initiatorSide, int spiOfI, int spiOfR, byte[] ni, byte[] nr, byte[] g) {
            return initiatorSide ? ChildSaKeys.derive(keys, v.child, spiOfI, spiOfR, ni, nr, g)
                    : ChildSaKeys.derive(keys, v.child, spiOfR, spiOfI, ni, nr, g);
        }

        /** KEYMAT for both SAs, from each side's point of view, against each charon's log. */
        void childKeys() {
            gqm = ilog.one("DH secret");
            assertArrayEquals(gqm, rlog.one("DH secret"));
            assertEquals(v.pfs.sharedSecretLength(), gqm.length);
            byte[] esp = {3};
            for (StrongSwanCapture.SaLog log : List.of(ilog, rlog)) {
                // strongSwan's "initiator SA" is the SA towards the responder: keyed with the responder's SPI
                assertArrayEquals(log.one("initiator SA seed"), Phase1Keys.concat(gqm, esp, Phase1Keys.uint32(spiR), qmNi, qmNr));
                assertArrayEquals(log.one("responder SA seed"), Phase1Keys.concat(gqm, esp, Phase1Keys.uint32(spiI), qmNi, qmNr));
            }
            ChildSaKeys i = childKeys(true, spiI, spiR, qmNi, qmNr, gqm);
            ChildSaKeys r = childKeys(false, spiI, spiR, qmNi, qmNr, gqm);
            Supplier<String> who = () -> v.name + " KEYMAT";
            assertArrayEquals(ilog.one("encryption initiator key"), i.outbound().encryptionKey(), who);
            assertArrayEquals(ilog.one("encryption responder key"), i.inbound().encryptionKey(), who);
            assertArrayEquals(rlog.one("encryption responder key"), r.outbound().encryptionKey(), who);
            assertArrayEquals(rlog.one("encryption initiator key"), r.inbound().encryptionKey(), who);
            assertEquals(v.child.encryptionKeyLength(), i.outbound().encryptionKey().length);
            if (v.child.integrity() != IntegrityAlgorithm.NONE) {
                assertArrayEquals(ilog.one("integrity initiator key"), i.outbound().integrityKey(), who);
                assertArrayEquals(ilog.one("integrity responder key"), i.inbound().integrityKey(), who);
                assertArrayEquals(rlog.one("integrity responder key"), r.outbound().integrityKey(), who);
                assertArrayEquals(rlog.one("integrity initiator key"), r.inbound().integrityKey(), who);
            } else {
                assertTrue(ilog.all("integrity initiator key").isEmpty(), "no integrity key with " + v.child.encryption());
            }
        }
    }
}
