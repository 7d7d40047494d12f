package net.poolsa.appliance.config;

import java.nio.file.Path;
import java.util.List;

import net.poolsa.esp.crypto.IpsecAlgorithms;

/**
 * Static SAs and policies in the syntax of ipsec-tools' {@code setkey(8)} (the PF_KEY tool of RFC 2367), so an
 * existing {@code setkey -f} file can be reused. Statements end with {@code ;}, may span lines, and {@code #}
 * starts a comment:
 *
 * <pre>
 * flush; spdflush;                                      # accepted: the file is the whole manual state anyway
 * add SRC DST esp|ah SPI [-m tunnel|transport|any] [-u REQID] [-r WINDOW] [-lh|-ls SECONDS] [-bh|-bs BYTES]
 *     [-E ALGORITHM KEY] [-A ALGORITHM KEY] ;
 * spdadd SRC DST any -P out|in|fwd ipsec PROTO/MODE/TSRC-TDST/LEVEL ;
 * </pre>
 *
 * <p><b>Pools.</b> poolsa's extension: SRC, DST and tunnel endpoints may be pools, a comma-separated list of
 * addresses, prefixes and ranges ({@code 192.0.2.0/28,198.51.100.7} or {@code 192.0.2.10-192.0.2.20}).
 * A KEY is {@code 0x} and hex digits, or a double-quoted string whose bytes are the key, as in setkey.
 *
 * <p><b>Mapping.</b> Each {@code -P out ipsec} policy becomes one manually keyed connection, installed like a
 * YAML {@code manual:} connection: its outbound SA is the {@code add} from the local outer pool (the tunnel
 * source, or in transport mode the policy's source) to the remote one, its inbound SA the {@code add} the other
 * way, matched by protocol, pools and reqid ({@code unique:N} and {@code -u N}). {@code -P in}/{@code fwd}
 * policies must mirror an out policy (poolsa derives the inbound policy itself). Without {@code -r} the
 * replay window is 0 (no anti-replay), as in setkey.
 *
 * <p><b>Bundles.</b> {@code -P out ipsec esp/tunnel/A-B/require ah/transport//require} (setkey applies the first
 * request first, so AH ends up outside ESP) makes an AH+ESP bundle (RFC 4301 §4.5): the connection also gets the
 * {@code add ... ah} SAs between the same outer pools, installed under its reqid.
 *
 * <p>Refused with {@code FILE:LINE: FIELD: problem}, FIELD naming the statement and its part ({@code add.-E},
 * {@code add.spi}, {@code spdadd.request}, ...): other commands, bypass/discard policies, port or protocol
 * selectors, level {@code use} (poolsa never sends a PROTECT packet in the clear), other request combinations,
 * a bundle whose AH SPI equals its ESP SPI (the SAD finds inbound SAs by SPI alone), and algorithms or key lengths
 * that poolsa's algorithm table ({@link IpsecAlgorithms}) refuses for static keys: counter-mode AEAD (aes-gcm-16,
 * chacha20-poly1305) is refused because a manually keyed SA restarts its sequence number and so would repeat
 * nonces. Algorithm names are the table's canonical names or setkey's: {@code -E rijndael-cbc} (or
 * {@code aes-cbc}), {@code 3des-cbc}, {@code null}; {@code -A hmac-sha1}, {@code hmac-sha256},
 * {@code hmac-sha384}, {@code hmac-sha512} (RFC 4868 truncation).
 *
 * <p>Reading is split in three: {@link SetkeyLexer} (words and keys), {@link SetkeyParser} (statements) and
 * {@link SetkeyConnections} (statements to connections).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2367">RFC 2367</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.5">RFC 4301 §4.5 (manual keying)</a>
 */
public final class SetkeyFile {
    /** Connection names are prefixed so they cannot be mistaken for the YAML ones. */
    public static final String NAME_PREFIX = "setkey-";

    /**
     * One connection built from the file, with the line of the policy it came from and of the SAs it uses, so that
     * a later check of the connection ({@link ConnectionChecks}) can name the place to fix.
     */
    public record Entry(ConnectionConfig connection, int line, Path file, boolean tunnel, boolean reqidFromPolicy,
                        int outboundLine, int inboundLine, int ahInboundLine) {
        ConfigException error(ConnectionChecks.Field f, String problem) {
            return switch (f) {
                case LOCAL_OUTER -> new ConfigException(file, line, tunnel ? "spdadd.request" : "spdadd.source", problem);
                case REMOTE_OUTER -> new ConfigException(file, line, tunnel ? "spdadd.request" : "spdadd.destination", problem);
                case REMOTE_PROTECTED -> new ConfigException(file, line, "spdadd.destination", problem);
                case SPI_IN -> new ConfigException(file, inboundLine, "add.spi", problem);
                case BUNDLE_SPI_IN -> new ConfigException(file, ahInboundLine, "add.spi", problem);
                case REQID -> reqidFromPolicy ? new ConfigException(file, line, "spdadd.request", problem)
                        : new ConfigException(file, outboundLine, "add.-u", problem);
                case LIFE_BYTES -> new ConfigException(file, outboundLine, "add.-bh", problem);
                // sa-file connections are keyed manually: the IKE checks never name them.
                case PSK_FILE, IKE_PROPOSALS -> throw new IllegalStateException(f + ": " + problem);
            };
        }
    }

    private SetkeyFile() {
    }

    /**
     * Parses {@code text} (the file's bytes; the caller zeroes them afterwards) into connections.
     *
     * @throws ConfigException naming {@code file} and the line of the offending statement or token
     */
    public static List<Entry> parse(Path file, byte[] text) throws ConfigException {
        SetkeyStatements statements = new SetkeyStatements();
        try {
            new SetkeyParser(new SetkeyLexer(file, text), statements).statements();
            return new SetkeyConnections(file, statements).connections();
        } catch (ConfigException e) {
            statements.destroyKeys();
            throw e;
        }
    }
}
