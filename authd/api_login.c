/*
 * /api/auth: logging in and out, who the token belongs to, and changing
 * the password.
 */
#include <stdio.h>
#include <string.h>

#include "authd.h"

static void
api_login_reply(struct api_req *r, int status, const struct db_user *u,
    const char *token, const char *msg)
{
	yajl_gen g = json_gen();
	int i;

	/* token and user at the top, as the issue asks, and in data */
	yajl_gen_map_open(g);
	json_bool(g, "success", 1);
	for (i = 0; i < 2; i++) {
		if (i == 1) {
			json_key(g, "data");
			yajl_gen_map_open(g);
		}
		json_str(g, "token", token);
		json_key(g, "user");
		db_user_json(g, u);
		if (i == 1)
			yajl_gen_map_close(g);
	}
	if (msg != NULL)
		json_str(g, "message", msg);
	yajl_gen_map_close(g);
	api_reply_raw(r, status, g);
	yajl_gen_free(g);
}

/*
 * 0 if the address and the account named may try a password now, else
 * answers 429.  Checked before the password is, so a locked subject learns
 * nothing from a guess, not even a right one.
 */
static int
api_login_limited(struct api_req *r, const char *username)
{
	char addr[API_LIMIT_SUBJECT_SZ], secs[16];
	uint64_t now = now_ms();
	int wait, acct = 0;

	api_limit_subject(r->ip, addr, sizeof(addr));
	if ((wait = api_limit_wait(API_LIMIT_LOGIN, addr, now)) == 0 &&
	    (wait = api_limit_wait(API_LIMIT_ACCOUNT, username, now)) > 0)
		acct = 1;
	if (wait == 0)
		return 0;
	snprintf(secs, sizeof(secs), "%d", wait);
	api_reply_header(r, "Retry-After", secs);
	api_reply_error(r, 429,
	    acct ? "too many failed logins for this account; try again "
	           "later, or set a new password with nyonctl user passwd"
	         : "too many failed logins; try again later",
	    NULL, NULL);
	return -1;
}

/*
 * A wrong password counts against the address, and against the account
 * when there is one: many addresses cannot share out the guesses at one
 * account.  Unknown names count against the address alone; nothing could
 * be guessed there.
 */
static void
api_login_failed(struct api_req *r, const char *username)
{
	char addr[API_LIMIT_SUBJECT_SZ];
	struct db_user u;
	uint64_t now = now_ms();

	api_limit_subject(r->ip, addr, sizeof(addr));
	api_limit_fail(API_LIMIT_LOGIN, addr, now);
	if (db_user_get_by_name(authd->db, username, &u, NULL) == 0)
		api_limit_fail(API_LIMIT_ACCOUNT, u.username, now);
}

void
api_login(struct api_req *r)
{
	const char *user, *pass;
	struct db_user u;
	struct db_err err;
	char token[JWT_MAX];

	if ((user = api_body_str(r, "username")) == NULL ||
	    (pass = api_body_str(r, "password")) == NULL ||
	    api_login_limited(r, user))
		return;
	if (db_user_verify(authd->db, user, pass, &u, &err) == -1) {
		if (err.code != DB_EAUTH) {
			api_reply_error(r, 500, "internal error", NULL, NULL);
			return;
		}
		api_login_failed(r, user);
		log_info("api: failed login from %s", r->ip);
		/* one message for an unknown user and a wrong password */
		api_reply_error(
		    r, 401, "invalid username or password", NULL, NULL);
		return;
	}
	if (api_token_issue(&u, token, NULL) == -1) {
		api_reply_error(r, 500, "internal error", NULL, NULL);
		return;
	}
	/* the account's owner is in: earlier guesses at it stop counting */
	api_limit_forget(API_LIMIT_ACCOUNT, u.username);
	log_info("api: %s logged in from %s", u.username, r->ip);
	api_login_reply(r, 200, &u, token, NULL);
	explicit_bzero(token, sizeof(token));
}

void
api_login_logout(struct api_req *r)
{
	struct db_err err;

	if (db_token_revoke(authd->db, r->token_id, r->token_exp, &err) == -1) {
		api_reply_error(r, 500, "internal error", NULL, NULL);
		return;
	}
	log_info("api: %s logged out", r->user.username);
	api_reply_ok(r, 200, NULL, "logged out");
}

void
api_login_me(struct api_req *r)
{
	yajl_gen g = json_gen();

	db_user_json(g, &r->user);
	api_reply_ok(r, 200, g, NULL);
	yajl_gen_free(g);
}

/*
 * A new password ends every token of the user (the token generation moves
 * on); the reply carries a fresh token to go on with.
 */
void
api_login_change_password(struct api_req *r)
{
	const char *cur, *pw;
	struct db_user u;
	struct db_err err = {0};
	char token[JWT_MAX];
	yajl_gen g;
	int rc;

	if ((cur = api_body_str(r, "current_password")) == NULL ||
	    (pw = api_body_str(r, "new_password")) == NULL ||
	    api_login_limited(r, r->user.username))
		return;
	if (db_user_verify(authd->db, r->user.username, cur, &u, &err) == -1) {
		if (err.code != DB_EAUTH) {
			api_reply_error(r, 500, "internal error", NULL, NULL);
			return;
		}
		api_login_failed(r, r->user.username);
		api_fail_with(r, 400, "current_password", "is incorrect");
		return;
	}
	if (strcmp(cur, pw) == 0) {
		api_fail_with(r, 400, "new_password",
		    "must differ from the current password");
		return;
	}
	g = json_gen();
	rc = ops_user_passwd(r->user.username, pw, g, &err);
	yajl_gen_free(g);
	if (rc == -1) {
		if (strcmp(err.field, "password") == 0) {
			strlcpy(err.field, "new_password", sizeof(err.field));
			snprintf(err.msg, sizeof(err.msg),
			    "new_password: must be %d to %d characters",
			    DB_PASS_MIN, DB_PASS_MAX);
		}
		api_reply_op(r, 200, -1, NULL, &err);
		return;
	}
	if (db_user_get(authd->db, u.id, &u, &err) == -1 ||
	    api_token_issue(&u, token, NULL) == -1) {
		api_reply_error(r, 500, "internal error", NULL, NULL);
		return;
	}
	api_login_reply(r, 200, &u, token, "password changed");
	explicit_bzero(token, sizeof(token));
}
