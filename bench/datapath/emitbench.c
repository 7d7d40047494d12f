// Emit-path microbenchmark (bench/datapath/emit.sh runs it): process CPU time per packet and packet rate of the kernel's
// ways to send one IPv4 ESP-shaped packet over and over to an on-link peer, in batches of 32 per system call:
//   raw               socket(AF_INET, SOCK_RAW, IPPROTO_RAW) and sendmmsg (what RawSocketEmitter does)
//   ring[-bypass]     TPACKET_V2 TX ring, the kernel attaching the ring's pages to the socket buffer (zero copy)
//   ring-copy[-bypass] the same with PACKET_VNET_HDR and hdr_len = frame length: the kernel copies the frame
//                     (what PacketTxRing does); -bypass adds PACKET_QDISC_BYPASS
//   xdp               AF_XDP socket in copy mode on queue 0, TX only (what XdpTxRing does)
// Usage (root, inside the sender's namespace): emitbench MODE IFNAME SRC DST DSTMAC COUNT SIZE
// Prints: MODE size=.. packets=.. wall=..s cpu=..s pps=.. cpu_us_per_pkt=.. kicks=.. full=.. errs=..
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

#define BATCH 32
static unsigned char pkt[9000];
static int plen;

static void die(const char *m) { perror(m); exit(1); }

static uint16_t csum(const void *p, int n) {
    const uint16_t *w = p; uint32_t s = 0;
    while (n > 1) { s += *w++; n -= 2; }
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return ~s;
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static double cpu(void) { struct rusage r; getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6; }

int main(int argc, char **argv) {
    if (argc < 8) { fprintf(stderr, "usage: mode if src dst dstmac count size\n"); return 2; }
    const char *mode = argv[1], *ifn = argv[2];
    long count = atol(argv[6]); plen = atoi(argv[7]);
    unsigned char dmac[6]; sscanf(argv[5], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2], &dmac[3], &dmac[4], &dmac[5]);
    struct iphdr *ip = (struct iphdr *)pkt;
    memset(pkt, 0xab, sizeof pkt);
    ip->version = 4; ip->ihl = 5; ip->tos = 0; ip->tot_len = htons(plen); ip->id = htons(1); ip->frag_off = htons(0x4000);
    ip->ttl = 64; ip->protocol = 50; ip->check = 0; inet_pton(AF_INET, argv[3], &ip->saddr); inet_pton(AF_INET, argv[4], &ip->daddr);
    ip->check = csum(ip, 20);
    int ifindex = if_nametoindex(ifn);
    struct ifreq ifr; memset(&ifr, 0, sizeof ifr); strncpy(ifr.ifr_name, ifn, IFNAMSIZ - 1);
    int s0 = socket(AF_INET, SOCK_DGRAM, 0); if (ioctl(s0, SIOCGIFHWADDR, &ifr) < 0) die("SIOCGIFHWADDR"); close(s0);
    unsigned char eth[14]; memcpy(eth, dmac, 6); memcpy(eth + 6, ifr.ifr_hwaddr.sa_data, 6); eth[12] = 0x08; eth[13] = 0;
    long kicks = 0, full = 0, errs = 0;
    double t0 = now(), c0 = cpu();
    if (!strcmp(mode, "raw")) {
        int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); if (fd < 0) die("socket");
        int sb = 8 << 20; setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sb, sizeof sb);
        struct mmsghdr m[BATCH]; struct iovec io[BATCH]; struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = ip->daddr };
        for (int i = 0; i < BATCH; i++) { io[i].iov_base = pkt; io[i].iov_len = plen; memset(&m[i], 0, sizeof m[i]);
            m[i].msg_hdr.msg_iov = &io[i]; m[i].msg_hdr.msg_iovlen = 1; m[i].msg_hdr.msg_name = &to; m[i].msg_hdr.msg_namelen = sizeof to; }
        for (long sent = 0; sent < count; ) { int r = sendmmsg(fd, m, BATCH, 0); kicks++; if (r < 0) { errs++; continue; } sent += r; }
    } else if (!strncmp(mode, "ring", 4)) {
        int bypass = strstr(mode, "bypass") != NULL, copy = strstr(mode, "copy") != NULL;
        int fd = socket(AF_PACKET, SOCK_RAW, 0); if (fd < 0) die("socket");
        int v = TPACKET_V2, one = 1;
        if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v)) die("PACKET_VERSION");
        if (setsockopt(fd, SOL_PACKET, PACKET_LOSS, &one, sizeof one)) die("PACKET_LOSS");
        if (bypass && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one)) die("BYPASS");
        if (copy && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one)) die("VNET_HDR");
        int sb = 16 << 20; setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sb, sizeof sb);
        unsigned fsz = 2048, nfr = 2048, bsz = 1 << 16;
        struct tpacket_req req = { .tp_block_size = bsz, .tp_block_nr = fsz * nfr / bsz, .tp_frame_size = fsz, .tp_frame_nr = nfr };
        if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req)) die("TX_RING");
        unsigned char *ring = mmap(NULL, (size_t) fsz * nfr, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); if (ring == MAP_FAILED) die("mmap");
        struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = 0, .sll_ifindex = ifindex };
        if (bind(fd, (struct sockaddr *)&sll, sizeof sll)) die("bind");
        unsigned idx = 0, pend = 0;
        for (long sent = 0; sent < count; ) {
            struct tpacket2_hdr *h = (struct tpacket2_hdr *)(ring + (size_t) idx * fsz);
            if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
                full++;
                if (pend) { sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0); kicks++; pend = 0; }
                continue;
            }
            unsigned char *d = (unsigned char *)h + TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
            int off = 0;
            if (copy) { struct virtio_net_hdr *vh = (void *)d; memset(vh, 0, sizeof *vh); vh->hdr_len = 14 + plen; off = sizeof *vh; }
            memcpy(d + off, eth, 14); memcpy(d + off + 14, pkt, plen);
            h->tp_len = off + 14 + plen;
            __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
            idx = (idx + 1) % nfr; sent++;
            if (++pend == BATCH) { if (sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0) errs++; kicks++; pend = 0; }
        }
        if (pend) sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
    } else if (!strcmp(mode, "xdp")) {
        int fd = socket(AF_XDP, SOCK_RAW, 0); if (fd < 0) die("socket AF_XDP");
        unsigned nfr = 4096, fsz = 2048;
        void *area = mmap(NULL, (size_t) nfr * fsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        struct xdp_umem_reg mr = { .addr = (uint64_t)(uintptr_t) area, .len = (uint64_t) nfr * fsz, .chunk_size = fsz, .headroom = 0 };
        if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof mr)) die("UMEM_REG");
        int n = 2048;
        if (setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof n)) die("FILL");
        if (setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof n)) die("COMPL");
        if (setsockopt(fd, SOL_XDP, XDP_TX_RING, &n, sizeof n)) die("TXR");
        struct xdp_mmap_offsets off; socklen_t ol = sizeof off;
        if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol)) die("OFFSETS");
        char *tx = mmap(NULL, off.tx.desc + n * sizeof(struct xdp_desc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, XDP_PGOFF_TX_RING);
        char *cq = mmap(NULL, off.cr.desc + n * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, XDP_UMEM_PGOFF_COMPLETION_RING);
        if (tx == MAP_FAILED || cq == MAP_FAILED) die("mmap rings");
        struct sockaddr_xdp sx = { .sxdp_family = AF_XDP, .sxdp_ifindex = ifindex, .sxdp_queue_id = 0, .sxdp_flags = XDP_COPY };
        if (bind(fd, (struct sockaddr *)&sx, sizeof sx)) die("bind xdp");
        uint32_t *txp = (uint32_t *)(tx + off.tx.producer), *txc = (uint32_t *)(tx + off.tx.consumer);
        struct xdp_desc *txd = (struct xdp_desc *)(tx + off.tx.desc);
        uint32_t *cqp = (uint32_t *)(cq + off.cr.producer), *cqc = (uint32_t *)(cq + off.cr.consumer);
        // frames: a free stack of umem addresses
        uint64_t *freel = malloc(nfr * sizeof(uint64_t)); unsigned nfree = 0;
        for (unsigned i = 0; i < nfr; i++) freel[nfree++] = (uint64_t) i * fsz;
        uint32_t prod = 0; unsigned pend = 0;
        for (long sent = 0; sent < count; ) {
            // reap completions
            uint32_t cp = __atomic_load_n(cqp, __ATOMIC_ACQUIRE), cc = *cqc;
            uint64_t *cqd = (uint64_t *)(cq + off.cr.desc);
            while (cc != cp) { freel[nfree++] = cqd[cc & (n - 1)]; cc++; }
            __atomic_store_n(cqc, cc, __ATOMIC_RELEASE);
            uint32_t cons = __atomic_load_n(txc, __ATOMIC_ACQUIRE);
            if (nfree == 0 || prod - cons >= (uint32_t) n) { full++; sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0); kicks++; pend = 0; continue; }
            uint64_t a = freel[--nfree];
            unsigned char *d = (unsigned char *) area + a;
            memcpy(d, eth, 14); memcpy(d + 14, pkt, plen);
            txd[prod & (n - 1)].addr = a; txd[prod & (n - 1)].len = 14 + plen; txd[prod & (n - 1)].options = 0;
            prod++;
            __atomic_store_n(txp, prod, __ATOMIC_RELEASE);
            sent++;
            if (++pend == BATCH) { if (sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN && errno != EBUSY) errs++; kicks++; pend = 0; }
        }
        sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
    } else { fprintf(stderr, "unknown mode\n"); return 2; }
    double t1 = now(), c1 = cpu();
    printf("%s size=%d packets=%ld wall=%.3fs cpu=%.3fs pps=%.0f cpu_us_per_pkt=%.3f kicks=%ld full=%ld errs=%ld\n",
           mode, plen, count, t1 - t0, c1 - c0, count / (t1 - t0), (c1 - c0) * 1e6 / count, kicks, full, errs);
    return 0;
}
