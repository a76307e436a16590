/*
 * authd: owns the database and decides who may publish.  See authd(8).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "authd.h"

struct authd *authd;

static void
authd_status(yajl_gen g, void *arg)
{
	struct db_stats st;

	json_str(g, "database", authd->dbpath);
	json_bool(g, "ingestd_connected", control_ingestd_connected());
	json_int(g, "publishes_ok", (long long)authd->publishes_ok);
	json_int(g, "publishes_refused", (long long)authd->publishes_refused);
	json_int(g, "revocations", (long long)authd->revocations);
	json_int(g, "viewer_reports", (long long)authd->viewer_reports);
	if (db_stats(authd->db, &st, NULL) == 0) {
		json_int(g, "streams", st.streams_total);
		json_int(g, "streams_active", st.streams_active);
		json_int(g, "streams_live", st.streams_live);
		json_int(g, "sessions_today", st.sessions_today);
	}
}

static void
authd_open_db(void)
{
	struct db_open_info info;
	struct db_err err;
	const char *statedir = conf_str(authd->d.conf, "statedir");
	int64_t ended;

	if (mkdir_p(statedir, 0750) == -1)
		fatal("%s", statedir);
	conf_file(authd->d.conf, "statedir",
	    conf_str(authd->d.conf, "database"), authd->dbpath,
	    sizeof(authd->dbpath));
	if (db_open(authd->dbpath, &authd->db, &info, &err) == -1)
		fatalx("%s: %s", authd->dbpath, err.msg);
	/* the password must not linger where children could read it */
	unsetenv("DEFAULT_ADMIN_PASSWORD");
	if (info.admin_created && info.generated) {
		/* printed once, on the terminal or into the journal */
		fprintf(stderr,
		    "authd: created user 'admin' with password "
		    "'%s' (change it at first login)\n",
		    info.password);
		log_info("created user admin with a generated password "
		         "(printed on standard error)");
	} else if (info.admin_created)
		log_info("created user admin with DEFAULT_ADMIN_PASSWORD");
	/* a crash may have left sessions open: nothing is live now */
	if (db_session_end_all(
	        authd->db, "open when authd started", &ended, &err) == -1)
		fatalx("%s: %s", authd->dbpath, err.msg);
	if (ended > 0)
		log_info("ended %lld sessions left open", (long long)ended);
	/* viewers still watching are reported again when flvd reconnects */
	if (db_viewer_end(authd->db, NULL, time(NULL), &err) == -1)
		fatalx("%s: %s", authd->dbpath, err.msg);
	log_info("database %s", authd->dbpath);
}

/* Values authd caches out of the config, read again on SIGHUP. */
static void
authd_reload(void *arg)
{
	db_record_default = conf_bool(authd->d.conf, "record");
}

int
main(int argc, char *argv[])
{
	static struct authd state;

	authd = &state;
	authd->d.name = "authd";
	authd->d.status = authd_status;
	authd->d.reload = authd_reload;
	control_init(&authd->d);
	daemon_args(&authd->d, argc, argv);
	authd_reload(NULL);
	daemon_start(&authd->d);
	api_listen();
	daemon_drop_privileges(&authd->d);
	/* after the drop, so the database belongs to the user we run as */
	authd_open_db();
	api_start();
	history_start();

	event_base_dispatch(authd->d.base);

	history_stop();
	api_stop();
	daemon_stop(&authd->d);
	db_close(authd->db);
	return 0;
}
