package net.poolsa.ike;

import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.ike.proposal.AlgorithmWords;

/**
 * The proposal syntax check {@code poolsa check-config} runs: strongSwan's keywords, limited to what the IKEv1
 * engine and the data path speak ({@link AlgorithmWords}).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4109">RFC 4109 (algorithms for IKEv1)</a>
 */
public final class Proposals {
    private Proposals() {
    }

    /** A phase-1 proposal, e.g. "aes128-sha256-modp2048"; the exception's message names the bad word. */
    public static void checkIke(String proposal) {
        AlgorithmWords.parseIke(proposal);
    }

    /** A Quick Mode proposal for {@code protocol}, e.g. "aes128gcm16-modp2048" or, for AH, "sha256". */
    public static void checkEsp(String proposal, IpsecProtocol protocol) {
        AlgorithmWords.parseEsp(proposal, protocol, false);
    }

    /**
     * The AH half of an AH+ESP bundle, e.g. "sha256": an AH proposal without a DH group (the bundle's PFS group is
     * its ESP proposal's); the exception's message names the bad word.
     */
    public static void checkBundleAh(String proposal) {
        AlgorithmWords.parseBundleAh(proposal, false);
    }
}
