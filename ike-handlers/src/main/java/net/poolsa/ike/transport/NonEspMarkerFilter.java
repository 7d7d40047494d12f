package net.poolsa.ike.transport;

import java.io.IOException;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * A classic BPF socket filter for the NAT-T socket that keeps only what IKE wants: datagrams whose first
 * four payload bytes are the zero non-ESP marker, and one-byte 0xFF NAT-keepalives. ESP-in-UDP on the same
 * port (the data plane captures it with libpcap) is dropped by the kernel before it is queued to the
 * socket, so under an ESP load the IKE event loop is not woken and reads nothing per ESP packet. The
 * kernel counts what the filter drops in the socket's drop counter ({@code /proc/net/udp}, column drops).
 *
 * <p>A UDP socket's filter sees the packet from the UDP header on ({@code sk_filter_trim_cap} in
 * {@code udp_queue_rcv_one_skb}, the same for IPv6), so the payload starts at offset 8 and the packet length
 * includes those 8 bytes. The program, in {@code bpf_asm} syntax:
 * <pre>
 *     ld  len               ; UDP header + payload
 *     jeq #9, keepalive     ; one payload byte
 *     jge #12, marker, drop ; at least four payload bytes
 * keepalive:
 *     ldb [8]
 *     jeq #0xff, accept, drop
 * marker:
 *     ld  [8]
 *     jeq #0, accept, drop
 * drop:
 *     ret #0
 * accept:
 *     ret #262144           ; keep the whole datagram
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.2">RFC 3948 §2.2, §2.3</a>
 * @see <a href="https://www.kernel.org/doc/html/latest/networking/filter.html">Linux socket filtering (classic BPF)</a>
 */
public final class NonEspMarkerFilter {
    private static final int UDP_HEADER = 8;
    private static final int KEEP_ALL = 262144;

    // Classic BPF opcodes (linux/filter.h).
    private static final int LD_W_LEN = 0x80;   // BPF_LD | BPF_W | BPF_LEN
    private static final int LD_W_ABS = 0x20;   // BPF_LD | BPF_W | BPF_ABS
    private static final int LD_B_ABS = 0x30;   // BPF_LD | BPF_B | BPF_ABS
    private static final int JEQ_K = 0x15;      // BPF_JMP | BPF_JEQ | BPF_K
    private static final int JGE_K = 0x35;      // BPF_JMP | BPF_JGE | BPF_K
    private static final int RET_K = 0x06;      // BPF_RET | BPF_K

    /** {code, jt, jf, k}; jumps are relative to the next instruction. */
    private static final int[][] PROGRAM = {
        {LD_W_LEN, 0, 0, 0},
        {JEQ_K, 1, 0, UDP_HEADER + 1},                                   // -> keepalive
        {JGE_K, 2, 4, UDP_HEADER + PortRole.NON_ESP_MARKER_LENGTH},      // -> marker / drop
        {LD_B_ABS, 0, 0, UDP_HEADER},                                    // keepalive:
        {JEQ_K, 3, 2, IkeDatagramDecoder.NAT_KEEPALIVE_BYTE},            // -> accept / drop
        {LD_W_ABS, 0, 0, UDP_HEADER},                                    // marker:
        {JEQ_K, 1, 0, 0},                                                // -> accept / drop
        {RET_K, 0, 0, 0},                                                // drop:
        {RET_K, 0, 0, KEEP_ALL},                                         // accept:
    };

    private NonEspMarkerFilter() {
    }

    /** The program as the kernel's {@code struct sock_filter} array: 8 bytes per instruction, host order. */
    static Memory program() {
        Memory m = new Memory(8L * PROGRAM.length);
        for (int i = 0; i < PROGRAM.length; i++) {
            int[] insn = PROGRAM[i];
            m.setShort(8L * i, (short) insn[0]);
            m.setByte(8L * i + 2, (byte) insn[1]);
            m.setByte(8L * i + 3, (byte) insn[2]);
            m.setInt(8L * i + 4, insn[3]);
        }
        return m;
    }

    /** Number of instructions. */
    static int length() {
        return PROGRAM.length;
    }

    /**
     * Attaches the filter to a UDP socket (SO_ATTACH_FILTER; the kernel copies the program). Attach it before
     * binding, so that nothing unfiltered is ever queued.
     */
    public static void attach(int fd) throws IOException {
        Memory insns = program();
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: the pointer is 8-aligned.
        Memory fprog = new Memory(16);
        fprog.clear();
        fprog.setShort(0, (short) PROGRAM.length);
        fprog.setPointer(8, insns);
        try {
            SocketCalls.setsockopt(fd, SocketCalls.SOL_SOCKET, SocketCalls.SO_ATTACH_FILTER, fprog, (int) fprog.size());
        } catch (LastErrorException e) {
            throw new IOException("SO_ATTACH_FILTER on fd " + fd + " failed: errno " + e.getErrorCode(), e);
        } finally {
            fprog.close();
            insns.close();
        }
    }
}
