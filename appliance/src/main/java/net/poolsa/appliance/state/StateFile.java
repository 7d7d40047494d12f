package net.poolsa.appliance.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;

/**
 * The sequence-number state file: text, one SA per line, ending in a CRC-32 of everything before it, so that a
 * truncated or damaged file is recognised instead of silently restarting counters at 1.
 *
 * <pre>
 * # poolsa sequence-number state (RFC 4303 section 3.3.3); written by poolsa run, do not edit
 * version 1
 * out esp spi=0x00002002 key=sha256:&lt;64 hex digits&gt; reserved=8192 updated=1767225600
 * in esp spi=0x00002001 key=sha256:&lt;64 hex digits&gt; top=5120 updated=1767225600
 * crc32 1a2b3c4d
 * </pre>
 *
 * {@code reserved}: the highest outbound sequence number that may have been sent; {@code top}: the highest
 * inbound sequence number accepted (unsigned decimal). Written to a temporary file, fsync'd, renamed over the
 * old one, then the directory fsync'd: after a crash either the old or the new file is there, complete.
 */
final class StateFile {
    static final String NAME = "sequence-numbers";
    static final String TEMP = NAME + ".tmp";
    private static final String HEADER = "# poolsa sequence-number state (RFC 4303 section 3.3.3); written by poolsa run, do not edit";
    private static final String VERSION = "version 1";

    private StateFile() {
    }

    /**
     * One SA's line.
     *
     * @param value       reserved (outbound) or top (inbound), unsigned
     * @param updated     when the SA last used the record, seconds since the epoch
     */
    record Entry(Direction direction, IpsecProtocol protocol, int spi, String fingerprint, long value, long updated) {
        String line() {
            boolean out = direction == Direction.OUTBOUND;
            return (out ? "out " : "in ") + protocol.name().toLowerCase() + " spi=" + String.format("0x%08x", spi)
                    + " key=sha256:" + fingerprint + (out ? " reserved=" : " top=") + Long.toUnsignedString(value)
                    + " updated=" + updated;
        }
    }

    /** The entries of {@code file}; none when it does not exist (first start). */
    static List<Entry> read(Path file) throws StateException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new StateException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String text = new String(bytes, StandardCharsets.US_ASCII);
        int crcLine = text.lastIndexOf("\ncrc32 ");
        if (crcLine < 0 || !text.endsWith("\n")) {
            throw damaged(file, "it is truncated (no crc32 line at the end)");
        }
        String crcText = text.substring(crcLine + 7, text.length() - 1);
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, crcLine + 1);
        if (!crcText.equals(String.format("%08x", crc.getValue()))) {
            throw damaged(file, "its checksum does not match its content");
        }
        String[] lines = text.substring(0, crcLine).split("\n", -1);
        if (lines.length < 2 || !lines[0].equals(HEADER) || !lines[1].equals(VERSION)) {
            throw damaged(file, "line 1-2: not a poolsa sequence-number state file of version 1");
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 2; i < lines.length; i++) {
            entries.add(parse(file, i + 1, lines[i]));
        }
        return entries;
    }

    private static Entry parse(Path file, int lineNo, String line) throws StateException {
        String[] f = line.split(" ", -1);
        boolean out = f.length == 6 && f[0].equals("out");
        if (f.length != 6 || !(out || f[0].equals("in"))) {
            throw damaged(file, "line " + lineNo + ": expected 'out|in PROTOCOL spi=.. key=.. reserved|top=.. updated=..'");
        }
        try {
            IpsecProtocol protocol = switch (f[1]) {
                case "esp" -> IpsecProtocol.ESP;
                case "ah" -> IpsecProtocol.AH;
                default -> throw new IllegalArgumentException("protocol " + f[1]);
            };
            int spi = (int) Long.parseLong(field(f[2], "spi=0x"), 16);
            String fp = field(f[3], "key=sha256:");
            if (fp.length() != 64) {
                throw new IllegalArgumentException("key fingerprint of " + fp.length() + " digits");
            }
            HexFormat.of().parseHex(fp);
            long value = Long.parseUnsignedLong(field(f[4], out ? "reserved=" : "top="));
            long updated = Long.parseLong(field(f[5], "updated="));
            return new Entry(out ? Direction.OUTBOUND : Direction.INBOUND, protocol, spi, fp, value, updated);
        } catch (IllegalArgumentException e) {
            throw damaged(file, "line " + lineNo + ": " + e.getMessage());
        }
    }

    private static String field(String token, String prefix) {
        if (!token.startsWith(prefix)) {
            throw new IllegalArgumentException("expected " + prefix + "..., found '" + token + "'");
        }
        return token.substring(prefix.length());
    }

    private static StateException damaged(Path file, String why) {
        return new StateException("state file " + file + " is damaged: " + why + ". The sequence numbers of manually "
                + "keyed SAs cannot be continued from it; give every manually keyed connection new keys (a new key starts "
                + "afresh) and then remove the file");
    }

    /** Replaces {@code dir}/{@link #NAME} atomically and durably with {@code entries}. */
    static void write(Path dir, List<Entry> entries) throws IOException {
        StringBuilder b = new StringBuilder(HEADER).append('\n').append(VERSION).append('\n');
        for (Entry e : entries) {
            b.append(e.line()).append('\n');
        }
        byte[] body = b.toString().getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(body);
        byte[] tail = String.format("crc32 %08x\n", crc.getValue()).getBytes(StandardCharsets.US_ASCII);
        Path tmp = dir.resolve(TEMP);
        try (FileChannel ch = FileChannel.open(tmp, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            for (ByteBuffer buf : new ByteBuffer[] {ByteBuffer.wrap(body), ByteBuffer.wrap(tail)}) {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // The rename is durable only once the directory entry is.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
