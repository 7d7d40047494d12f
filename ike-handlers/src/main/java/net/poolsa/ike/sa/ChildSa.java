package net.poolsa.ike.sa;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.proposal.EspProposal;

/**
 * One SA pair a Quick Mode installed: what {@code poolsa status} lists under the IKE SA and what a Delete or a
 * terminate removes. The inbound SA carries the SPI we chose, the outbound one the peer's.
 *
 * @param pair    the protected pools of the pair (the traffic selectors) and its reqid and policy names
 * @param inbound the installed inbound SA; outbound is null until the exchange finished installing it
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 */
public final class ChildSa {
    private final String connection;
    private final SelectorPair pair;
    private final EspProposal proposal;
    private final SecurityAssociation inbound;
    private final int spiOut;
    private final long createdMillis;
    private SecurityAssociation outbound;

    public ChildSa(String connection, SelectorPair pair, EspProposal proposal, SecurityAssociation inbound, int spiOut,
                   long createdMillis) {
        this.connection = connection;
        this.pair = pair;
        this.proposal = proposal;
        this.inbound = inbound;
        this.spiOut = spiOut;
        this.createdMillis = createdMillis;
    }

    public String connection() {
        return connection;
    }

    public SelectorPair pair() {
        return pair;
    }

    public EspProposal proposal() {
        return proposal;
    }

    public SecurityAssociation inbound() {
        return inbound;
    }

    public SecurityAssociation outbound() {
        return outbound;
    }

    public void outbound(SecurityAssociation sa) {
        this.outbound = sa;
    }

    public int spiIn() {
        return inbound.spi();
    }

    public int spiOut() {
        return spiOut;
    }

    public long createdMillis() {
        return createdMillis;
    }

    public AddressPool localOuter() {
        return inbound.localOuter();
    }

    public AddressPool remoteOuter() {
        return inbound.remoteOuter();
    }

    @Override
    public String toString() {
        return String.format("child[%s %s in 0x%08x out 0x%08x %s]", connection, proposal, spiIn(), spiOut, pair);
    }
}
