package net.poolsa.ike.sa;

import net.poolsa.esp.sa.AddressPool;

/**
 * The protected pools one Quick Mode negotiated (IDci and IDcr seen from our side) and what ties its SAs to
 * policies: the reqid and the two policy names. The pair of the connection's whole configured pools uses the
 * connection's reqid and the names {@code NAME/out}, {@code NAME/in}; a narrower pair (one range pair towards a
 * peer without ID_LIST, or a peer that proposed less) is sub-pair number k &gt;= 1 with reqid
 * {@code reqid + (k << 16)} and names {@code NAME/out/k}, {@code NAME/in/k}, so that the kernel never takes one
 * pair's SA for another's rekey.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-3">RFC 3554 §3</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.4.1">RFC 4301 §4.4.1</a>
 */
public record SelectorPair(AddressPool localProtected, AddressPool remoteProtected, int index, int reqid) {
    public String outboundPolicyId(String connection) {
        return index == 0 ? connection + "/out" : connection + "/out/" + index;
    }

    public String inboundPolicyId(String connection) {
        return index == 0 ? connection + "/in" : connection + "/in/" + index;
    }

    /** The reqid of sub-pair {@code index} of a connection with {@code reqid}. */
    public static int reqid(int connectionReqid, int index) {
        return connectionReqid + (index << 16);
    }

    @Override
    public String toString() {
        return localProtected + " === " + remoteProtected + " reqid " + reqid;
    }
}
