package net.poolsa.appliance.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The words of an sa-file ({@link SetkeyFile}): whitespace-separated words, {@code ;} on its own, keys as
 * {@code 0x} hex or "quoted strings", {@code #} comments to the end of the line. Keeps the line number, and the
 * name of the statement being read for the field of every error ({@code add.-E}, {@code spdadd.request}, ...).
 */
final class SetkeyLexer {
    private final Path file;
    private final byte[] text;
    private int pos;
    private int line = 1;
    /** The statement being read ("add", "spdadd", ...): the first part of every error's field name. */
    private String statement = "statement";

    record Token(String text, int line) {
        /**
         * The token as an error message may show it: quoted, unless it looks like key material (a long 0x
         * number or a quoted string), which a misplaced key in a mistyped line would otherwise put in a log.
         */
        String shown() {
            boolean keyLike = text.startsWith("\"") || ((text.startsWith("0x") || text.startsWith("0X")) && text.length() > 10);
            return keyLike ? "a key-like value (not shown)" : "'" + text + "'";
        }
    }

    SetkeyLexer(Path file, byte[] text) {
        this.file = file;
        this.text = text;
    }

    /** Names the statement that the following errors belong to. */
    void statement(String name) {
        statement = name;
    }

    /** An error in the statement being read, at no particular part of it. */
    ConfigException error(int at, String problem) {
        return new ConfigException(file, at, statement, problem);
    }

    /** An error in {@code part} of the statement being read: field "add.-E", "spdadd.request", ... */
    ConfigException error(int at, String part, String problem) {
        return new ConfigException(file, at, statement + "." + part, problem);
    }

    private void skipBlank() {
        while (pos < text.length) {
            int c = text[pos] & 0xff;
            if (c == '\n') {
                line++;
                pos++;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                pos++;
            } else if (c == '#') {
                while (pos < text.length && text[pos] != '\n') {
                    pos++;
                }
            } else {
                return;
            }
        }
    }

    /** The next word or ";", or null at the end of the file. Never used for keys (see {@link #secret}). */
    Token next() throws ConfigException {
        skipBlank();
        if (pos >= text.length) {
            return null;
        }
        int start = pos;
        if (text[pos] == ';') {
            pos++;
            return new Token(";", line);
        }
        if (text[pos] == '"') {
            throw error(line, "a quoted string is only allowed as a key");
        }
        while (pos < text.length) {
            int c = text[pos] & 0xff;
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '#') {
                break;
            }
            if (c < 0x21 || c > 0x7e) {
                throw error(line, "unexpected byte 0x" + Integer.toHexString(c) + " (setkey files are ASCII)");
            }
            pos++;
        }
        return new Token(new String(text, start, pos - start, StandardCharsets.US_ASCII), line);
    }

    Token expectWord(String part, String what, int statementLine) throws ConfigException {
        Token t = next();
        if (t == null || t.text().equals(";")) {
            throw error(t == null ? statementLine : t.line(), part, "expected " + what
                    + (t == null ? " before the end of the file" : " before ';'"));
        }
        return t;
    }

    /**
     * A key: {@code 0x} and hex digits, or a double-quoted string. Read straight from the file's bytes into a
     * {@link Secret}, so the key never becomes a String that could not be zeroed.
     */
    Secret secret(String part, String algorithm) throws ConfigException {
        skipBlank();
        int at = line;
        if (pos >= text.length || text[pos] == ';') {
            throw error(at, part, "expected a key after " + algorithm);
        }
        byte[] key;
        if (text[pos] == '"') {
            int start = ++pos;
            while (pos < text.length && text[pos] != '"' && text[pos] != '\n') {
                pos++;
            }
            if (pos >= text.length || text[pos] != '"') {
                throw error(at, part, "unterminated quoted key");
            }
            key = Arrays.copyOfRange(text, start, pos);
            pos++;
        } else {
            if (pos + 1 >= text.length || text[pos] != '0' || (text[pos + 1] != 'x' && text[pos + 1] != 'X')) {
                throw error(at, part, "a key is 0x followed by hex digits, or a \"quoted string\"");
            }
            pos += 2;
            int start = pos;
            while (pos < text.length && Character.digit(text[pos], 16) >= 0) {
                pos++;
            }
            int digits = pos - start;
            if (pos < text.length && !isDelimiter(text[pos])) {
                throw error(at, part, "the key after " + algorithm + " holds a character that is not a hex digit");
            }
            if (digits == 0 || digits % 2 != 0) {
                throw error(at, part, "the key after " + algorithm + " needs an even, non-zero number of hex digits");
            }
            key = new byte[digits / 2];
            for (int i = 0; i < key.length; i++) {
                key[i] = (byte) (Character.digit(text[start + 2 * i], 16) << 4 | Character.digit(text[start + 2 * i + 1], 16));
            }
        }
        try {
            return new Secret(key);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    private static boolean isDelimiter(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == ';' || b == '#';
    }
}
