/*
 * What a daemon costs, read by the daemon itself from /proc/self: CPU time,
 * resident memory and open descriptors.  Each daemon reports its own in its
 * status (daemon.c), so no process needs to see another's /proc entry (the
 * units hide them: ProtectProc=invisible).
 */
#include <sys/resource.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nyon.h"

int
procstat_self(struct procstat *ps)
{
	unsigned long long utime, stime;
	unsigned long long size, resident;
	char buf[1024], *p;
	struct rlimit rl;
	struct dirent *de;
	DIR *dir;
	FILE *f;
	size_t n;
	int i, ok = 0;

	memset(ps, 0, sizeof(*ps));
	ps->open_fds = -1;
	if ((f = fopen("/proc/self/stat", "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		/* the name in parentheses may hold anything: after the last */
		if ((p = strrchr(buf, ')')) != NULL) {
			/* state, then ten fields, then utime and stime */
			for (i = 0; i < 12 && p != NULL; i++)
				p = strchr(p + 1, ' ');
			if (p != NULL &&
			    sscanf(p, " %llu %llu", &utime, &stime) == 2) {
				ps->cpu_seconds = (double)(utime + stime) /
				    (double)sysconf(_SC_CLK_TCK);
				ok++;
			}
		}
	}
	if ((f = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(f, "%llu %llu", &size, &resident) == 2) {
			ps->rss_bytes = resident *
			    (unsigned long long)sysconf(_SC_PAGESIZE);
			ok++;
		}
		fclose(f);
	}
	if ((dir = opendir("/proc/self/fd")) != NULL) {
		ps->open_fds = 0;
		while ((de = readdir(dir)) != NULL)
			if (de->d_name[0] != '.')
				ps->open_fds++;
		/* not the one the listing itself holds */
		ps->open_fds--;
		closedir(dir);
		ok++;
	}
	ps->max_fds =
	    getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
	    ? (long long)rl.rlim_cur
	    : -1;
	return ok == 3 ? 0 : -1;
}

void
procstat_json(yajl_gen g, const char *key)
{
	struct procstat ps;

	procstat_self(&ps);
	json_key(g, key);
	yajl_gen_map_open(g);
	json_double(
	    g, "cpu_seconds", (long long)(ps.cpu_seconds * 100) / 100.0);
	json_int(g, "rss_bytes", (long long)ps.rss_bytes);
	json_int(g, "open_fds", ps.open_fds);
	json_int(g, "max_fds", ps.max_fds);
	yajl_gen_map_close(g);
}
