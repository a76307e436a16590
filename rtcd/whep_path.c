/*
 * The resource a WHEP request names: /whep/NAME (a stream) or
 * /whep/NAME/ID (a session), percent-decoded and checked by the one
 * rule for stream names, before anything is looked up.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "rtcd.h"

/*
 * "/whep/NAME" or "/whep/NAME/ID", percent-decoded: 1 and 2, 0 not
 * ours, -1 a bad name.  name has STREAM_NAME_SZ bytes, id 33.
 */
int
whep_path(const char *uri, char *name, char *id)
{
	struct evhttp_uri *u;
	const char *path, *slash;
	char *dec, why[128];
	size_t declen;
	int kind = 1;

	if ((u = evhttp_uri_parse(uri)) == NULL)
		return 0;
	path = evhttp_uri_get_path(u);
	if (path == NULL || strncmp(path, "/whep/", 6) != 0) {
		evhttp_uri_free(u);
		return 0;
	}
	path += 6;
	id[0] = '\0';
	if ((slash = strchr(path, '/')) != NULL) {
		if (strlen(slash + 1) == 0 || strlen(slash + 1) > 32 ||
		    strspn(slash + 1,
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		        "0123456789") != strlen(slash + 1)) {
			evhttp_uri_free(u);
			return -1;
		}
		strlcpy(id, slash + 1, 33);
		kind = 2;
	}
	dec = evhttp_uridecode(path, 0, &declen);
	evhttp_uri_free(u);
	if (dec == NULL)
		return -1;
	if (kind == 2)
		dec[strcspn(dec, "/")] = '\0';
	if (declen != strlen(dec) && kind == 1) {
		free(dec); /* a NUL inside */
		return -1;
	}
	if (strlen(dec) >= STREAM_NAME_SZ ||
	    stream_name_check(dec, why, sizeof(why)) == -1) {
		free(dec);
		return -1;
	}
	strlcpy(name, dec, STREAM_NAME_SZ);
	free(dec);
	return kind;
}
