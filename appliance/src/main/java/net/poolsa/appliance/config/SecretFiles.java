package net.poolsa.appliance.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.HexFormat;
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

    /** Reads a hex key ("0x" prefix, whitespace and colons allowed), as {@code ip xfrm} and swanctl write them. */
    static Secret readHex(ConfigNode field, Path file) throws ConfigException {
        byte[] raw = readChecked(field, file);
        try {
            String text = new String(raw, StandardCharsets.US_ASCII).strip();
            if (text.startsWith("0x") || text.startsWith("0X")) {
                text = text.substring(2);
            }
            text = text.replaceAll("[\\s:]", "");
            if (text.isEmpty()) {
                throw field.error("secret file " + file + " is empty");
            }
            if (text.length() % 2 != 0 || !text.matches("[0-9a-fA-F]+")) {
                throw field.error("secret file " + file + " does not hold an even number of hex digits");
            }
            byte[] key = HexFormat.of().parseHex(text);
            try {
                return new Secret(key);
            } finally {
                Arrays.fill(key, (byte) 0);
            }
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /** Reads a pre-shared key: the file's bytes without a trailing newline, or hex when it starts with "0x". */
    static Secret readPsk(ConfigNode field, Path file) throws ConfigException {
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
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw field.error("cannot read " + file + ": " + e.getMessage());
        }
    }
}
