package net.poolsa.ike.exchange;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import net.poolsa.ike.IkeResult;
import net.poolsa.ike.sa.ChildSa;
import net.poolsa.ike.sa.SelectorPair;

/**
 * One initiation of a connection ({@code poolsa initiate}, start action start, a trap's acquire): Main Mode if no
 * IKE SA serves it, then its Quick Modes (one with ID_LIST, or one per range pair). Completes when every Quick Mode
 * installed its SA pair or failed; the result names the SPIs or the failures.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 */
final class Negotiation {
    private final ConnectionState conn;
    private final CompletableFuture<IkeResult> result = new CompletableFuture<>();
    private final List<String> installed = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private final SelectorPair rekeyPair;
    private int pending;

    Negotiation(ConnectionState conn) {
        this(conn, null);
    }

    /** A negotiation of the one pair {@code rekeyPair} (a rekey or a renegotiation after an expiry), or of the whole connection (null). */
    Negotiation(ConnectionState conn, SelectorPair rekeyPair) {
        this.conn = conn;
        this.rekeyPair = rekeyPair;
    }

    /** The selector pair this negotiation replaces, null for an initiation of the whole connection. */
    SelectorPair rekeyPair() {
        return rekeyPair;
    }

    CompletableFuture<IkeResult> result() {
        return result;
    }

    ConnectionState connection() {
        return conn;
    }

    /** A Quick Mode of this initiation went out. */
    void started() {
        pending++;
    }

    void childInstalled(ChildSa child) {
        installed.add(String.format("%s in 0x%08x out 0x%08x (%s)", child.pair().localProtected() + " === "
                + child.pair().remoteProtected(), child.spiIn(), child.spiOut(), child.proposal().name()));
        pending--;
        finish();
    }

    /** A Quick Mode failed; the initiation fails once the others ended. */
    void quickModeFailed(String why) {
        failures.add(why);
        pending--;
        finish();
    }

    /** A Quick Mode ended without a result of its own: the ones that replace it were started before. */
    void replaced() {
        pending--;
        finish();
    }

    /** The whole attempt failed before (or instead of) its Quick Modes. */
    void fail(String why) {
        failures.add(why);
        pending = 0;
        finish();
    }

    boolean done() {
        return result.isDone();
    }

    private void finish() {
        if (pending > 0 || result.isDone()) {
            return;
        }
        if (conn.negotiation() == this) {
            conn.negotiation(null);
        }
        if (failures.isEmpty()) {
            result.complete(IkeResult.ok("connection " + conn.name() + " established: " + String.join("; ", installed)));
        } else {
            result.complete(IkeResult.failed("connection " + conn.name() + ": " + String.join("; ", failures)
                    + (installed.isEmpty() ? "" : " (installed: " + String.join("; ", installed) + ")")));
        }
    }
}
