/* loadprof-demo-service: the service `loadprof demo` loads and profiles. A
 * thread-per-connection HTTP/1.1 server (GET, keep-alive) whose endpoints each
 * hide one planted bottleneck in a named function:
 *
 *   /search   every 6th search (counted across connections) scores the whole
 *             catalogue in score_all_products(): 4 ms of its thread's CPU time.
 *   /cart     update_cart() holds cart_lock for 5 ms (a slow price lookup under
 *             the lock); refresh_prices(), a background thread, holds it 10 ms of
 *             every 50: requests wait on the futex in update_cart().
 *   /order    persist_order() appends the order to DATA_DIR/orders.log and
 *             fsyncs it, once per request.
 *   /session  cache_session() allocates 1 KiB per request and never frees it
 *             (a slow leak: 1 KiB x the session rate, per second).
 *   /orders   load_order_items() asks the backend for each of the order's 8
 *             items, one round trip each (N+1); the backend is a thread of this
 *             process on another loopback port that answers a query after
 *             0.25 ms (run_query()).
 *
 *   loadprof-demo-service --port N --data-dir DIR [--truth FILE]
 *
 * On SIGINT/SIGTERM it writes its ground truth (what it planted and what that
 * cost, measured with its own clocks) as one `GROUND_TRUTH key=value ...` line
 * to FILE (or stdout without --truth). Built with clang and frame pointers
 * (examples/CMakeLists.txt), installed next to the loadprof binary. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOW_SEARCH_EVERY 6
#define ITEMS_PER_ORDER 8
#define QUERY_BYTES 16
static const double kScoreMs = 4.0;
static const long kCartHoldNs = 5000000, kRefreshHoldNs = 10000000, kRefreshPeriodNs = 50000000;
static const long kQueryNs = 250000;
static const size_t kSessionBytes = 1024;

static volatile sig_atomic_t stopping;
static int orders_fd = -1;
static int backend_port;
static pthread_mutex_t cart_lock = PTHREAD_MUTEX_INITIALIZER;

/* Ground truth, counted by the service itself. */
static atomic_ulong requests, searches, slow_searches, score_cpu_ns, carts, cart_lock_wait_ns, orders, fsyncs,
	fsync_ns, sessions, leaked_bytes, order_lists, backend_round_trips;

struct session {
	struct session *next;
	char data[];
};
static struct session *_Atomic sessions_head;

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The helpers below call into glibc, built without frame pointers: a stack
 * taken inside glibc loses the function that called it. Each is its own
 * (noinline) function, so the planted function that calls it stays in the
 * stack. */
__attribute__((noinline)) static void sleep_ns(long ns)
{
	struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

__attribute__((noinline)) static int write_all(int fd, const char *data, size_t size)
{
	for (size_t done = 0; done < size;) {
		ssize_t w = write(fd, data + done, size - done);
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

__attribute__((noinline)) static int read_all(int fd, char *data, size_t size)
{
	for (size_t done = 0; done < size;) {
		ssize_t r = read(fd, data + done, size - done);
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

/* The light part of every request: hashing the path a few hundred times. */
__attribute__((noinline)) static uint64_t render_page(const char *path)
{
	uint64_t h = 1469598103934665603ull;
	for (int r = 0; r < 300; ++r)
		for (const char *p = path; *p; ++p) {
			h = (h ^ (uint8_t)*p) * 1099511628211ull;
			__asm__ volatile("" : "+r"(h));
		}
	return h;
}

/* Planted: CPU. Spins until this thread has used kScoreMs of CPU time; the
 * loop is inline arithmetic, so every sample of it has this function as its
 * leaf. The clock (vDSO) is read every ~0.2 ms. */
__attribute__((noinline)) static uint64_t score_all_products(void)
{
	const uint64_t start = clock_ns(CLOCK_THREAD_CPUTIME_ID), want = (uint64_t)(kScoreMs * 1e6);
	uint64_t state = start, now;
	do {
		for (int i = 0; i < 200000; ++i) {
			state ^= state >> 29;
			state *= 0xbf58476d1ce4e5b9ull;
			__asm__ volatile("" : "+r"(state));
		}
		now = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	} while (now - start < want);
	__asm__ volatile("" : : "r"(state));
	return now - start;
}

__attribute__((noinline)) static void handle_search(const char *path)
{
	render_page(path);
	if ((atomic_fetch_add(&searches, 1) + 1) % SLOW_SEARCH_EVERY == 0) {
		atomic_fetch_add(&score_cpu_ns, score_all_products());
		atomic_fetch_add(&slow_searches, 1);
	}
}

/* Planted: lock. The critical section includes a 5 ms price lookup. */
__attribute__((noinline)) static void update_cart(void)
{
	const uint64_t start = clock_ns(CLOCK_MONOTONIC);
	pthread_mutex_lock(&cart_lock);
	atomic_fetch_add(&cart_lock_wait_ns, clock_ns(CLOCK_MONOTONIC) - start);
	sleep_ns(kCartHoldNs);
	pthread_mutex_unlock(&cart_lock);
}

__attribute__((noinline)) static void handle_cart(const char *path)
{
	render_page(path);
	update_cart();
	atomic_fetch_add(&carts, 1);
}

/* Reloads the price table under cart_lock: 10 ms of every 50. */
__attribute__((noinline)) static void *refresh_prices(void *arg)
{
	(void)arg;
	while (!stopping) {
		pthread_mutex_lock(&cart_lock);
		sleep_ns(kRefreshHoldNs);
		pthread_mutex_unlock(&cart_lock);
		sleep_ns(kRefreshPeriodNs - kRefreshHoldNs);
	}
	return NULL;
}

/* A frame-pointer walk (--unwind fp) loses the caller of a glibc function
 * (glibc has none): persist_order stays in every fsync's stack through this
 * even then; unwound by DWARF (the default) this frame shows too. */
__attribute__((noinline)) static void sync_file(int fd) { fsync(fd); }

/* Planted: io. One fsync per order written. */
__attribute__((noinline)) static void persist_order(const char *path)
{
	char line[320];
	int n = snprintf(line, sizeof line, "order %lu %s\n", (unsigned long)atomic_load(&orders), path);
	if (n > 0)
		(void)write_all(orders_fd, line, (size_t)n);
	const uint64_t start = clock_ns(CLOCK_MONOTONIC);
	sync_file(orders_fd);
	atomic_fetch_add(&fsync_ns, clock_ns(CLOCK_MONOTONIC) - start);
	atomic_fetch_add(&fsyncs, 1);
}

__attribute__((noinline)) static void handle_order(const char *path)
{
	render_page(path);
	persist_order(path);
	atomic_fetch_add(&orders, 1);
}

/* Planted: leak. Every session is kept forever. */
__attribute__((noinline)) static void cache_session(const char *path)
{
	struct session *s = malloc(sizeof *s + kSessionBytes);
	if (!s)
		return;
	memset(s->data, 0, kSessionBytes);
	snprintf(s->data, kSessionBytes, "%s", path);
	s->next = atomic_load(&sessions_head);
	while (!atomic_compare_exchange_weak(&sessions_head, &s->next, s)) {
	}
	atomic_fetch_add(&leaked_bytes, kSessionBytes);
}

__attribute__((noinline)) static void handle_session(const char *path)
{
	render_page(path);
	cache_session(path);
	atomic_fetch_add(&sessions, 1);
}

/* One query to the backend on this thread's connection (opened on first use). */
__attribute__((noinline)) static int fetch_item(int *fd, int item)
{
	if (*fd < 0) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)backend_port)};
		addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) {
			if (s >= 0)
				close(s);
			return -1;
		}
		int one = 1;
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		*fd = s;
	}
	char query[QUERY_BYTES], reply[QUERY_BYTES];
	memset(query, ' ', sizeof query);
	snprintf(query, sizeof query, "item %d", item);
	if (write_all(*fd, query, sizeof query) != 0 || read_all(*fd, reply, sizeof reply) != 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	atomic_fetch_add(&backend_round_trips, 1);
	return 0;
}

/* Planted: N+1. One round trip per item instead of one for the order. */
__attribute__((noinline)) static void load_order_items(int *backend_fd)
{
	for (int item = 0; item < ITEMS_PER_ORDER; ++item)
		if (fetch_item(backend_fd, item) != 0)
			return;
}

__attribute__((noinline)) static void handle_orders(const char *path, int *backend_fd)
{
	render_page(path);
	load_order_items(backend_fd);
	atomic_fetch_add(&order_lists, 1);
}

/* The backend's work per query. */
__attribute__((noinline)) static void run_query(void) { sleep_ns(kQueryNs); }

static void *serve_backend_connection(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char query[QUERY_BYTES];
	while (read_all(fd, query, sizeof query) == 0) {
		run_query();
		if (write_all(fd, query, sizeof query) != 0)
			break;
	}
	close(fd);
	return NULL;
}

static void spawn_detached(void *(*fn)(void *), void *arg)
{
	pthread_t thread;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, fn, arg) != 0 && arg)
		close((int)(intptr_t)arg);
	pthread_attr_destroy(&attr);
}

static void *backend_main(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		spawn_detached(serve_backend_connection, (void *)(intptr_t)fd);
	}
	return NULL;
}

static int respond(int fd, int status, const char *body)
{
	char response[512];
	int len = snprintf(response, sizeof response, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
			   status, status == 200 ? "OK" : "Not Found", strlen(body), body);
	return write_all(fd, response, (size_t)len);
}

static int handle_request(int fd, const char *head, int *backend_fd)
{
	char path[256] = "/";
	const char *sp = strchr(head, ' ');
	if (sp) {
		const char *end = strchr(sp + 1, ' ');
		size_t len = end ? (size_t)(end - sp - 1) : 0;
		if (len >= sizeof path)
			len = sizeof path - 1;
		memcpy(path, sp + 1, len);
		path[len] = 0;
	}
	size_t name_len = strcspn(path, "?");
#define IS(name) (name_len == strlen(name) && !strncmp(path, name, name_len))
	if (IS("/search"))
		handle_search(path);
	else if (IS("/cart"))
		handle_cart(path);
	else if (IS("/order"))
		handle_order(path);
	else if (IS("/session"))
		handle_session(path);
	else if (IS("/orders"))
		handle_orders(path, backend_fd);
	else
		return respond(fd, 404, "endpoints: /search /cart /order /session /orders\n");
#undef IS
	atomic_fetch_add(&requests, 1);
	return respond(fd, 200, "ok\n");
}

/* One connection: requests without bodies, one after another (keep-alive). */
static void *serve_connection(void *arg)
{
	int fd = (int)(intptr_t)arg, backend_fd = -1;
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
			if (handle_request(fd, buf, &backend_fd) != 0)
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
	if (backend_fd >= 0)
		close(backend_fd);
	close(fd);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int listen_loopback(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1024) != 0)
		return -1;
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof addr;
	getsockname(fd, (struct sockaddr *)&addr, &len);
	return ntohs(addr.sin_port);
}

int main(int argc, char **argv)
{
	int port = -1;
	const char *data_dir = NULL, *truth_path = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port"))
			port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--data-dir"))
			data_dir = argv[i + 1];
		else if (!strcmp(argv[i], "--truth"))
			truth_path = argv[i + 1];
	}
	if (port < 0 || !data_dir) {
		fprintf(stderr, "usage: loadprof-demo-service --port N --data-dir DIR [--truth FILE]\n");
		return 2;
	}
	char orders_path[4096];
	snprintf(orders_path, sizeof orders_path, "%s/orders.log", data_dir);
	orders_fd = open(orders_path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0644);
	int lfd = listen_loopback(port), backend_fd = listen_loopback(0);
	if (orders_fd < 0 || lfd < 0 || backend_fd < 0) {
		perror("loadprof-demo-service: open/bind/listen");
		return 2;
	}
	backend_port = bound_port(backend_fd);

	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: accept returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	spawn_detached(backend_main, (void *)(intptr_t)backend_fd);
	spawn_detached(refresh_prices, NULL);
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue; /* EINTR on stop */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		spawn_detached(serve_connection, (void *)(intptr_t)fd);
	}
	FILE *out = truth_path ? fopen(truth_path, "w") : stdout;
	if (!out)
		out = stdout;
	fprintf(out,
		"GROUND_TRUTH program=loadprof-demo-service pid=%d requests=%lu process_cpu_ns=%llu searches=%lu "
		"slow_searches=%lu score_cpu_ns=%lu carts=%lu cart_lock_wait_ns=%lu orders=%lu fsyncs=%lu "
		"fsync_ns=%lu sessions=%lu leaked_bytes=%lu order_lists=%lu backend_round_trips=%lu "
		"items_per_order=%d\n",
		getpid(), atomic_load(&requests), (unsigned long long)clock_ns(CLOCK_PROCESS_CPUTIME_ID),
		atomic_load(&searches), atomic_load(&slow_searches), atomic_load(&score_cpu_ns), atomic_load(&carts),
		atomic_load(&cart_lock_wait_ns), atomic_load(&orders), atomic_load(&fsyncs), atomic_load(&fsync_ns),
		atomic_load(&sessions), atomic_load(&leaked_bytes), atomic_load(&order_lists),
		atomic_load(&backend_round_trips), ITEMS_PER_ORDER);
	fclose(out);
	return 0;
}
