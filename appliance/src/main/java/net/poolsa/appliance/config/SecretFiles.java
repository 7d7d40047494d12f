package net.poolsa.appliance.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Set;

/**
 * Reads keys and pre-shared keys from their own files, refusing files that other users may read: a key
 * in a group- or world-readable file has to be considered leaked (as OpenSSH refuses such private keys).
 */
public final class SecretFiles {
    private SecretFiles() {
    }

    /** Checks that only the owner may read {@code file}; returns a problem description or null when fine. */
    public static String permissionProblem(Path file) {
        if (!Files.isRegularFile(file)) {
            return "secret file " + file + " does not exist or is not a regular file";
        }
        try {
            PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Set<PosixFilePermission> p = a.permissions();
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)
                    || p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
                return "secret file " + file + " is accessible by group or others (mode "
                        + java.nio.file.attribute.PosixFilePermissions.toString(p) + "); run: chmod 600 " + file;
            }
        } catch (UnsupportedOperationException e) {
            return "cannot check the permissions of " + file + " (not a POSIX file system)";
        } catch (IOException e) {
            return "cannot read the attributes of " + file + ": " + e.getMessage();
        }
        if (!Files.isReadable(file)) {
            return "secret file " + file + " is not readable by this user";
        }
        return null;
    }

    /**
     * Reads a hex key ("0x" prefix, whitespace and colons allowed), as {@code ip xfrm} and swanctl write them.
     * Parsed from the file's bytes directly: the key never becomes a String, which could not be wiped.
     */
    static Secret readHex(ConfigNode field, Path file) throws ConfigException {
        byte[] raw = readChecked(field, file);
        byte[] key = new byte[raw.length / 2];
        try {
            int i = 0;
            while (i < raw.length && isBlank(raw[i])) {
                i++;
            }
            if (i + 1 < raw.length && raw[i] == '0' && (raw[i + 1] == 'x' || raw[i + 1] == 'X')) {
                i += 2;
            }
            int digits = 0;
            boolean bad = false;
            for (; i < raw.length; i++) {
                int c = raw[i] & 0xff;
                if (isBlank(raw[i]) || c == ':') {
                    continue;
                }
                int d = Character.digit(c, 16);
                if (d < 0 || c > 0x7f) {
                    bad = true;
                    break;
                }
                if (digits / 2 < key.length) {
                    key[digits / 2] |= (byte) ((digits % 2 == 0) ? d << 4 : d);
                }
                digits++;
            }
            if (!bad && digits == 0) {
                throw field.error("secret file " + file + " is empty");
            }
            if (bad || digits % 2 != 0) {
                throw field.error("secret file " + file + " does not hold an even number of hex digits");
            }
            byte[] exact = Arrays.copyOf(key, digits / 2);
            try {
                return new Secret(exact);
            } finally {
                Arrays.fill(exact, (byte) 0);
            }
        } finally {
            Arrays.fill(raw, (byte) 0);
            Arrays.fill(key, (byte) 0);
        }
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f' || (b >= 0x1c && b <= 0x1f);
    }

    /**
     * The shortest pre-shared key taken: an attacker who answers our Main Mode in the peer's place gets message 5,
     * whose keys and HASH_I derive from the key, and can test guesses of it offline (RFC 2409 §5.4); 16 bytes is a
     * 128-bit key when random, as the package generates them (32 bytes).
     */
    static final int MIN_PSK_BYTES = 16;

    /** Reads a pre-shared key: the file's bytes without a trailing newline, or hex when it starts with "0x". */
    static Secret readPsk(ConfigNode field, Path file) throws ConfigException {
        Secret psk = readPskBytes(field, file);
        if (psk.length() < MIN_PSK_BYTES) {
            int n = psk.length();
            psk.destroy();
            throw field.error("the pre-shared key in " + file + " is " + n + " byte" + (n == 1 ? "" : "s") + ", fewer than "
                    + MIN_PSK_BYTES + ": whoever answers our Main Mode in the peer's place can guess a short key offline; "
                    + "use a random one (e.g. head -c 32 /dev/urandom | base64), the same on both peers");
        }
        return psk;
    }

    private static Secret readPskBytes(ConfigNode field, Path file) throws ConfigException {
        byte[] raw = readChecked(field, file);
        try {
            int end = raw.length;
            while (end > 0 && (raw[end - 1] == '\n' || raw[end - 1] == '\r')) {
                end--;
            }
            if (end >= 2 && raw[0] == '0' && (raw[1] == 'x' || raw[1] == 'X')) {
                return readHex(field, file);
            }
            if (end == 0) {
                throw field.error("secret file " + file + " is empty");
            }
            byte[] psk = Arrays.copyOf(raw, end);
            try {
                return new Secret(psk);
            } finally {
                Arrays.fill(psk, (byte) 0);
            }
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    static byte[] readChecked(ConfigNode field, Path file) throws ConfigException {
        String problem = permissionProblem(file);
        if (problem != null) {
            throw field.error(problem);
        }
        try {
            return readWipingBuffers(file);
        } catch (IOException e) {
            throw field.error("cannot read " + file + ": " + e.getMessage());
        }
    }

    /**
     * The file's bytes, read through a direct buffer of our own that is zeroed afterwards: {@code Files.readAllBytes}
     * would go through the JDK's cached per-thread buffers, which keep the last bytes read for the life of the thread.
     */
    private static byte[] readWipingBuffers(Path file) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(8192);
        byte[] out = new byte[0];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            out = new byte[(int) Math.min(ch.size(), Integer.MAX_VALUE - 8)];
            int n = 0;
            while (true) {
                chunk.clear();
                int r = ch.read(chunk);
                if (r < 0) {
                    break;
                }
                if (n + r > out.length) {
                    byte[] grown = Arrays.copyOf(out, Math.max(n + r, out.length * 2));
                    Arrays.fill(out, (byte) 0);
                    out = grown;
                }
                chunk.flip();
                chunk.get(out, n, r);
                n += r;
            }
            if (n < out.length) {
                byte[] exact = Arrays.copyOf(out, n);
                Arrays.fill(out, (byte) 0);
                out = exact;
            }
            return out;
        } catch (IOException | RuntimeException e) {
            Arrays.fill(out, (byte) 0);
            throw e;
        } finally {
            chunk.clear();
            while (chunk.hasRemaining()) {
                chunk.put((byte) 0);
            }
        }
    }
}
