package net.poolsa.esp.kernel;

import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.spd.InstalledPolicy;

/** Events the data plane raises for the control plane (as XFRM's EXPIRE and ACQUIRE messages). */
public interface KernelListener {
    KernelListener NONE = new KernelListener() {
    };

    /** A soft lifetime passed ({@code hard} false: rekey now) or a hard one did (the SA is already removed). */
    default void expired(SecurityAssociation sa, boolean hard) {
    }

    /** Outbound traffic matched a PROTECT policy that has no SA yet. Raised at most once a second per reqid. */
    default void acquire(InstalledPolicy policy) {
    }
}
