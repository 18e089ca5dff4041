/* slow_server: an HTTP/1.1 keep-alive server where every Nth request is slow
 * for a known reason, the target of `loadprof bench`'s tests. Fast requests
 * answer in tens of microseconds; every Nth one (counted over all
 * connections) either burns CPU in burn_slow_request() for --burn-ms of its
 * thread's CPU time, or (--lock) waits in wait_for_index_lock() for a mutex
 * that a background thread (rebuild_index) holds --hold-ms (16) then lets go
 * for 4 ms (~80 % of the time), sleeping while it holds it: the slow requests
 * are then off-CPU on a futex.
 *
 *   slow_server [--port N=0: pick one] [--threads | --event-loop] [--every N=10]
 *               [--burn-ms MS=5] [--lock] [--hold-ms MS=16] [--seconds S=0: until SIGTERM/SIGINT]
 *
 * --threads (default): one thread per connection; --event-loop: one thread,
 * epoll, non-blocking sockets (a slow request stalls every connection, as in
 * a real event loop). Any path is answered 200; "Connection: close" closes
 * after the answer; a Content-Length body is read and ignored.
 * Prints "PORT <n>" once listening; at exit prints its ground truth:
 *   GROUND_TRUTH program=slow_server pid=N mode=threads|event-loop slow=burn|lock every=10 requests=..
 *     slow_requests=.. burn_cpu_ms=.. (CPU burnt in burn_slow_request) lock_wait_ms=.. (waited in
 *     wait_for_index_lock) lock_waits=.. lock_held_pct=.. (of the rebuilder's run) */
#define _GNU_SOURCE /* strcasestr, accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "program_util.h"

static uint64_t hold_ns = 16000000ull; /* the rebuilder holds the lock 16 ms (--hold-ms) ... */
#define GAP_NS 4000000ull              /* ... then lets it go for 4 ms */
#define BUF_BYTES 16384

static volatile sig_atomic_t stopping;
static uint64_t every = 10;
static uint64_t burn_ns = 5000000;
static int lock_mode;

static atomic_ulong requests_seen;  /* numbers the requests: every Nth is slow */
static atomic_ulong requests_served;
static atomic_ulong slow_requests;
static atomic_ulong burn_cpu_total_ns;
static atomic_ulong lock_wait_total_ns;
static atomic_ulong lock_waits;
static uint64_t held_ns, rebuild_ns;
static volatile uint64_t sink;

static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
	while (nanosleep(&ts, &ts) != 0 && !stopping) {
	}
}

/* Burns --burn-ms of this thread's CPU time (not wall time: a slow request
 * costs the same CPU however busy the machine is). */
__attribute__((noinline)) void burn_slow_request(void)
{
	uint64_t start = thread_cpu_ns();
	uint64_t x = sink + 1;
	uint64_t spent = 0;
	while (spent < burn_ns) {
		for (int i = 0; i < 20000; i++) /* ~50 us between clock reads */
			BURN_STEP(x);
		spent = thread_cpu_ns() - start;
	}
	sink = x;
	atomic_fetch_add(&burn_cpu_total_ns, spent);
}

/* glibc has no frame pointers: a frame-pointer walk from inside
 * pthread_mutex_lock loses the function that called it. That one is this
 * helper, so wait_for_index_lock stays in the off-CPU stacks. */
__attribute__((noinline)) static void take_index_lock(void)
{
	pthread_mutex_lock(&index_lock);
	__asm__ volatile("");
}

/* Waits for the index the rebuilder keeps locked most of the time. */
__attribute__((noinline)) void wait_for_index_lock(void)
{
	uint64_t start = wall_ns();
	take_index_lock();
	uint64_t waited = wall_ns() - start;
	sink += 1;
	pthread_mutex_unlock(&index_lock);
	atomic_fetch_add(&lock_wait_total_ns, waited);
	atomic_fetch_add(&lock_waits, 1);
}

/* The background thread: holds the lock hold_ns, asleep, then lets it go GAP_NS. */
__attribute__((noinline)) static void *rebuild_index(void *arg)
{
	(void)arg;
	uint64_t begin = wall_ns();
	while (!stopping) {
		pthread_mutex_lock(&index_lock);
		uint64_t t0 = wall_ns();
		sleep_ns(hold_ns);
		held_ns += wall_ns() - t0;
		pthread_mutex_unlock(&index_lock);
		sleep_ns(GAP_NS);
	}
	rebuild_ns = wall_ns() - begin;
	return NULL;
}

__attribute__((noinline)) static int fast_body(char *out, size_t size, uint64_t n)
{
	return snprintf(out, size, "request %llu fast\n", (unsigned long long)n);
}

/* One request: the Nth is slow. Returns the response's length in `out`. */
__attribute__((noinline)) static int handle_request(char *out, size_t size, int close_after)
{
	uint64_t n = atomic_fetch_add(&requests_seen, 1) + 1;
	char body[128];
	int body_len;
	if (every > 0 && n % every == 0) {
		if (lock_mode)
			wait_for_index_lock();
		else
			burn_slow_request();
		atomic_fetch_add(&slow_requests, 1);
		body_len = snprintf(body, sizeof body, "request %llu slow\n", (unsigned long long)n);
	} else {
		body_len = fast_body(body, sizeof body, n);
	}
	atomic_fetch_add(&requests_served, 1);
	return snprintf(out, size, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n%s",
			body_len, close_after ? "Connection: close\r\n" : "", body);
}

static int header_has(const char *head, const char *name, const char *value)
{
	/* Case-insensitive enough for our clients: "Connection: close". */
	const char *p = strcasestr(head, name);
	if (!p)
		return 0;
	const char *eol = strstr(p, "\r\n");
	const char *v = strcasestr(p, value);
	return v && (!eol || v < eol);
}

/* A connection's input; parse_requests answers every complete request. */
struct conn {
	int fd;
	size_t have;
	size_t skip_body; /* body bytes still to drop */
	int closing;
	char buf[BUF_BYTES];
};

static int write_all(int fd, const char *data, size_t len)
{
	size_t sent = 0;
	while (sent < len) {
		ssize_t w = write(fd, data + sent, len - sent);
		if (w > 0) {
			sent += (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			poll(&p, 1, 100);
		} else {
			return -1;
		}
	}
	return 0;
}

/* Answers the complete requests in c->buf; -1: close the connection. */
static int parse_requests(struct conn *c)
{
	for (;;) {
		if (c->skip_body > 0) {
			size_t n = c->skip_body < c->have ? c->skip_body : c->have;
			memmove(c->buf, c->buf + n, c->have - n);
			c->have -= n;
			c->skip_body -= n;
			if (c->skip_body > 0)
				return 0;
		}
		c->buf[c->have] = 0;
		char *end = strstr(c->buf, "\r\n\r\n");
		if (!end)
			return c->have >= BUF_BYTES - 1 ? -1 : 0; /* a head larger than the buffer */
		*end = 0;
		const char *cl = strcasestr(c->buf, "\r\nContent-Length:");
		size_t body = cl ? (size_t)strtoull(cl + 17, NULL, 10) : 0;
		int close_after = header_has(c->buf, "\r\nConnection:", "close");
		char response[512];
		int len = handle_request(response, sizeof response, close_after);
		if (write_all(c->fd, response, (size_t)len) != 0)
			return -1;
		size_t used = (size_t)(end + 4 - c->buf);
		memmove(c->buf, c->buf + used, c->have - used);
		c->have -= used;
		c->skip_body = body;
		if (close_after)
			return -1;
	}
}

static void *serve_connection(void *arg)
{
	struct conn *c = arg;
	while (!stopping) {
		ssize_t r = read(c->fd, c->buf + c->have, BUF_BYTES - 1 - c->have);
		if (r <= 0)
			break;
		c->have += (size_t)r;
		if (parse_requests(c) != 0)
			break;
	}
	close(c->fd);
	free(c);
	return NULL;
}

static void run_threads(int lfd)
{
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue; /* EINTR on stop */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct conn *c = calloc(1, sizeof *c);
		c->fd = fd;
		pthread_t thread;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&thread, &attr, serve_connection, c) != 0) {
			close(fd);
			free(c);
		}
		pthread_attr_destroy(&attr);
	}
}

static void close_conn(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void run_event_loop(int lfd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	struct epoll_event events[64];
	while (!stopping) {
		int n = epoll_wait(ep, events, 64, 200);
		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;
			if (!c) {
				int fd;
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					int one = 1;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					struct conn *nc = calloc(1, sizeof *nc);
					nc->fd = fd;
					struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = nc};
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
				}
				continue;
			}
			int done = 0;
			for (;;) {
				ssize_t r = read(c->fd, c->buf + c->have, BUF_BYTES - 1 - c->have);
				if (r > 0) {
					c->have += (size_t)r;
					if (parse_requests(c) != 0) {
						done = 1;
						break;
					}
					continue;
				}
				if (r < 0 && (errno == EAGAIN || errno == EINTR))
					break;
				done = 1; /* EOF or error */
				break;
			}
			if (done)
				close_conn(ep, c);
		}
	}
	close(ep);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	int port = 0, event_loop = 0;
	double seconds = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--threads")) {
			event_loop = 0;
		} else if (!strcmp(a, "--event-loop")) {
			event_loop = 1;
		} else if (!strcmp(a, "--lock")) {
			lock_mode = 1;
		} else if (v && !strcmp(a, "--port")) {
			port = atoi(v), i++;
		} else if (v && !strcmp(a, "--every")) {
			every = strtoull(v, NULL, 10), i++;
		} else if (v && !strcmp(a, "--burn-ms")) {
			burn_ns = (uint64_t)(atof(v) * 1e6), i++;
		} else if (v && !strcmp(a, "--hold-ms")) {
			hold_ns = (uint64_t)(atof(v) * 1e6), i++;
		} else if (v && !strcmp(a, "--seconds")) {
			seconds = atof(v), i++;
		} else {
			fprintf(stderr,
				"usage: slow_server [--port N] [--threads|--event-loop] [--every N] [--burn-ms MS] "
				"[--lock] [--hold-ms MS] [--seconds S]\n");
			return 2;
		}
	}
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 1024) != 0) {
		perror("slow_server: bind/listen");
		return 2;
	}
	socklen_t alen = sizeof addr;
	getsockname(lfd, (struct sockaddr *)&addr, &alen);

	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: accept/epoll_wait return */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (seconds > 0)
		alarm((unsigned)(seconds + 0.999));

	pthread_t rebuilder;
	if (lock_mode)
		pthread_create(&rebuilder, NULL, rebuild_index, NULL);

	printf("PORT %d\n", ntohs(addr.sin_port));
	fflush(stdout);
	if (event_loop)
		run_event_loop(lfd);
	else
		run_threads(lfd);
	if (lock_mode)
		pthread_join(rebuilder, NULL);

	printf("GROUND_TRUTH program=slow_server pid=%d mode=%s slow=%s every=%llu requests=%lu slow_requests=%lu "
	       "burn_cpu_ms=%.3f lock_wait_ms=%.3f lock_waits=%lu lock_held_pct=%.1f\n",
	       getpid(), event_loop ? "event-loop" : "threads", lock_mode ? "lock" : "burn",
	       (unsigned long long)every, (unsigned long)atomic_load(&requests_served),
	       (unsigned long)atomic_load(&slow_requests), atomic_load(&burn_cpu_total_ns) / 1e6,
	       atomic_load(&lock_wait_total_ns) / 1e6, (unsigned long)atomic_load(&lock_waits),
	       rebuild_ns ? 100.0 * held_ns / rebuild_ns : 0.0);
	fflush(stdout);
	return 0;
}
