/*
 * What authd tells recd without anyone waiting for the answer: a live
 * stream's record setting changed, so recording starts or stops now
 * rather than at the stream's next publish.  Each message goes over a
 * one-shot control client; if recd is not running, there is nothing to
 * tell (it reads the setting at the next publish).
 */
#include <stdlib.h>

#include "authd.h"

#define RECDC_TIMEOUT_MS 2000

struct recdc {
	struct ctl_client *client;
	yajl_gen msg;
};

/* Answered, or failed: either way the client and its message go. */
static void
recdc_done(struct ctl_msg *m, void *arg)
{
	struct recdc *r = arg;

	if (m == NULL)
		log_debug("recd: no answer to record_set");
	ctl_client_free(r->client);
	free(r);
}

static void
recdc_up(struct ctl_client *c, void *arg)
{
	struct recdc *r = arg;
	yajl_gen g = r->msg;

	r->msg = NULL;
	/* on failure the connection is shut: down() comes and frees */
	ctl_client_request(c, g, NULL, 0, RECDC_TIMEOUT_MS, recdc_done, r);
}

static void
recdc_down(struct ctl_client *c, void *arg)
{
	struct recdc *r = arg;

	if (r->msg != NULL)
		yajl_gen_free(r->msg);
	free(r);
	ctl_client_free(c);
}

void
recdc_record_set(const char *stream, int record)
{
	static const struct ctl_client_cb cb = {
	    .up = recdc_up,
	    .down = recdc_down,
	};
	struct recdc *r = xcalloc(1, sizeof(*r));
	char path[512];

	r->msg = ctl_msg_begin(CTL_OP_RECORD_SET);
	json_str(r->msg, "stream", stream);
	json_bool(r->msg, "record", record);
	conf_file(authd->d.conf, "rundir", "recd.sock", path, sizeof(path));
	r->client = ctl_client_new(authd->d.base, path, "recd",
	    &authd->d.policy, CTL_CLIENT_ONCE, &cb, r);
}
