package net.poolsa.bench.ike;

/** The Diffie-Hellman group of both Main Mode and Quick Mode's PFS, in strongSwan's proposal syntax. */
enum DhGroup {
    /** RFC 3526 §3, group 14. */
    MODP2048(14, "modp2048"),
    /** RFC 5903 §3.1, group 19. */
    ECP256(19, "ecp256");

    final int number;
    final String keyword;

    DhGroup(int number, String keyword) {
        this.number = number;
        this.keyword = keyword;
    }

    /** Phase 1: AES-128-CBC, SHA-256 (HMAC PRF), this group. */
    String ikeProposal() {
        return "aes128-sha256-" + keyword;
    }

    /** Phase 2: ESP AES-128-GCM-16, PFS with this group. */
    String espProposal() {
        return "aes128gcm16-" + keyword;
    }

    static DhGroup ofNumber(int n) {
        for (DhGroup g : values()) {
            if (g.number == n) {
                return g;
            }
        }
        throw new IllegalArgumentException("DH group " + n + ": the benchmark knows 14 and 19");
    }
}
