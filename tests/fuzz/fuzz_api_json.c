/*
 * The REST API's request handling short of HTTP: a body through
 * api_json_body, then the field extraction and validation of the
 * operations it feeds (ops.c, ops_forward.c, db*.c), against a temporary
 * database opened
 * once; and the same bytes as a query string through api_query_args and
 * as an address through api_limit_subject.
 */
#include <sys/queue.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "authd.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct authd *authd;
static int64_t fuzz_stream; /* for destinations */

static void
fuzz_setup(void)
{
	static struct authd state;
	static char dir[] = "/tmp/nyon-fuzz-api.XXXXXX";
	struct db_err err;

	if (authd != NULL)
		return;
	authd = &state;
	log_init("fuzz_api_json", 1, 0);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(authd->dbpath, sizeof(authd->dbpath), "%s/nyon.db", dir);
	setenv("DEFAULT_ADMIN_PASSWORD", "fuzz-pass-123", 1);
	if (db_open(authd->dbpath, &authd->db, NULL, &err) == -1)
		abort();
	authd->d.conf = conf_defaults();
	{
		struct db_stream_set set = {.set = DB_SET_NAME, .name = "fwd"};
		struct db_stream st;

		if (db_stream_create(authd->db, &set, &st, &err) == -1)
			abort();
		fuzz_stream = st.id;
	}
}

static void
fuzz_ops(yajl_val body, unsigned which)
{
	struct db_err err = {0};
	yajl_gen g = yajl_gen_alloc(NULL);
	long long id;

	switch (which % 10) {
	case 0:
		/* field checks run, then the missing stream is a 404 */
		if (ops_stream_update(INT64_MAX, body, g, &err) == 0)
			abort();
		break;
	case 1:
		/* a stream that was created is removed again */
		if (ops_stream_create(body, g, &err) == 0) {
			const unsigned char *buf;
			size_t len;
			char *text;
			yajl_val made;

			yajl_gen_get_buf(g, &buf, &len);
			text = strndup((const char *)buf, len);
			made = yajl_tree_parse(text, NULL, 0);
			free(text);
			if (json_get_int(made, "id", &id) == -1)
				abort();
			yajl_tree_free(made);
			yajl_gen_clear(g);
			if (ops_stream_delete(id, g, &err) == -1)
				abort();
		}
		break;
	case 2:
		ops_stream_list(body, g, &err);
		break;
	case 3:
		ops_session_list(body, g, &err);
		break;
	case 4:
		ops_config_set(body, g, &err);
		break;
	case 6:
		/* a destination that was added is removed again */
		if (ops_forward_add_stream(fuzz_stream, body, g, &err) == 0) {
			const unsigned char *buf;
			size_t len;
			char *text;
			yajl_val made;

			yajl_gen_get_buf(g, &buf, &len);
			text = strndup((const char *)buf, len);
			made = yajl_tree_parse(text, NULL, 0);
			free(text);
			if (json_get_int(made, "id", &id) == -1)
				abort();
			yajl_tree_free(made);
			yajl_gen_clear(g);
			if (ops_forward_rm_id(id, g, &err) == -1)
				abort();
		}
		break;
	case 7:
		/* field checks run, then the missing destination is a 404 */
		if (ops_forward_edit(INT64_MAX, body, g, &err) == 0)
			abort();
		break;
	case 8:
		ops_forward_rm(body, g, &err);
		break;
	case 9:
		ops_forward_list(body, g, &err);
		break;
	default:
		if (json_get_int(body, "id", &id) == 0)
			ops_session_get(id, g, &err);
		break;
	}
	/* a refusal names a code the API can send */
	if (err.code != 0 && err.code != 400 && err.code != 404 &&
	    err.code != 409)
		abort();
	yajl_gen_free(g);
}

static void
fuzz_query(const char *text)
{
	static const char *const bools[] = {"is_active", "active", NULL};
	static const char *const ints[] = {"limit", NULL};
	static const char *const strs[] = {"protocol", NULL};
	struct evkeyvalq q;
	struct db_err err;
	yajl_val args;

	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(text, &q) == 0) {
		args = api_query_args(&q, bools, ints, strs, &err);
		if (args != NULL && !YAJL_IS_OBJECT(args))
			abort();
		yajl_tree_free(args);
	}
	evhttp_clear_headers(&q);
}

/* An address a hook body names, as the failure limits count it. */
static void
fuzz_subject(const char *text)
{
	char subject[API_LIMIT_SUBJECT_SZ];

	api_limit_subject(text, subject, sizeof(subject));
	if (strlen(subject) >= sizeof(subject))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	yajl_val body;
	char err[200], *text;
	int status;

	fuzz_setup();
	if (size < 1)
		return 0;
	status = api_json_body(
	    (const char *)data + 1, size - 1, &body, err, sizeof(err));
	if (status != 0 && status != 400 && status != 413)
		abort();
	if (status == 0) {
		if (body != NULL && !YAJL_IS_OBJECT(body))
			abort();
		fuzz_ops(body, data[0]);
		yajl_tree_free(body);
	} else if (err[0] == '\0')
		abort();
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	fuzz_query(text);
	fuzz_subject(text);
	free(text);
	return 0;
}
