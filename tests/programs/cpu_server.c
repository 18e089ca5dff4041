/* A thread-per-connection HTTP/1.1 server with a CPU-heavy endpoint, the
 * "busy service" of the profiler-overhead benchmark (bench/record/saturated.sh):
 * one thread per keep-alive connection, each request costs WORK units of
 * hashing in named functions (handle_request -> render_page -> hash_block ->
 * mix) plus snprintf/memcpy in libc, so stacks cross the binary, libc and the
 * kernel's socket paths like a real server's.
 *
 *   cpu_server [--port N] [--work UNITS=2000] [--seconds S=0: forever]
 *              [--slow-every N=0: never] [--slow-ms MS=5] [--slow-lock]
 *
 * Prints "PORT <n>" once listening; on exit (SIGTERM, SIGINT or --seconds)
 * prints GROUND_TRUTH with the requests served. Any path is answered; the
 * query "?work=N" overrides the per-request work. With --slow-every N, every
 * Nth request served (counted across connections) also burns MS ms of its
 * thread's CPU time in burn_slow_request(): the planted cause of the slow
 * requests for the latency <-> stack correlation tests. With --slow-lock the
 * Nth request instead waits in wait_for_index_lock() for a mutex that a
 * background thread holds 80 % of the time, in 16 ms slices: the slow
 * requests are off the CPU on a futex. With --slow-peer the Nth request
 * instead makes one round trip in call_slow_peer() over loopback TCP to a
 * "downstream" thread of this process that answers MS ms later: the slow
 * requests are off the CPU on a socket (peer_wait_ns in GROUND_TRUTH). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "program_util.h"

static atomic_ulong requests_served;
static volatile sig_atomic_t stopping;
static long default_work = 2000;
static long slow_every;
static double slow_ms = 5;
static atomic_ulong requests_started, slow_requests, slow_cpu_ns, lock_wait_ns, peer_wait_ns;
static int slow_lock, slow_peer;
static struct sockaddr_in peer_addr; /* the downstream's listening address (--slow-peer) */
static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static uint64_t mix(uint64_t state, uint64_t word)
{
	state ^= word + 0x9e3779b97f4a7c15ull + (state << 6) + (state >> 2);
	__asm__ volatile("" : "+r"(state));
	return state * 0xff51afd7ed558ccdull;
}

__attribute__((noinline)) static uint64_t hash_block(const char *data, size_t size, uint64_t seed)
{
	uint64_t state = seed;
	for (size_t i = 0; i + 8 <= size; i += 8) {
		uint64_t word;
		memcpy(&word, data + i, sizeof word);
		state = mix(state, word);
	}
	return state;
}

/* The body: WORK rounds of hashing a 64-byte block, then a formatted page. */
__attribute__((noinline)) static int render_page(char *out, size_t size, const char *path, long work)
{
	char block[64];
	uint64_t state = 1469598103934665603ull;
	int n = snprintf(block, sizeof block, "%s", path);
	if (n < 0)
		n = 0;
	memset(block + (n < 64 ? n : 63), 'x', sizeof block - (size_t)(n < 64 ? n : 63));
	for (long round = 0; round < work; ++round)
		state = hash_block(block, sizeof block, state + (uint64_t)round);
	return snprintf(out, size, "path %s work %ld digest %016llx\n", path, work, (unsigned long long)state);
}

/* Spins until this thread has used ms of CPU time; returns the ns it used.
 * The clock is read every ~0.2 ms of mixing: reading CLOCK_THREAD_CPUTIME_ID
 * is a system call through glibc (no frame pointers: its caller drops out of
 * the stack), which must stay a small part of the burn. */
__attribute__((noinline)) static uint64_t burn_slow_request(double ms)
{
	const uint64_t start = thread_cpu_ns(), want = (uint64_t)(ms * 1e6);
	uint64_t state = start, now;
	do {
		/* Inline arithmetic, no call: every sample of the burn has
		 * burn_slow_request as its leaf (a sample in a callee's prologue
		 * would skip it). */
		for (int i = 0; i < 200000; ++i) {
			state ^= state >> 29;
			state *= 0xbf58476d1ce4e5b9ull;
			__asm__ volatile("" : "+r"(state));
		}
		now = thread_cpu_ns();
	} while (now - start < want);
	__asm__ volatile("" : : "r"(state));
	return now - start;
}

/* Waits for the index lock (held by index_holder most of the time); returns the ns waited. */
__attribute__((noinline)) static uint64_t wait_for_index_lock(void)
{
	const uint64_t start = clock_ns(CLOCK_MONOTONIC);
	pthread_mutex_lock(&index_lock);
	const uint64_t waited = clock_ns(CLOCK_MONOTONIC) - start;
	pthread_mutex_unlock(&index_lock);
	return waited;
}

/* Holds the index lock 16 ms of every 20. */
static void *index_holder(void *arg)
{
	(void)arg;
	struct timespec held = {0, 16000000}, free_for = {0, 4000000};
	while (!stopping) {
		pthread_mutex_lock(&index_lock);
		nanosleep(&held, NULL);
		pthread_mutex_unlock(&index_lock);
		nanosleep(&free_for, NULL);
	}
	return NULL;
}

/* The downstream: one connection at a time, one byte in, MS ms, one byte out. */
static void *slow_peer_loop(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	const long long after_ns = (long long)(slow_ms * 1e6);
	struct timespec answer_after = {(time_t)(after_ns / 1000000000), (long)(after_ns % 1000000000)};
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		char c;
		if (read(fd, &c, 1) == 1) {
			nanosleep(&answer_after, NULL);
			if (write(fd, &c, 1) != 1)
				perror("cpu_server: peer write");
		}
		close(fd);
	}
	return NULL;
}

/* One round trip to the downstream; returns the ns it took. */
__attribute__((noinline)) static uint64_t call_slow_peer(void)
{
	const uint64_t start = clock_ns(CLOCK_MONOTONIC);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char c = 'q';
	if (fd < 0 || connect(fd, (struct sockaddr *)&peer_addr, sizeof peer_addr) != 0 || write(fd, &c, 1) != 1 ||
	    read(fd, &c, 1) != 1)
		perror("cpu_server: peer round trip");
	if (fd >= 0)
		close(fd);
	return clock_ns(CLOCK_MONOTONIC) - start;
}

__attribute__((noinline)) static int handle_request(int fd, const char *head)
{
	char path[256] = "/";
	long work = default_work;
	const char *sp = strchr(head, ' ');
	if (sp) {
		const char *end = strchr(sp + 1, ' ');
		size_t len = end ? (size_t)(end - sp - 1) : 0;
		if (len >= sizeof path)
			len = sizeof path - 1;
		memcpy(path, sp + 1, len);
		path[len] = 0;
	}
	const char *q = strstr(path, "work=");
	if (q)
		work = atol(q + 5);
	if (slow_every > 0 && (atomic_fetch_add(&requests_started, 1) + 1) % (unsigned long)slow_every == 0) {
		if (slow_lock)
			atomic_fetch_add(&lock_wait_ns, wait_for_index_lock());
		else if (slow_peer)
			atomic_fetch_add(&peer_wait_ns, call_slow_peer());
		else
			atomic_fetch_add(&slow_cpu_ns, burn_slow_request(slow_ms));
		atomic_fetch_add(&slow_requests, 1);
	}
	char body[512], response[1024];
	int body_len = render_page(body, sizeof body, path, work);
	int len = snprintf(response, sizeof response,
			   "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", body_len,
			   body);
	for (int sent = 0; sent < len;) {
		ssize_t w = write(fd, response + sent, (size_t)(len - sent));
		if (w <= 0)
			return -1;
		sent += (int)w;
	}
	atomic_fetch_add(&requests_served, 1);
	return 0;
}

/* One connection: requests without bodies, one after another (keep-alive). */
static void *serve_connection(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[8192];
	size_t have = 0;
	while (!stopping) {
		ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		buf[have] = 0;
		char *end;
		while ((end = strstr(buf, "\r\n\r\n")) != NULL) {
			*end = 0;
			if (handle_request(fd, buf) != 0)
				goto done;
			size_t used = (size_t)(end + 4 - buf);
			memmove(buf, buf + used, have - used);
			have -= used;
			buf[have] = 0;
		}
		if (have >= sizeof buf - 1)
			break; /* a head larger than the buffer: not ours to serve */
	}
done:
	close(fd);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	int port = 0;
	double seconds = 0;
	for (int i = 1; i < argc; ++i) {
		if (!strcmp(argv[i], "--slow-lock"))
			slow_lock = 1;
		if (!strcmp(argv[i], "--slow-peer"))
			slow_peer = 1;
	}
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--slow-lock") || !strcmp(argv[i], "--slow-peer")) {
			--i; /* a flag without a value */
			continue;
		}
		if (!strcmp(argv[i], "--port"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--work"))
			default_work = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--slow-every"))
			slow_every = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--slow-ms"))
			slow_ms = atof(argv[i + 1]);
	}
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 1024) != 0) {
		perror("cpu_server: bind/listen");
		return 2;
	}
	socklen_t alen = sizeof addr;
	getsockname(lfd, (struct sockaddr *)&addr, &alen);
	printf("PORT %d\n", ntohs(addr.sin_port));
	fflush(stdout);

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (seconds > 0)
		alarm((unsigned)(seconds + 0.999));
	sigaction(SIGALRM, &sa, NULL);

	if (slow_peer) {
		int pfd = socket(AF_INET, SOCK_STREAM, 0);
		peer_addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = 0};
		peer_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t plen = sizeof peer_addr;
		if (bind(pfd, (struct sockaddr *)&peer_addr, sizeof peer_addr) != 0 || listen(pfd, 128) != 0 ||
		    getsockname(pfd, (struct sockaddr *)&peer_addr, &plen) != 0) {
			perror("cpu_server: peer bind/listen");
			return 2;
		}
		pthread_t peer;
		pthread_create(&peer, NULL, slow_peer_loop, (void *)(intptr_t)pfd);
		pthread_detach(peer);
	}
	if (slow_lock) {
		pthread_t holder;
		pthread_create(&holder, NULL, index_holder, NULL);
		pthread_detach(holder);
	}
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue; /* EINTR on stop */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		pthread_t thread;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&thread, &attr, serve_connection, (void *)(intptr_t)fd) != 0)
			close(fd);
		pthread_attr_destroy(&attr);
	}
	printf("GROUND_TRUTH program=cpu_server pid=%d requests=%lu slow_requests=%lu slow_cpu_ns=%lu "
	       "process_cpu_ns=%llu lock_wait_ns=%lu peer_wait_ns=%lu\n",
	       getpid(), (unsigned long)atomic_load(&requests_served), (unsigned long)atomic_load(&slow_requests),
	       (unsigned long)atomic_load(&slow_cpu_ns), (unsigned long long)process_cpu_ns(),
	       (unsigned long)atomic_load(&lock_wait_ns), (unsigned long)atomic_load(&peer_wait_ns));
	return 0;
}
