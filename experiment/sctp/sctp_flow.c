/*
 * sctp_flow: one SCTP association over usrsctp (native SCTP over raw IP), the paper's file transfer
 * (Fig. 10: a multihomed client downloads several files from a server over one association), paced, with
 * the failover timers set at this end, path events printed as they happen, and what the receiver delivers
 * counted per millisecond.
 *
 *   sctp_flow server -p PORT [-b ADDR]... [-t SECONDS] [TIMERS]
 *   sctp_flow client -p PORT -c SERVER_ADDR [-b ADDR]... -d download|upload -n FILES -s FILE_BYTES
 *                    -r BYTES_PER_SECOND -m MESSAGE_BYTES [-t SECONDS] [TIMERS]
 *   TIMERS: --rto-min MS --rto-max MS --rto-initial MS --path-max-rxt N --hb-interval MS --pf-threshold N
 *           --assoc-max-rxt N --mtu BYTES
 *
 * The client sends one request ("GET|PUT FILES FILE_BYTES MESSAGE_BYTES RATE"); the sending side then sends
 * FILES x FILE_BYTES in messages of MESSAGE_BYTES, message k at start + k * MESSAGE_BYTES / RATE (behind
 * schedule, as fast as SCTP takes them: a file download that lost time catches up). Without -b the socket
 * is bound to every address (INADDR_ANY), so a dual-homed client offers both to the server.
 *
 * Output (stdout), one line per fact, times in microseconds since the epoch (CLOCK_REALTIME, shared by all
 * network namespaces of the machine):
 *   start T role=R ...                  parameters as used
 *   event T assoc STATE                 SCTP_ASSOC_CHANGE (COMM_UP, COMM_LOST, SHUTDOWN_COMP, ...)
 *   event T paddr ADDRESS STATE err=E   SCTP_PEER_ADDR_CHANGE (ADDR_UNREACHABLE, ADDR_AVAILABLE, MADE_PRIM, ...)
 *   bin MS BYTES                        bytes delivered to the application in that millisecond (receiver only)
 *   file T INDEX                        a whole file delivered (receiver) or handed to SCTP (sender)
 *   path T ADDRESS STATE SRTT_MS RTO_MS CWND   peer address state at the end (SCTP_GET_PEER_ADDR_INFO)
 *   stat NAME VALUE                     usrsctp's counters at the end (sctps_*)
 *   end T delivered=BYTES sent=BYTES reason=R
 *
 * Needs root (raw sockets). Build: gcc -O2 -o sctp_flow sctp_flow.c -lusrsctp -lpthread
 * (Debian: libusrsctp-dev). usrsctp on Linux sends from the address bound last and does no route lookup of
 * its own (../../../shared/lab/NOTES.md): both ends need the timers below for a failover in seconds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <usrsctp.h>

#define MAX_BIND 8
#define MAX_MESSAGE 65536
#define REQUEST_MAX 128

struct options {
	int server;
	uint16_t port;
	const char *connect;
	const char *bind[MAX_BIND];
	int nbind;
	int upload;
	uint64_t files;
	uint64_t file_bytes;
	uint64_t rate;
	uint32_t message;
	double seconds;
	uint32_t rto_min, rto_max, rto_initial, path_max_rxt, hb_interval, pf_threshold, assoc_max_rxt, mtu;
};

static struct options opt = {
	.files = 1, .file_bytes = 1000000, .rate = 1000000, .message = 1000, .seconds = 30,
	.rto_min = 100, .rto_max = 400, .rto_initial = 100, .path_max_rxt = 2, .hb_interval = 500,
	.pf_threshold = 0, .assoc_max_rxt = 30, .mtu = 1280,
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t delivered, sent;
static uint64_t bin_ms, bin_bytes;
static int ended;

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void out(const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&out_lock);
	if (!ended) {
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&out_lock);
}

static void die(const char *what)
{
	fprintf(stderr, "sctp_flow: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Caller holds out_lock. */
static void flush_bin(void)
{
	if (bin_bytes > 0) {
		printf("bin %llu %llu\n", (unsigned long long)bin_ms, (unsigned long long)bin_bytes);
		bin_bytes = 0;
	}
}

static void count_delivered(size_t n)
{
	uint64_t ms = now_us() / 1000u;
	pthread_mutex_lock(&out_lock);
	if (ms != bin_ms) {
		flush_bin();
		bin_ms = ms;
	}
	bin_bytes += n;
	delivered += n;
	pthread_mutex_unlock(&out_lock);
}

static const char *address(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, len);
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf, len);
	} else {
		snprintf(buf, len, "family-%d", ss->ss_family);
	}
	return buf;
}

static const char *paddr_state(uint32_t s)
{
	switch (s) {
	case SCTP_ADDR_AVAILABLE: return "ADDR_AVAILABLE";
	case SCTP_ADDR_UNREACHABLE: return "ADDR_UNREACHABLE";
	case SCTP_ADDR_REMOVED: return "ADDR_REMOVED";
	case SCTP_ADDR_ADDED: return "ADDR_ADDED";
	case SCTP_ADDR_MADE_PRIM: return "ADDR_MADE_PRIM";
	case SCTP_ADDR_CONFIRMED: return "ADDR_CONFIRMED";
	default: return "ADDR_OTHER";
	}
}

static const char *assoc_state(uint16_t s)
{
	switch (s) {
	case SCTP_COMM_UP: return "COMM_UP";
	case SCTP_COMM_LOST: return "COMM_LOST";
	case SCTP_RESTART: return "RESTART";
	case SCTP_SHUTDOWN_COMP: return "SHUTDOWN_COMP";
	case SCTP_CANT_STR_ASSOC: return "CANT_STR_ASSOC";
	default: return "OTHER";
	}
}

/* Returns 1 when the association is gone. */
static int notification(const union sctp_notification *n)
{
	char buf[INET6_ADDRSTRLEN];
	switch (n->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		out("event %llu assoc %s\n", (unsigned long long)now_us(), assoc_state(n->sn_assoc_change.sac_state));
		return n->sn_assoc_change.sac_state == SCTP_COMM_LOST || n->sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP
		       || n->sn_assoc_change.sac_state == SCTP_CANT_STR_ASSOC;
	case SCTP_PEER_ADDR_CHANGE:
		out("event %llu paddr %s %s err=%u\n", (unsigned long long)now_us(),
		    address(&n->sn_paddr_change.spc_aaddr, buf, sizeof buf), paddr_state(n->sn_paddr_change.spc_state),
		    n->sn_paddr_change.spc_error);
		return 0;
	case SCTP_SHUTDOWN_EVENT: /* the peer shuts down: it has received everything it wanted */
		out("event %llu shutdown\n", (unsigned long long)now_us());
		return 1;
	default:
		return 0;
	}
}

static void subscribe(struct socket *s)
{
	uint16_t types[] = {SCTP_ASSOC_CHANGE, SCTP_PEER_ADDR_CHANGE, SCTP_SHUTDOWN_EVENT};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		struct sctp_event ev;
		memset(&ev, 0, sizeof ev);
		ev.se_assoc_id = SCTP_ALL_ASSOC;
		ev.se_type = types[i];
		ev.se_on = 1;
		if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev) < 0) {
			die("setsockopt SCTP_EVENT");
		}
	}
}

/* Timers for the association of a connected (or accepted) socket, on every peer address. */
static void path_parameters(struct socket *s)
{
	struct sctp_paddrparams pp;
	memset(&pp, 0, sizeof pp);
	pp.spp_address.ss_family = AF_INET; /* the wildcard address; usrsctp refuses family 0 */
	pp.spp_hbinterval = opt.hb_interval;
	pp.spp_pathmaxrxt = (uint16_t)opt.path_max_rxt;
	pp.spp_pathmtu = opt.mtu;
	pp.spp_flags = SPP_HB_ENABLE | SPP_PMTUD_DISABLE;
	if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp) < 0) {
		die("setsockopt SCTP_PEER_ADDR_PARAMS");
	}
	struct sctp_rtoinfo rto;
	memset(&rto, 0, sizeof rto);
	rto.srto_initial = opt.rto_initial;
	rto.srto_min = opt.rto_min;
	rto.srto_max = opt.rto_max;
	if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof rto) < 0) {
		die("setsockopt SCTP_RTOINFO");
	}
	int nodelay = 1;
	usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_NODELAY, &nodelay, sizeof nodelay);
}

static void bind_addresses(struct socket *s)
{
	struct sockaddr_in any;
	memset(&any, 0, sizeof any);
	any.sin_family = AF_INET;
	any.sin_port = htons(opt.port);
	if (opt.nbind == 0) {
		if (usrsctp_bind(s, (struct sockaddr *)&any, sizeof any) < 0) {
			die("bind");
		}
		return;
	}
	for (int i = 0; i < opt.nbind; i++) {
		struct sockaddr_in a = any;
		if (inet_pton(AF_INET, opt.bind[i], &a.sin_addr) != 1) {
			fprintf(stderr, "sctp_flow: -b %s: not an IPv4 address\n", opt.bind[i]);
			exit(2);
		}
		int r = i == 0 ? usrsctp_bind(s, (struct sockaddr *)&a, sizeof a)
		               : usrsctp_bindx(s, (struct sockaddr *)&a, 1, SCTP_BINDX_ADD_ADDR);
		if (r < 0) {
			die("bind");
		}
	}
}

struct stat_field {
	const char *name;
	size_t offset;
};

#define STAT(f) {#f, offsetof(struct sctpstat, f)}
static const struct stat_field stat_fields[] = {
	STAT(sctps_senddata), STAT(sctps_sendretransdata), STAT(sctps_sendfastretrans), STAT(sctps_recvdata),
	STAT(sctps_recvdupdata), STAT(sctps_sendheartbeat), STAT(sctps_recvheartbeat), STAT(sctps_timoheartbeat),
	STAT(sctps_timodata), STAT(sctps_timopathmtu), STAT(sctps_sendpackets), STAT(sctps_recvpackets),
	STAT(sctps_sendsacks), STAT(sctps_recvsacks),
};

/* Prints the end (once); the association's peer addresses when the socket is given. */
static void finish(struct socket *conn, const char *reason)
{
	struct sctpstat st;
	char buf[INET6_ADDRSTRLEN];
	if (conn != NULL) {
		struct sockaddr *addrs = NULL;
		int n = usrsctp_getpaddrs(conn, 0, &addrs);
		for (int i = 0; i < n; i++) {
			struct sockaddr_in *a = &((struct sockaddr_in *)addrs)[i];
			struct sctp_paddrinfo pi;
			socklen_t len = sizeof pi;
			memset(&pi, 0, sizeof pi);
			memcpy(&pi.spinfo_address, a, sizeof *a);
			if (usrsctp_getsockopt(conn, IPPROTO_SCTP, SCTP_GET_PEER_ADDR_INFO, &pi, &len) == 0) {
				out("path %llu %s %s %u %u %u\n", (unsigned long long)now_us(),
				    address(&pi.spinfo_address, buf, sizeof buf),
				    pi.spinfo_state == SCTP_ACTIVE ? "active" : pi.spinfo_state == SCTP_INACTIVE ? "inactive"
				    : pi.spinfo_state == SCTP_UNCONFIRMED ? "unconfirmed" : "other",
				    pi.spinfo_srtt, pi.spinfo_rto, pi.spinfo_cwnd);
			}
		}
		if (n > 0) {
			usrsctp_freepaddrs(addrs);
		}
	}
	memset(&st, 0, sizeof st);
	usrsctp_get_stat(&st);
	pthread_mutex_lock(&out_lock);
	if (!ended) {
		flush_bin();
		for (size_t i = 0; i < sizeof stat_fields / sizeof stat_fields[0]; i++) {
			printf("stat %s %u\n", stat_fields[i].name, *(uint32_t *)((char *)&st + stat_fields[i].offset));
		}
		printf("end %llu delivered=%llu sent=%llu reason=%s\n", (unsigned long long)now_us(),
		       (unsigned long long)delivered, (unsigned long long)sent, reason);
		fflush(stdout);
		ended = 1;
	}
	pthread_mutex_unlock(&out_lock);
}

static struct socket *watched;

/* The deadline: a run never outlives -t, whatever SCTP does (an association that never recovers). */
static void *watchdog(void *arg)
{
	(void)arg;
	useconds_t left = (useconds_t)(opt.seconds * 1e6);
	while (left > 0) {
		useconds_t step = left > 100000 ? 100000 : left;
		usleep(step);
		left -= step;
	}
	finish(watched, "deadline");
	_exit(0);
	return NULL;
}

struct transfer {
	struct socket *s;
	uint64_t files, file_bytes, rate;
	uint32_t message;
};

static void sleep_until_us(uint64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / 1000000u), .tv_nsec = (long)(t % 1000000u) * 1000};
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR) {
	}
}

static int send_all(struct socket *s, const void *data, size_t len)
{
	struct sctp_sndinfo si;
	memset(&si, 0, sizeof si);
	si.snd_ppid = htonl(0x504f4f4c); /* "POOL" */
	for (;;) {
		ssize_t n = usrsctp_sendv(s, data, len, NULL, 0, &si, sizeof si, SCTP_SENDV_SNDINFO, 0);
		if (n >= 0) {
			return 0;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
			return -1;
		}
		usleep(1000);
	}
}

static void *sender(void *arg)
{
	struct transfer *t = arg;
	static char buf[MAX_MESSAGE];
	memset(buf, 'p', sizeof buf);
	uint64_t start = now_us();
	uint64_t k = 0;
	for (uint64_t f = 0; f < t->files; f++) {
		for (uint64_t done = 0; done < t->file_bytes;) {
			uint32_t n = t->file_bytes - done < t->message ? (uint32_t)(t->file_bytes - done) : t->message;
			if (t->rate > 0) {
				sleep_until_us(start + k * t->message * 1000000u / t->rate);
			}
			if (send_all(t->s, buf, n) < 0) {
				out("event %llu send_failed errno=%d\n", (unsigned long long)now_us(), errno);
				return NULL;
			}
			pthread_mutex_lock(&out_lock);
			sent += n;
			pthread_mutex_unlock(&out_lock);
			done += n;
			k++;
		}
		out("file %llu %llu\n", (unsigned long long)now_us(), (unsigned long long)f);
	}
	return NULL;
}

/*
 * Receives until the association ends or (receiver of files) every byte has come. A request line, when
 * asked for, is returned in request. Returns the reason it stopped.
 */
static const char *receive(struct socket *s, uint64_t expect, char *request)
{
	static char buf[MAX_MESSAGE];
	uint64_t file_done = 0;
	for (;;) {
		struct sctp_rcvinfo ri;
		socklen_t infolen = sizeof ri;
		unsigned int infotype = 0;
		int flags = 0;
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof from;
		ssize_t n = usrsctp_recvv(s, buf, sizeof buf, (struct sockaddr *)&from, &fromlen, &ri, &infolen, &infotype,
		                          &flags);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				continue;
			}
			return "receive_error";
		}
		if (n == 0) {
			return "closed";
		}
		if (flags & MSG_NOTIFICATION) {
			if (notification((const union sctp_notification *)buf)) {
				return "association_ended";
			}
			continue;
		}
		if (request != NULL) {
			size_t len = (size_t)n < REQUEST_MAX - 1 ? (size_t)n : REQUEST_MAX - 1;
			memcpy(request, buf, len);
			request[len] = '\0';
			return "request";
		}
		count_delivered((size_t)n);
		if (opt.file_bytes > 0) {
			while (delivered >= (file_done + 1) * opt.file_bytes) {
				out("file %llu %llu\n", (unsigned long long)now_us(), (unsigned long long)file_done);
				file_done++;
			}
		}
		if (expect > 0 && delivered >= expect) {
			return "complete";
		}
	}
}

static void tune_stack(void)
{
	usrsctp_sysctl_set_sctp_rto_min_default(opt.rto_min);
	usrsctp_sysctl_set_sctp_rto_max_default(opt.rto_max);
	usrsctp_sysctl_set_sctp_rto_initial_default(opt.rto_initial);
	usrsctp_sysctl_set_sctp_init_rto_max_default(opt.rto_max);
	usrsctp_sysctl_set_sctp_path_rtx_max_default(opt.path_max_rxt);
	usrsctp_sysctl_set_sctp_assoc_rtx_max_default(opt.assoc_max_rxt);
	usrsctp_sysctl_set_sctp_heartbeat_interval_default(opt.hb_interval);
	usrsctp_sysctl_set_sctp_path_pf_threshold(opt.pf_threshold);
}

static void usage(void)
{
	fprintf(stderr, "usage: sctp_flow server -p PORT [-b ADDR]... [-t SECONDS] [TIMERS]\n"
	                "       sctp_flow client -p PORT -c SERVER [-b ADDR]... -d download|upload -n FILES -s FILE_BYTES\n"
	                "                        -r BYTES_PER_SECOND -m MESSAGE_BYTES [-t SECONDS] [TIMERS]\n"
	                "TIMERS: --rto-min MS --rto-max MS --rto-initial MS --path-max-rxt N --hb-interval MS\n"
	                "        --pf-threshold N --assoc-max-rxt N --mtu BYTES\n");
	exit(2);
}

static uint64_t number(const char *s, const char *name)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || *s == '\0' || *s == '-') {
		fprintf(stderr, "sctp_flow: %s: not a number: %s\n", name, s);
		exit(2);
	}
	return v;
}

static void parse(int argc, char **argv)
{
	enum { RTO_MIN = 256, RTO_MAX, RTO_INITIAL, PATH_MAX_RXT, HB_INTERVAL, PF_THRESHOLD, ASSOC_MAX_RXT, MTU };
	static const struct option longs[] = {
		{"rto-min", required_argument, NULL, RTO_MIN}, {"rto-max", required_argument, NULL, RTO_MAX},
		{"rto-initial", required_argument, NULL, RTO_INITIAL}, {"path-max-rxt", required_argument, NULL, PATH_MAX_RXT},
		{"hb-interval", required_argument, NULL, HB_INTERVAL}, {"pf-threshold", required_argument, NULL, PF_THRESHOLD},
		{"assoc-max-rxt", required_argument, NULL, ASSOC_MAX_RXT}, {"mtu", required_argument, NULL, MTU},
		{NULL, 0, NULL, 0},
	};
	if (argc < 2) {
		usage();
	}
	if (strcmp(argv[1], "server") == 0) {
		opt.server = 1;
	} else if (strcmp(argv[1], "client") != 0) {
		usage();
	}
	optind = 2;
	int c;
	while ((c = getopt_long(argc, argv, "p:c:b:d:n:s:r:m:t:", longs, NULL)) != -1) {
		switch (c) {
		case 'p': opt.port = (uint16_t)number(optarg, "-p"); break;
		case 'c': opt.connect = optarg; break;
		case 'b':
			if (opt.nbind == MAX_BIND) {
				usage();
			}
			opt.bind[opt.nbind++] = optarg;
			break;
		case 'd':
			if (strcmp(optarg, "upload") == 0) {
				opt.upload = 1;
			} else if (strcmp(optarg, "download") != 0) {
				usage();
			}
			break;
		case 'n': opt.files = number(optarg, "-n"); break;
		case 's': opt.file_bytes = number(optarg, "-s"); break;
		case 'r': opt.rate = number(optarg, "-r"); break;
		case 'm': opt.message = (uint32_t)number(optarg, "-m"); break;
		case 't': opt.seconds = strtod(optarg, NULL); break;
		case RTO_MIN: opt.rto_min = (uint32_t)number(optarg, "--rto-min"); break;
		case RTO_MAX: opt.rto_max = (uint32_t)number(optarg, "--rto-max"); break;
		case RTO_INITIAL: opt.rto_initial = (uint32_t)number(optarg, "--rto-initial"); break;
		case PATH_MAX_RXT: opt.path_max_rxt = (uint32_t)number(optarg, "--path-max-rxt"); break;
		case HB_INTERVAL: opt.hb_interval = (uint32_t)number(optarg, "--hb-interval"); break;
		case PF_THRESHOLD: opt.pf_threshold = (uint32_t)number(optarg, "--pf-threshold"); break;
		case ASSOC_MAX_RXT: opt.assoc_max_rxt = (uint32_t)number(optarg, "--assoc-max-rxt"); break;
		case MTU: opt.mtu = (uint32_t)number(optarg, "--mtu"); break;
		default: usage();
		}
	}
	if (opt.port == 0 || opt.message == 0 || opt.message > MAX_MESSAGE || opt.file_bytes == 0 || opt.seconds <= 0
	    || (!opt.server && opt.connect == NULL)) {
		usage();
	}
}

int main(int argc, char **argv)
{
	parse(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	usrsctp_init(0, NULL, NULL); /* UDP port 0: native SCTP over raw IP, no UDP encapsulation */
	tune_stack();
	struct socket *s = usrsctp_socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (s == NULL) {
		die("usrsctp_socket");
	}
	subscribe(s);
	bind_addresses(s);
	out("start %llu role=%s port=%u rto_min=%u rto_max=%u rto_initial=%u path_max_rxt=%u hb_interval=%u "
	    "pf_threshold=%u assoc_max_rxt=%u mtu=%u\n", (unsigned long long)now_us(), opt.server ? "server" : "client",
	    opt.port, opt.rto_min, opt.rto_max, opt.rto_initial, opt.path_max_rxt, opt.hb_interval, opt.pf_threshold,
	    opt.assoc_max_rxt, opt.mtu);
	pthread_t dog;
	struct socket *conn;
	if (opt.server) {
		if (usrsctp_listen(s, 1) < 0) {
			die("listen");
		}
		out("listening %llu\n", (unsigned long long)now_us());
		pthread_create(&dog, NULL, watchdog, NULL);
		conn = usrsctp_accept(s, NULL, NULL);
		if (conn == NULL) {
			die("accept");
		}
	} else {
		pthread_create(&dog, NULL, watchdog, NULL);
		struct sockaddr_in to;
		memset(&to, 0, sizeof to);
		to.sin_family = AF_INET;
		to.sin_port = htons(opt.port);
		if (inet_pton(AF_INET, opt.connect, &to.sin_addr) != 1) {
			fprintf(stderr, "sctp_flow: -c %s: not an IPv4 address\n", opt.connect);
			exit(2);
		}
		if (usrsctp_connect(s, (struct sockaddr *)&to, sizeof to) < 0) {
			die("connect");
		}
		conn = s;
	}
	watched = conn;
	path_parameters(conn);
	out("event %llu connected\n", (unsigned long long)now_us());

	struct transfer t = {.s = conn};
	int sending;
	if (opt.server) {
		char request[REQUEST_MAX];
		char verb[8];
		unsigned long long files, file_bytes, message, rate;
		const char *why = receive(conn, 0, request);
		if (strcmp(why, "request") != 0 || sscanf(request, "%7s %llu %llu %llu %llu", verb, &files, &file_bytes,
		                                          &message, &rate) != 5 || message == 0 || message > MAX_MESSAGE) {
			finish(conn, strcmp(why, "request") == 0 ? "bad_request" : why);
			return 1;
		}
		out("request %llu %s files=%llu file_bytes=%llu message=%llu rate=%llu\n", (unsigned long long)now_us(), verb,
		    files, file_bytes, message, rate);
		t.files = files;
		t.file_bytes = file_bytes;
		t.message = (uint32_t)message;
		t.rate = rate;
		opt.file_bytes = file_bytes;
		sending = strcmp(verb, "GET") == 0;
	} else {
		char request[REQUEST_MAX];
		snprintf(request, sizeof request, "%s %llu %llu %u %llu", opt.upload ? "PUT" : "GET",
		         (unsigned long long)opt.files, (unsigned long long)opt.file_bytes, opt.message,
		         (unsigned long long)opt.rate);
		if (send_all(conn, request, strlen(request)) < 0) {
			die("send request");
		}
		t.files = opt.files;
		t.file_bytes = opt.file_bytes;
		t.message = opt.message;
		t.rate = opt.rate;
		sending = opt.upload;
	}
	const char *why;
	if (sending) {
		pthread_t tx;
		pthread_create(&tx, NULL, sender, &t);
		why = receive(conn, 0, NULL); /* events, until the peer has everything and shuts down */
	} else {
		why = receive(conn, t.files * t.file_bytes, NULL);
	}
	finish(conn, why);
	/* The receiver starts the graceful shutdown (the sender's receive ends with its SHUTDOWN event); the sender lingers
	 * long enough to send its SHUTDOWN-ACK. */
	usrsctp_shutdown(conn, SHUT_RDWR);
	usleep(500000);
	_exit(0);
}
