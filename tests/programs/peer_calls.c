/* A "service" with an N+1 pattern against a TCP backend it forks: OPS
 * operations of K round trips each (send REQUEST_BYTES, the backend sleeps
 * DELAY_US, answers REPLY_BYTES). The io probe's sockets must show the
 * backend as a client-role peer 127.0.0.1:PORT with OPS*K round trips and the
 * bytes below, waited on for about the time measured here, and the backend's
 * side as a server-role peer on PORT with as many round trips.
 *   main -> handle_operation -> query_backend -> send/recv     (client)
 *   backend child: serve_queries -> recv/usleep/send            (server)
 *   GROUND_TRUTH program=peer_calls pid= backend_pid= port= ops= per_op= round_trips=
 *                request_bytes= reply_bytes= client_wait_ns=
 * Usage: peer_calls [OPS] [K] [DELAY_US] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "program_util.h"

#define REQUEST_BYTES 32
#define REPLY_BYTES 48

static int read_full(int fd, char *buf, int n)
{
	int got = 0;
	while (got < n) {
		ssize_t r = recv(fd, buf + got, (size_t)(n - got), 0);
		if (r <= 0)
			return got;
		got += (int)r;
	}
	return got;
}

__attribute__((noinline)) static void serve_queries(int listener, int delay_us)
{
	char req[REQUEST_BYTES], reply[REPLY_BYTES];
	int fd = accept(listener, NULL, NULL);
	if (fd < 0)
		_exit(4);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	memset(reply, 'r', sizeof reply);
	while (read_full(fd, req, REQUEST_BYTES) == REQUEST_BYTES) {
		if (delay_us > 0)
			usleep((useconds_t)delay_us);
		if (send(fd, reply, sizeof reply, 0) != (ssize_t)sizeof reply)
			_exit(5);
	}
	_exit(0);
}

__attribute__((noinline)) static uint64_t query_backend(int fd)
{
	char req[REQUEST_BYTES], reply[REPLY_BYTES];
	memset(req, 'q', sizeof req);
	uint64_t t0 = wall_ns();
	if (send(fd, req, sizeof req, 0) != (ssize_t)sizeof req)
		exit(6);
	if (read_full(fd, reply, REPLY_BYTES) != REPLY_BYTES)
		exit(7);
	return wall_ns() - t0;
}

__attribute__((noinline)) static uint64_t handle_operation(int fd, int k)
{
	uint64_t waited = 0;
	for (int i = 0; i < k; i++)
		waited += query_backend(fd);
	return waited;
}

int main(int argc, char **argv)
{
	int ops = argc > 1 ? atoi(argv[1]) : 50;
	int k = argc > 2 ? atoi(argv[2]) : 10;
	int delay_us = argc > 3 ? atoi(argv[3]) : 200;
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof addr;
	if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 1) != 0 ||
	    getsockname(listener, (struct sockaddr *)&addr, &len) != 0)
		return 3;
	pid_t backend = fork();
	if (backend == 0)
		serve_queries(listener, delay_us);
	close(listener);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
		return 8;
	uint64_t waited = 0;
	for (int i = 0; i < ops; i++)
		waited += handle_operation(fd, k);
	close(fd);
	int status = 0;
	waitpid(backend, &status, 0);
	printf("GROUND_TRUTH program=peer_calls pid=%d backend_pid=%d port=%d ops=%d per_op=%d round_trips=%d "
	       "request_bytes=%d reply_bytes=%d client_wait_ns=%llu\n",
	       getpid(), (int)backend, ntohs(addr.sin_port), ops, k, ops * k, REQUEST_BYTES, REPLY_BYTES,
	       (unsigned long long)waited);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 9;
}
