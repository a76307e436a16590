/*
 * Password hashes (libxcrypt) and generated passwords.
 */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "db.h"

/* Hashes with libxcrypt's preferred method (yescrypt on Debian 12). */
int
db_password_hash(const char *pw, char *out, size_t len)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = -1;

	if (crypt_gensalt_rn(NULL, 0, NULL, 0, salt, sizeof(salt)) == NULL) {
		log_warn("db: crypt_gensalt");
		return -1;
	}
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(pw, salt, cd);
	if (h != NULL && h[0] != '*' && strlcpy(out, h, len) < len)
		rc = 0;
	else
		log_warnx("db: crypt_r failed");
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

int
db_password_matches(const char *pw, const char *hash)
{
	struct crypt_data *cd;
	const char *h;
	size_t n = strlen(hash);
	int ok;

	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(pw, hash, cd);
	ok = h != NULL && h[0] != '*' && strlen(h) == n &&
	    hmac_equal(h, hash, n);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

void
db_password_generate(char *buf, size_t len)
{
	/* no 0/O, 1/l/I: it is read off a terminal and typed in */
	static const char set[] =
	    "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	size_t i;

	if (len == 0)
		return;
	for (i = 0; i + 1 < len; i++)
		buf[i] = set[arc4random_uniform(sizeof(set) - 1)];
	buf[i] = '\0';
}
