package net.poolsa.appliance.wipe;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An HPROF heap dump (the format of {@code jcmd PID GC.heap_dump}, "JAVA PROFILE 1.0.2"), searched for byte
 * patterns. Every occurrence anywhere in the file counts; each is also attributed to what holds it: a primitive array
 * by element type ({@code byte[]}, {@code int[]}, ...; the dump writes elements big-endian, so an {@code int[]}
 * holding a key as big-endian words, as AES key schedules do, shows the key's bytes in order), an object's fields
 * ({@code instance}), or anything else ({@code other}).
 */
public final class HeapDump {
    private static final String MAGIC = "JAVA PROFILE 1.0.2";
    private static final int HEAP_DUMP = 0x0C;
    private static final int HEAP_DUMP_SEGMENT = 0x1C;
    private static final String[] TYPE_NAMES = {null, null, "Object[]", null, "boolean[]", "char[]", "float[]", "double[]",
        "byte[]", "short[]", "int[]", "long[]"};

    private final byte[] data;
    private final int idSize;
    /** Sorted, disjoint [start, end) regions of array data and instance fields, and what they are. */
    private final List<long[]> regions = new ArrayList<>();
    private final List<String> kinds = new ArrayList<>();

    private HeapDump(byte[] data) {
        this.data = data;
        int nul = 0;
        while (nul < data.length && data[nul] != 0) {
            nul++;
        }
        String magic = new String(data, 0, nul, StandardCharsets.US_ASCII);
        if (!magic.equals(MAGIC)) {
            throw new IllegalArgumentException("not an HPROF " + MAGIC + " file: '" + magic + "'");
        }
        ByteBuffer b = ByteBuffer.wrap(data);
        idSize = b.getInt(nul + 1);
        int pos = nul + 1 + 4 + 8;
        while (pos < data.length) {
            int tag = data[pos] & 0xff;
            long length = b.getInt(pos + 5) & 0xFFFF_FFFFL;
            int body = pos + 9;
            if (tag == HEAP_DUMP || tag == HEAP_DUMP_SEGMENT) {
                segment(b, body, (int) (body + length));
            }
            pos = (int) (body + length);
        }
    }

    public static HeapDump read(Path file) throws IOException {
        return new HeapDump(Files.readAllBytes(file));
    }

    private void segment(ByteBuffer b, int pos, int end) {
        while (pos < end) {
            int sub = data[pos++] & 0xff;
            switch (sub) {
                case 0xFF, 0x05, 0x07 -> pos += idSize;
                case 0x01 -> pos += 2 * idSize;
                case 0x02, 0x03, 0x08 -> pos += idSize + 8;
                case 0x04, 0x06 -> pos += idSize + 4;
                case 0x20 -> pos = classDump(b, pos);
                case 0x21 -> {
                    int n = b.getInt(pos + idSize + 4 + idSize);
                    int fields = pos + idSize + 4 + idSize + 4;
                    region(fields, fields + n, "instance");
                    pos = fields + n;
                }
                case 0x22 -> {
                    int n = b.getInt(pos + idSize + 4);
                    pos += idSize + 4 + 4 + idSize + n * idSize;
                }
                case 0x23 -> {
                    int n = b.getInt(pos + idSize + 4);
                    int type = data[pos + idSize + 8];
                    int start = pos + idSize + 9;
                    int len = n * size(type);
                    region(start, start + len, TYPE_NAMES[type]);
                    pos = start + len;
                }
                default -> throw new IllegalArgumentException("unknown heap dump sub-record 0x" + Integer.toHexString(sub)
                        + " at " + (pos - 1));
            }
        }
    }

    private int classDump(ByteBuffer b, int pos) {
        pos += idSize + 4 + 6 * idSize + 4;
        int constants = b.getShort(pos) & 0xffff;
        pos += 2;
        for (int i = 0; i < constants; i++) {
            pos += 2;
            pos += 1 + size(data[pos]);
        }
        int statics = b.getShort(pos) & 0xffff;
        pos += 2;
        for (int i = 0; i < statics; i++) {
            pos += idSize;
            pos += 1 + size(data[pos]);
        }
        int fields = b.getShort(pos) & 0xffff;
        return pos + 2 + fields * (idSize + 1);
    }

    private int size(int type) {
        return switch (type) {
            case 2 -> idSize;
            case 4, 8 -> 1;
            case 5, 9 -> 2;
            case 6, 10 -> 4;
            case 7, 11 -> 8;
            default -> throw new IllegalArgumentException("unknown basic type " + type);
        };
    }

    private void region(long start, long end, String kind) {
        regions.add(new long[] {start, end});
        kinds.add(kind);
    }

    /** {@code key} XOR {@code pad} byte by byte: an HMAC's inner (0x36) or outer (0x5c) pad as the JDK keeps it. */
    public static byte[] xor(byte[] key, int pad) {
        byte[] out = key.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] ^= (byte) pad;
        }
        return out;
    }

    /** Where {@code pattern} occurs: one entry per occurrence, naming what holds it. */
    public List<String> find(byte[] pattern) {
        List<String> where = new ArrayList<>();
        byte first = pattern[0];
        for (int i = 0; i <= data.length - pattern.length; i++) {
            if (data[i] == first && Arrays.equals(data, i, i + pattern.length, pattern, 0, pattern.length)) {
                where.add(holder(i, i + pattern.length));
            }
        }
        return where;
    }

    private String holder(int start, int end) {
        int lo = 0;
        int hi = regions.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long[] r = regions.get(mid);
            if (r[1] <= start) {
                lo = mid + 1;
            } else if (r[0] > start) {
                hi = mid - 1;
            } else {
                return end <= r[1] ? kinds.get(mid) : "other";
            }
        }
        return "other";
    }
}
