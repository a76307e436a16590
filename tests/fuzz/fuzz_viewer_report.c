/*
 * A viewer report as authd gets it from flvd or rtcd (op viewer_report):
 * the message's JSON through json_parse, its sessions through
 * viewers_parse, and what passes written to a temporary database in one
 * batch, then listed and counted as the API would.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct authd *authd;

static struct db_viewer fuzz_v[VIEWERS_BATCH_MAX];

static void
fuzz_setup(void)
{
	static struct authd state;
	static char dir[] = "/tmp/nyon-fuzz-viewers.XXXXXX";
	struct db_err err;

	if (authd != NULL)
		return;
	authd = &state;
	log_init("fuzz_viewer_report", 1, 0);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(authd->dbpath, sizeof(authd->dbpath), "%s/nyon.db", dir);
	if (db_open(authd->dbpath, &authd->db, NULL, &err) == -1)
		abort();
	authd->d.conf = conf_defaults();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct db_err err = {0};
	char why[128], *text;
	size_t n;
	yajl_val root;
	yajl_gen g;

	fuzz_setup();
	if (size > CTL_MSG_MAX)
		return 0;
	text = strndup((const char *)data, size);
	root = json_parse(text, strlen(text), why, sizeof(why));
	free(text);
	if (root == NULL)
		return 0;
	if (viewers_parse(json_get(root, "sessions"), fuzz_v, VIEWERS_BATCH_MAX,
	        &n, why, sizeof(why)) == 0) {
		if (n > VIEWERS_BATCH_MAX)
			abort();
		if (db_viewer_report(authd->db, "fuzz", fuzz_v, n, &err) == -1)
			abort();
		g = json_gen();
		if (db_viewer_list_json(
		        authd->db, fuzz_v[0].stream, 0, 10, 0, g, &err) == -1 ||
		    db_viewer_stats_json(authd->db, NULL, 0, g, &err) == -1)
			abort();
		yajl_gen_free(g);
		db_viewer_prune(authd->db, 0, 100, &err);
	} else if (why[0] == '\0')
		abort(); /* a refusal always says why */
	yajl_tree_free(root);
	return 0;
}
