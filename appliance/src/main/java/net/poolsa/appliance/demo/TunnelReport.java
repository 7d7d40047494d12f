package net.poolsa.appliance.demo;

import java.util.List;

/**
 * What a tunnel's endpoints said about a run: per endpoint the continuity read from poolsa's {@code /metrics}
 * (empty for other tunnels), and lines for the summary (e.g. strongSwan's count of MOBIKE address updates).
 */
record TunnelReport(List<Continuity> continuity, List<String> notes) {
    static final TunnelReport NONE = new TunnelReport(List.of(), List.of());

    /**
     * One poolsa endpoint's tunnel-continuity series over the run, sampled from {@code /metrics}.
     *
     * @param role              the namespace role ("cl", "r2")
     * @param outerSwitches     increase of {@code poolsa_tunnel_outer_switches_total} during the transfer (same SA, new
     *                          outer addresses)
     * @param quickModes        increase of {@code poolsa_ike_exchanges_total{exchange="quick_mode"}} after the failure:
     *                          SA pairs negotiated again (rekeys); -1 without IKE
     * @param lastSwitchMillis  wall-clock time of the sample where the switch count last rose, or -1 if it never did
     * @param sampledUntilMillis time of the last sample (the time "since the last switch" is measured to)
     * @param currentPaths      the outer addresses the outbound SAs use at the end ({@code poolsa_tunnel_path_active} =
     *                          1), as "side=path"
     * @param samples           how many samples were read
     */
    record Continuity(String role, double outerSwitches, double quickModes, long lastSwitchMillis, long sampledUntilMillis,
                      List<String> currentPaths, int samples) {
    }
}
