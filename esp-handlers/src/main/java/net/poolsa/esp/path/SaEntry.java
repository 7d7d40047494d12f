package net.poolsa.esp.path;

import net.poolsa.esp.event.PathSwitchCause;
import net.poolsa.esp.event.SwitchHold;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Path monitoring's record of one outbound SA: the paths it may use (in preference order), the one it uses, its
 * switch budget and what it was last held back for. Confined to the data plane's event loop.
 */
final class SaEntry {
    final SecurityAssociation sa;
    final ReqidGroup group;
    PathPair[] candidates = new PathPair[0];
    PathPair pair; // null: no candidate path (its peer addresses are not monitored)
    int slot = -1; // index in pair.sas
    int displacedSlot = -1; // index in the monitor's list of SAs not on their first candidate
    long credit = Long.MIN_VALUE; // switch budget in nanoseconds of window; MIN_VALUE: full, never used
    long creditAt;
    long lastPackets;
    PathSwitchCause lastCause;
    PathPair left; // the path it left at its last move
    PathPair heldFor; // the target and reason last reported as held, so each hold is counted once
    SwitchHold heldWhy;
    long heldEpoch;

    SaEntry(SecurityAssociation sa, ReqidGroup group) {
        this.sa = sa;
        this.group = group;
    }

    boolean canUse(PathPair p) {
        for (PathPair c : candidates) {
            if (c == p) {
                return true;
            }
        }
        return false;
    }
}
