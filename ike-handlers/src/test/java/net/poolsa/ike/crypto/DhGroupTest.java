package net.poolsa.ike.crypto;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Diffie-Hellman groups 2, 14, 15 (MODP), 19, 20 (ECP) and 31 (Curve25519). Vectors: RFC 5903 §8.1/§8.2 (ECP),
 * RFC 7748 §5.2/§6.1 and RFC 8031 Appendix A (X25519); MODP is checked against the RFC's defining formula for
 * the primes and against Python's {@code pow()} (an independent big-number implementation) for fixed private
 * values. Needs {@code /usr/bin/python3}.
 */
class DhGroupTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] hex(String s) {
        return HEX.parseHex(s.replace(" ", ""));
    }

    private static void assertInvalidKey(DhKeyPair pair, byte[] peer) {
        IkeCryptoException e = assertThrows(IkeCryptoException.class, () -> pair.sharedSecret(peer));
        assertEquals(17, e.notifyType().code(), "INVALID-KEY-INFORMATION");
    }

    // ---- MODP

    /** floor(pi * 2^bits) by Machin's formula, with guard bits. */
    private static BigInteger piTimesTwoTo(int bits) {
        int guard = 64;
        BigInteger one = BigInteger.ONE.shiftLeft(bits + guard);
        BigInteger pi = arctanInverse(5, one).multiply(BigInteger.valueOf(4)).subtract(arctanInverse(239, one))
                .multiply(BigInteger.valueOf(4));
        return pi.shiftRight(guard);
    }

    private static BigInteger arctanInverse(int x, BigInteger one) {
        BigInteger xx = BigInteger.valueOf((long) x * x);
        BigInteger term = one.divide(BigInteger.valueOf(x));
        BigInteger sum = term;
        for (int n = 1; term.signum() != 0; n++) {
            term = term.divide(xx);
            BigInteger t = term.divide(BigInteger.valueOf(2L * n + 1));
            sum = n % 2 == 1 ? sum.subtract(t) : sum.add(t);
        }
        return sum;
    }

    /**
     * The hex primes are RFC 2409 §6.2's and RFC 3526 §3/§4's: p = 2^n - 2^(n-64) - 1 + 2^64 * ([2^(n-130) pi] + k),
     * and safe primes.
     */
    @Test
    void modpPrimesFollowTheRfcFormula() {
        int[][] groups = {{1024, 129093}, {2048, 124476}, {3072, 1690314}};
        BigInteger[] primes = {ModpKeyPair.P1024, ModpKeyPair.P2048, ModpKeyPair.P3072};
        for (int i = 0; i < groups.length; i++) {
            int n = groups[i][0];
            BigInteger p = BigInteger.ONE.shiftLeft(n).subtract(BigInteger.ONE.shiftLeft(n - 64)).subtract(BigInteger.ONE)
                    .add(piTimesTwoTo(n - 130).add(BigInteger.valueOf(groups[i][1])).shiftLeft(64));
            assertEquals(p, primes[i], n + "-bit prime");
            // the formula pins the constant; a Fermat test (base 3) of p and (p-1)/2 is a cheap sanity check on
            // top (isProbablePrime's Lucas-Lehmer step takes seconds at 3072 bits)
            BigInteger q = p.shiftRight(1);
            BigInteger three = BigInteger.valueOf(3);
            assertEquals(BigInteger.ONE, three.modPow(p.subtract(BigInteger.ONE), p), n + "-bit p");
            assertEquals(BigInteger.ONE, three.modPow(q.subtract(BigInteger.ONE), q), n + "-bit (p-1)/2");
        }
    }

    /** Python's pow() computes g^a, g^b and (g^b)^a for the same private values, all three groups in one run. */
    @Tag("root")
    @Test
    void modpMatchesPythonPow() throws Exception {
        DhGroup[] groups = {DhGroup.MODP_1024, DhGroup.MODP_2048, DhGroup.MODP_3072};
        List<String> args = new ArrayList<>();
        List<DhKeyPair[]> pairs = new ArrayList<>();
        for (DhGroup g : groups) {
            byte[] a = new SeededRandom("modp-a-" + g).bytes(g.publicValueLength());
            byte[] b = new SeededRandom("modp-b-" + g).bytes(g.publicValueLength());
            a[0] &= 0x7f;
            b[0] &= 0x7f;
            pairs.add(new DhKeyPair[] {g.fromPrivateValue(a), g.fromPrivateValue(b)});
            args.addAll(List.of(ModpKeyPair.prime(g).toString(16), HEX.formatHex(a), HEX.formatHex(b)));
        }
        List<String> py = python("import sys\n"
                + "v = [int(x, 16) for x in sys.argv[1:]]\n"
                + "for p, a, b in zip(v[0::3], v[1::3], v[2::3]):\n"
                + "    n = (p.bit_length() + 7) // 8\n"
                + "    f = lambda x: x.to_bytes(n, 'big').hex()\n"
                + "    print(f(pow(2, a, p))); print(f(pow(2, b, p))); print(f(pow(pow(2, b, p), a, p)))\n",
                args.toArray(new String[0]));
        assertEquals(9, py.size(), String.join("\n", py));
        for (int i = 0; i < groups.length; i++) {
            DhKeyPair pa = pairs.get(i)[0];
            DhKeyPair pb = pairs.get(i)[1];
            assertEquals(py.get(3 * i), HEX.formatHex(pa.publicValue()), groups[i] + " g^a");
            assertEquals(py.get(3 * i + 1), HEX.formatHex(pb.publicValue()), groups[i] + " g^b");
            assertEquals(py.get(3 * i + 2), HEX.formatHex(pa.sharedSecret(pb.publicValue())), groups[i] + " g^ab");
            assertArrayEquals(pa.sharedSecret(pb.publicValue()), pb.sharedSecret(pa.publicValue()));
        }
    }

    private static List<String> python(String script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "-c", script));
        cmd.addAll(List.of(args));
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(proc.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, proc.exitValue(), out);
        return List.of(out.trim().split("\n"));
    }

    /** RFC 6989 §2: a MODP value must satisfy 1 < y < p-1; its length must be that of p. */
    @Test
    void modpRefusesValuesOutsideTheGroup() throws Exception {
        DhGroup g = DhGroup.MODP_2048;
        DhKeyPair pair = g.generate(new SeededRandom("modp-refuse"));
        BigInteger p = ModpKeyPair.prime(g);
        for (BigInteger y : new BigInteger[] {BigInteger.ZERO, BigInteger.ONE, p.subtract(BigInteger.ONE), p,
            BigInteger.ONE.shiftLeft(2048).subtract(BigInteger.ONE)}) {
            assertInvalidKey(pair, DhKeyPair.fixedLength(y, 256));
        }
        assertInvalidKey(pair, new byte[255]);
        assertInvalidKey(pair, new byte[257]);
        assertEquals(256, pair.sharedSecret(DhKeyPair.fixedLength(BigInteger.TWO, 256)).length, "y = 2 is in range");
        byte[] small = pair.sharedSecret(DhKeyPair.fixedLength(p.subtract(BigInteger.TWO), 256));
        assertEquals(256, small.length, "shared secret padded to the length of p");
    }

    // ---- ECP

    private static final String[] P256 = {
        "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
        "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180",
        "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
        "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
        "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63",
        "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
        "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"};
    private static final String[] P384 = {
        "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194",
        "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732AEE95F41AA",
        "9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C",
        "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4BD55A7448FC",
        "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571",
        "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C",
        "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4A270F59746"};

    /** RFC 5903 §8.1 and §8.2: i, g^i = (gix, giy), r, g^r, and the shared secret's x coordinate girx. */
    @Test
    void ecpRfc5903Vectors() throws Exception {
        checkEcp(DhGroup.ECP_256, P256);
        checkEcp(DhGroup.ECP_384, P384);
    }

    private static void checkEcp(DhGroup g, String[] v) throws IkeCryptoException {
        DhKeyPair i = g.fromPrivateValue(hex(v[0]));
        DhKeyPair r = g.fromPrivateValue(hex(v[3]));
        assertEquals((v[1] + v[2]).toLowerCase(), HEX.formatHex(i.publicValue()), g + " g^i is x | y, no 0x04");
        assertEquals((v[4] + v[5]).toLowerCase(), HEX.formatHex(r.publicValue()), g + " g^r");
        assertEquals(v[6].toLowerCase(), HEX.formatHex(i.sharedSecret(r.publicValue())), g + " girx");
        assertEquals(v[6].toLowerCase(), HEX.formatHex(r.sharedSecret(i.publicValue())), g + " girx");
    }

    /** RFC 6989 §2 for ECP: the point must be on the curve (which, with cofactor 1, excludes small subgroups). */
    @Test
    void ecpRefusesPointsOffTheCurve() throws Exception {
        DhKeyPair pair = DhGroup.ECP_256.fromPrivateValue(hex(P256[0]));
        byte[] gr = hex(P256[4] + P256[5]);
        byte[] flipped = gr.clone();
        flipped[63] ^= 1;
        assertInvalidKey(pair, flipped);
        assertInvalidKey(pair, new byte[64]);
        byte[] xIsP = gr.clone();
        byte[] p = hex("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF");
        System.arraycopy(p, 0, xIsP, 0, 32);
        assertInvalidKey(pair, xIsP);
        byte[] uncompressed = new byte[65];
        uncompressed[0] = 4;
        System.arraycopy(gr, 0, uncompressed, 1, 64);
        assertInvalidKey(pair, uncompressed);
        assertEquals(P256[6].toLowerCase(), HEX.formatHex(pair.sharedSecret(gr)), "the genuine value still works");
    }

    // ---- Curve25519

    /** RFC 7748 §5.2: the two single scalar multiplications (the second u has its top bit set: masked). */
    @Test
    void x25519Rfc7748ScalarMultiplication() throws Exception {
        String[][] v = {
            {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
            {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"}};
        for (String[] t : v) {
            assertEquals(t[2], HEX.formatHex(DhGroup.CURVE25519.fromPrivateValue(hex(t[0])).sharedSecret(hex(t[1]))));
        }
    }

    /** RFC 7748 §5.2, iterated: k = u = 9, then k, u = X25519(k, u), k; after 1 and after 1000 iterations. */
    @Test
    void x25519Rfc7748Iterated() throws Exception {
        byte[] k = new byte[32];
        k[0] = 9;
        byte[] u = k.clone();
        for (int i = 1; i <= 1000; i++) {
            byte[] out = DhGroup.CURVE25519.fromPrivateValue(k).sharedSecret(u);
            u = k;
            k = out;
            if (i == 1) {
                assertEquals("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079", HEX.formatHex(k));
            }
        }
        assertEquals("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", HEX.formatHex(k));
    }

    /** RFC 7748 §6.1 (Alice and Bob) and RFC 8031 Appendix A (the IKEv2 example): public values and secret. */
    @Test
    void x25519KeyAgreementVectors() throws Exception {
        String[][] v = {
            {"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
                "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
                "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
                "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
                "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
            {"751fb4308655b476b6789b7325f9ea8cddd16a58533ff6d9e60009464a5f9d94",
                "48d5ddd40612 57ba166fa3f9bbdb74f1a4e81c089384fa77f790709f0dfbc766",
                "0a5464525329 0d60ddadd0e030bacd9e5501efdc220755a1e978f1b839a05688",
                "0be7c1f5aad87d7e4486626732 98a443478b859745179eaf564c79c0ef6eee25",
                "c74950607a12327f3204d94b6825bfb068b7f8319a9e3708ed3d43ce8130c950"}};
        for (String[] t : v) {
            DhKeyPair a = DhGroup.CURVE25519.fromPrivateValue(hex(t[0]));
            DhKeyPair b = DhGroup.CURVE25519.fromPrivateValue(hex(t[2]));
            assertEquals(t[1].replace(" ", ""), HEX.formatHex(a.publicValue()));
            assertEquals(t[3].replace(" ", ""), HEX.formatHex(b.publicValue()));
            assertEquals(t[4], HEX.formatHex(a.sharedSecret(b.publicValue())));
            assertEquals(t[4], HEX.formatHex(b.sharedSecret(a.publicValue())));
        }
    }

    /** RFC 8031 §2: an all-zero shared secret (a small-order peer value) is refused; so is a wrong length. */
    @Test
    void x25519RefusesSmallOrderPoints() throws Exception {
        DhKeyPair pair = DhGroup.CURVE25519.generate(new SeededRandom("x25519-small"));
        byte[] one = new byte[32];
        one[0] = 1;
        for (byte[] u : new byte[][] {new byte[32], one,
            hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
            hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")}) {
            assertInvalidKey(pair, u);
        }
        assertInvalidKey(pair, new byte[31]);
    }

    // ---- all groups

    /** The same randomness gives the same key pair (a captured exchange can be replayed); two sides agree. */
    @Test
    void generationIsReplayableAndBothSidesAgree() throws Exception {
        for (DhGroup g : DhGroup.values()) {
            DhKeyPair a = g.generate(new SeededRandom("replay-a"));
            DhKeyPair a2 = g.generate(new SeededRandom("replay-a"));
            DhKeyPair b = g.generate(new SeededRandom("replay-b"));
            assertArrayEquals(a.publicValue(), a2.publicValue(), g + " replayed");
            assertFalse(java.util.Arrays.equals(a.publicValue(), b.publicValue()), g + " other seed");
            assertEquals(g.publicValueLength(), a.publicValue().length);
            byte[] s1 = a.sharedSecret(b.publicValue());
            assertArrayEquals(s1, b.sharedSecret(a.publicValue()), g + " agreement");
            assertEquals(g.sharedSecretLength(), s1.length);
            assertEquals(g, DhGroup.ofCode(g.code()));
        }
    }

    @Test
    void destroyedPairRefusesToAgreeAndPrintsNoSecret() throws Exception {
        DhKeyPair a = DhGroup.ECP_256.generate(new SeededRandom("destroy-a"));
        byte[] peer = DhGroup.ECP_256.generate(new SeededRandom("destroy-b")).publicValue();
        a.sharedSecret(peer);
        a.destroy();
        assertTrue(a.isDestroyed());
        assertThrows(IllegalStateException.class, () -> a.sharedSecret(peer));
        assertEquals("DhKeyPair[ECP_256, destroyed]", a.toString());
    }
}
