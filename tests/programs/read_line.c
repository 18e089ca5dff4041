/* read_line: reads one line from stdin (a terminal in the test) and echoes it,
 * for the test that a launched command may read loadprof's terminal:
 *   GROUND_TRUTH program=read_line pid=N line=<the line>
 * Usage: read_line */
#include "program_util.h"

int main(void)
{
	char line[256];
	if (!fgets(line, sizeof line, stdin))
		return 1;
	line[strcspn(line, "\r\n")] = 0;
	printf("GROUND_TRUTH program=read_line pid=%d line=%s\n", getpid(), line);
	return 0;
}
