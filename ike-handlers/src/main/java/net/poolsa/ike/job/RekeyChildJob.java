package net.poolsa.ike.job;

/**
 * Starts the Quick Mode that replaces a child SA pair before its soft lifetime (jittered, {@code net.poolsa.ike.Rekey}).
 * Holds our inbound SPI, which names the pair whichever ISAKMP SA it lives under now.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.4.2.1">RFC 4301 §4.4.2.1</a>
 */
public record RekeyChildJob(JobTarget target, int spiIn) implements Runnable {
    @Override
    public void run() {
        target.rekeyChild(spiIn);
    }

    @Override
    public String toString() {
        return String.format("rekey-child[0x%08x]", spiIn);
    }
}
