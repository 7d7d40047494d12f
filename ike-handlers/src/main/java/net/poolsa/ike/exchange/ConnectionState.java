package net.poolsa.ike.exchange;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.IkeConnection;
import net.poolsa.ike.StartAction;
import net.poolsa.ike.proposal.AlgorithmWords;
import net.poolsa.ike.proposal.EspProposal;
import net.poolsa.ike.proposal.IkeProposal;
import net.poolsa.ike.sa.SelectorPair;

/**
 * A configured connection with what the engine derived from it: the parsed proposals (every combination, in the
 * order configured), the selector pairs it has negotiated so far (each narrower pair gets its own number, reqid
 * and policies, kept for the life of the connection so that a renegotiation lands on the same ones), and the
 * policies installed for it.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-4">RFC 3554 §4 (configuration is policy)</a>
 */
public final class ConnectionState {
    private final IkeConnection config;
    private final List<IkeProposal> ike;
    private final List<EspProposal> esp;
    private final List<EspProposal> bundleAh;
    private final Map<List<AddressPool>, Integer> subPairs = new HashMap<>();
    private final Set<String> policies = new LinkedHashSet<>();
    private Negotiation negotiation;
    private int preferredPair;

    ConnectionState(IkeConnection config) {
        this.config = config;
        List<IkeProposal> i = new ArrayList<>();
        for (String p : config.ikeProposals()) {
            for (IkeProposal x : AlgorithmWords.parseIke(p)) {
                if (!i.contains(x)) {
                    i.add(x);
                }
            }
        }
        List<EspProposal> e = new ArrayList<>();
        for (String p : config.espProposals()) {
            for (EspProposal x : AlgorithmWords.parseEsp(p, config.protocol(), config.extendedSequenceNumbers())) {
                if (!e.contains(x)) {
                    e.add(x);
                }
            }
        }
        List<EspProposal> a = new ArrayList<>();
        for (String p : config.bundleAhProposals()) {
            for (EspProposal x : AlgorithmWords.parseBundleAh(p, config.extendedSequenceNumbers())) {
                if (!a.contains(x)) {
                    a.add(x);
                }
            }
        }
        this.ike = List.copyOf(i);
        this.esp = List.copyOf(e);
        this.bundleAh = List.copyOf(a);
    }

    public IkeConnection config() {
        return config;
    }

    public String name() {
        return config.name();
    }

    public List<IkeProposal> ikeProposals() {
        return ike;
    }

    public List<EspProposal> espProposals() {
        return esp;
    }

    /** The AH transforms of an AH+ESP bundle, without PFS group; empty without a bundle. */
    public List<EspProposal> bundleAh() {
        return bundleAh;
    }

    /** The pair for these protected pools: number 0 for the configured pools, else a stable sub-pair number. */
    public SelectorPair pair(AddressPool localProtected, AddressPool remoteProtected) {
        if (localProtected.equals(config.localProtected()) && remoteProtected.equals(config.remoteProtected())) {
            return new SelectorPair(localProtected, remoteProtected, 0, config.reqid());
        }
        int index = subPairs.computeIfAbsent(List.of(localProtected, remoteProtected), k -> subPairs.size() + 1);
        return new SelectorPair(localProtected, remoteProtected, index, SelectorPair.reqid(config.reqid(), index));
    }

    /** Whether {@code reqid} is one of this connection's (its own or a sub-pair's). */
    public boolean ownsReqid(int reqid) {
        return (reqid & 0xFFFF) == config.reqid();
    }

    /** Names of the policies installed for this connection. */
    public Set<String> policies() {
        return policies;
    }

    /** Whether the connection's whole-pool policies stay installed without SAs (start action trap). */
    public boolean trap() {
        return config.startAction() == StartAction.TRAP;
    }

    /** The index of the pair of addresses that last carried a Main Mode of ours through (Initiations' order). */
    int preferredPair() {
        return preferredPair;
    }

    void preferredPair(int pair) {
        preferredPair = pair;
    }

    /** The initiation in progress, or null. */
    public Negotiation negotiation() {
        return negotiation;
    }

    public void negotiation(Negotiation n) {
        this.negotiation = n;
    }
}
