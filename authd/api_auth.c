/*
 * API tokens: the HMAC secret, issuing a token, and checking the bearer
 * token of a request against the signature, the revocation list and the
 * user it names.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/http.h>

#include "authd.h"

#define API_SECRET_FILE "jwt.secret"
#define API_SECRET_BYTES 32 /* random bytes; stored as 64 hex digits */
#define API_PURGE_TICKS (3600 / API_TICK_S) /* purge revoked tokens hourly */

static unsigned char api_secret[512];
static size_t api_secretlen;
static unsigned api_ticks;

int
api_token_issue(const struct db_user *u, char *token, int64_t *exp)
{
	struct jwt_claims c;
	unsigned char nonce[8];
	size_t i;

	memset(&c, 0, sizeof(c));
	arc4random_buf(nonce, sizeof(nonce));
	for (i = 0; i < sizeof(nonce); i++)
		snprintf(c.jti + i * 2, 3, "%02x", nonce[i]);
	c.user_id = u->id;
	c.gen = u->token_gen;
	strlcpy(c.username, u->username, sizeof(c.username));
	c.iat = (int64_t)time(NULL);
	c.exp = c.iat + conf_int(authd->d.conf, "jwt_ttl");
	if (exp != NULL)
		*exp = c.exp;
	return jwt_sign(api_secret, api_secretlen, &c, token, JWT_MAX);
}

void
api_auth_sign(const char *msg, char hex[2 * SHA256_LEN + 1])
{
	uint8_t mac[SHA256_LEN];
	size_t i;

	hmac_sha256(api_secret, api_secretlen, msg, strlen(msg), mac);
	for (i = 0; i < SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	explicit_bzero(mac, sizeof(mac));
}

int
api_authenticate(struct api_req *r, int allow_must_change)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(r->req);
	const char *auth = evhttp_find_header(h, "Authorization");
	struct jwt_claims c;
	struct db_err err;
	enum jwt_result jr;
	int revoked;

	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		api_reply_error(r, 401, "authentication required", NULL, NULL);
		return -1;
	}
	auth += 7;
	while (*auth == ' ')
		auth++;
	if (strlcpy(r->token, auth, sizeof(r->token)) >= sizeof(r->token)) {
		api_reply_error(r, 401, "invalid token", NULL, NULL);
		return -1;
	}
	jr = jwt_verify(
	    api_secret, api_secretlen, r->token, (int64_t)time(NULL), &c);
	if (jr != JWT_OK) {
		log_debug("api: %s: %s", r->ip, jwt_strerror(jr));
		api_reply_error(r, 401,
		    jr == JWT_EEXPIRED ? "token expired" : "invalid token",
		    NULL, NULL);
		return -1;
	}
	jwt_token_id(r->token, r->token_id);
	r->token_exp = c.exp;
	if (db_token_revoked(authd->db, r->token_id, &revoked, &err) == -1 ||
	    db_user_get(authd->db, c.user_id, &r->user, &err) == -1) {
		if (err.code == DB_ENOENT)
			api_reply_error(r, 401, "invalid token", NULL, NULL);
		else
			api_reply_error(r, 500, "internal error", NULL, NULL);
		return -1;
	}
	/* a password changed since the token was issued: void, exactly */
	if (revoked || c.gen != r->user.token_gen) {
		api_reply_error(r, 401, "token revoked", NULL, NULL);
		return -1;
	}
	if (r->user.must_change_password && !allow_must_change) {
		api_reply_error(r, 403,
		    "password must be changed first "
		    "(PUT /api/auth/change-password)",
		    NULL, NULL);
		return -1;
	}
	return 0;
}

static void
api_auth_secret_read(int fd, const char *path)
{
	struct stat sb;
	ssize_t n;

	if (fstat(fd, &sb) == -1)
		fatal("%s", path);
	if (!S_ISREG(sb.st_mode))
		fatalx("%s: not a regular file", path);
	if (sb.st_mode & 077)
		log_warnx("%s: readable by others; chmod 600 it", path);
	n = read(fd, api_secret, sizeof(api_secret) - 1);
	if (n == -1)
		fatal("%s", path);
	while (
	    n > 0 && (api_secret[n - 1] == '\n' || api_secret[n - 1] == '\r'))
		n--;
	if (n < JWT_SECRET_MIN)
		fatalx(
		    "%s: secret shorter than %d bytes", path, JWT_SECRET_MIN);
	api_secretlen = (size_t)n;
}

/*
 * The HMAC secret: jwt_secret from nyon.conf, else statedir/jwt.secret,
 * made once.  It is written under a temporary name and linked into place,
 * so a crash never leaves a short secret and two starts agree on one.
 */
static void
api_auth_secret_load(void)
{
	const char *conf = conf_str(authd->d.conf, "jwt_secret");
	char path[512], tmp[600], hex[API_SECRET_BYTES * 2 + 2];
	unsigned char raw[API_SECRET_BYTES];
	size_t i;
	int fd;

	if (*conf != '\0') {
		api_secretlen =
		    strlcpy((char *)api_secret, conf, sizeof(api_secret));
		return;
	}
	conf_file(
	    authd->d.conf, "statedir", API_SECRET_FILE, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    errno != ENOENT)
		fatal("%s", path);
	if (fd == -1) {
		arc4random_buf(raw, sizeof(raw));
		for (i = 0; i < sizeof(raw); i++)
			snprintf(hex + i * 2, 3, "%02x", raw[i]);
		hex[sizeof(raw) * 2] = '\n';
		explicit_bzero(raw, sizeof(raw));
		snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
		/* mkstemp: O_CREAT|O_EXCL, mode 0600 */
		if ((fd = mkstemp(tmp)) == -1)
			fatal("%s", tmp);
		if (fchmod(fd, 0600) == -1 ||
		    write(fd, hex, sizeof(raw) * 2 + 1) !=
		        (ssize_t)(sizeof(raw) * 2 + 1) ||
		    fsync(fd) == -1) {
			unlink(tmp);
			fatal("%s", tmp);
		}
		close(fd);
		explicit_bzero(hex, sizeof(hex));
		if (link(tmp, path) == -1 && errno != EEXIST) {
			unlink(tmp);
			fatal("%s", path);
		}
		unlink(tmp);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
			fatal("%s", path);
		log_info("api: generated a token secret in %s", path);
	}
	api_auth_secret_read(fd, path);
	close(fd);
}

static void
api_auth_purge(void)
{
	struct db_err err;
	int64_t n;

	if (db_token_purge(authd->db, (int64_t)time(NULL), &n, &err) == -1)
		log_warnx("api: purging revoked tokens: %s", err.msg);
	else if (n > 0)
		log_debug(
		    "api: purged %lld expired revoked tokens", (long long)n);
}

/* After the database is open (and privileges are dropped). */
void
api_auth_start(void)
{
	api_auth_secret_load();
	api_auth_purge();
}

void
api_auth_tick(void)
{
	if (++api_ticks % API_PURGE_TICKS == 0)
		api_auth_purge();
}

void
api_auth_stop(void)
{
	explicit_bzero(api_secret, sizeof(api_secret));
	api_secretlen = 0;
}
