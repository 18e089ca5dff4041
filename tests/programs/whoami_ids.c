/* whoami_ids: prints the identity it runs with, for the tests of who a
 * launched command runs as:
 *   GROUND_TRUTH program=whoami_ids pid=N uid=U euid=U suid=U gid=G egid=G sgid=G groups=G1,G2 home=H user=U
 * Usage: whoami_ids */
#define _GNU_SOURCE
#include <grp.h>

#include "program_util.h"

int main(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	gid_t groups[256];
	int n = getgroups(256, groups);
	char list[4096] = "";
	size_t used = 0;
	for (int i = 0; i < n && used < sizeof list - 16; i++)
		used += (size_t)snprintf(list + used, sizeof list - used, "%s%u", i ? "," : "", (unsigned)groups[i]);
	const char *home = getenv("HOME"), *user = getenv("USER");
	printf("GROUND_TRUTH program=whoami_ids pid=%d uid=%u euid=%u suid=%u gid=%u egid=%u sgid=%u groups=%s "
	       "home=%s user=%s\n",
	       getpid(), (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg, (unsigned)sg,
	       n > 0 ? list : "-", home ? home : "-", user ? user : "-");
	return 0;
}
