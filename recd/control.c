/*
 * recd's control socket: the recordings for nyonctl and authd (listed,
 * opened, deleted, kept), and authd's word that a live stream's record
 * setting changed.  recording_open hands the open file itself over
 * (SCM_RIGHTS), so authd serves downloads without any right to the
 * recordings directory.
 */
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "recd.h"

static struct recording *
control_recording(struct ctl_peer *p, struct ctl_msg *m)
{
	struct recording *r;
	long long id = 0;

	json_get_int(m->root, "id", &id);
	if (id <= 0 || (r = catalog_find((uint64_t)id)) == NULL) {
		ctl_peer_error(p, "no recording %lld", id);
		return NULL;
	}
	return r;
}

static void
control_list(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	const char *stream = json_get_str(m->root, "stream");
	struct recording *r;
	yajl_gen g = ctl_reply_begin();

	json_bool(g, "paused", recd->paused);
	if (recd->warning[0] != '\0')
		json_str(g, "warning", recd->warning);
	json_key(g, "recordings");
	yajl_gen_array_open(g);
	/* newest first: what an operator looks for */
	TAILQ_FOREACH_REVERSE(r, &recd->recs, recordinglist, entry)
		if (stream == NULL || strcmp(stream, r->stream) == 0)
			catalog_json(g, r);
	yajl_gen_array_close(g);
	ctl_reply_end(p, g);
}

static void
control_open(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	const char *what = json_get_str(m->root, "what");
	struct recording *r;
	char path[1024];
	struct stat sb;
	yajl_gen g;
	int fd, thumb;

	if ((r = control_recording(p, m)) == NULL)
		return;
	if (what != NULL && strcmp(what, "file") != 0 &&
	    strcmp(what, "thumb") != 0) {
		ctl_peer_error(p, "what: must be file or thumb");
		return;
	}
	thumb = what != NULL && strcmp(what, "thumb") == 0;
	catalog_path(r, thumb ? ".jpg" : NULL, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &sb) == -1) {
		ctl_peer_error(p, "recording %llu: %s",
		    (unsigned long long)r->id,
		    thumb ? "no thumbnail" : "cannot open it");
		if (fd != -1)
			close(fd);
		return;
	}
	g = ctl_reply_begin();
	json_int(g, "size", (long long)sb.st_size);
	json_str(g, "stream", r->stream);
	json_str(g, "file", r->file);
	json_str(g, "type", thumb ? "image/jpeg" : "video/mp4");
	json_bool(g, "recording", r->active != NULL);
	ctl_reply_end_fds(p, g, &fd, 1);
	close(fd);
}

static void
control_delete(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	struct recording *r;
	char err[256];
	uint64_t id;

	if ((r = control_recording(p, m)) == NULL)
		return;
	id = r->id;
	if (catalog_delete(r, err, sizeof(err)) == -1) {
		ctl_peer_error(p, "%s", err);
		return;
	}
	{
		yajl_gen g = ctl_reply_begin();

		json_int(g, "id", (long long)id);
		json_bool(g, "deleted", 1);
		ctl_reply_end(p, g);
	}
}

static void
control_keep(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	struct recording *r;
	char err[256];
	int keep = 0;
	yajl_gen g;

	if ((r = control_recording(p, m)) == NULL)
		return;
	json_get_bool(m->root, "keep", &keep);
	if (catalog_keep(r, keep, err, sizeof(err)) == -1) {
		ctl_peer_error(p, "%s", err);
		return;
	}
	g = ctl_reply_begin();
	json_key(g, "recording");
	catalog_json(g, r);
	ctl_reply_end(p, g);
}

/* A live stream's setting changed (authd says so): on or off from now. */
static void
control_record_set(struct ctl_peer *p, struct ctl_msg *m, void *arg)
{
	const char *name = json_get_str(m->root, "stream");
	int record = 0, live;
	yajl_gen g;

	json_get_bool(m->root, "record", &record);
	live = record_set(name, record) == 0;
	g = ctl_reply_begin();
	json_bool(g, "live", live);
	ctl_reply_end(p, g);
}

void
control_init(struct daemon *d)
{
	d->served = CTL_SERVED_RECD;
	d->handlers[CTL_OP_RECORDING_LIST] = control_list;
	d->handlers[CTL_OP_RECORDING_OPEN] = control_open;
	d->handlers[CTL_OP_RECORDING_DELETE] = control_delete;
	d->handlers[CTL_OP_RECORDING_KEEP] = control_keep;
	d->handlers[CTL_OP_RECORD_SET] = control_record_set;
}
