/* spawner: runs `sh -c '<dir>/hot SECONDS; exit 0'`, so the burner is a
 * grandchild (sh forks for a command that is not its last). Idle itself.
 *   GROUND_TRUTH program=spawner pid=N sh_pid=M sh_status=0
 * (the grandchild prints its own `GROUND_TRUTH program=hot pid=..` line).
 * Usage: spawner [seconds=2] */
#include <sys/wait.h>

#include "program_util.h"

int main(int argc, char **argv)
{
	const char *seconds = argc > 1 ? argv[1] : "2";
	char dir[4096], command[8192];
	self_dir(dir, sizeof dir);
	snprintf(command, sizeof command, "'%s/hot' %s; exit 0", dir, seconds);
	fflush(stdout);
	pid_t sh = fork();
	if (sh == 0) {
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	waitpid(sh, &status, 0);
	printf("GROUND_TRUTH program=spawner pid=%d sh_pid=%d sh_status=%d\n", getpid(), sh,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
