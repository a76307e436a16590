/*
 * WHEP (draft-ietf-wish-whep) over evhttp: POST /whep/NAME with an SDP
 * offer makes a viewer and answers 201 with the SDP answer and the
 * session's Location; DELETE on that Location ends it; OPTIONS answers a
 * browser's preflight.  The watch page and the dashboard are served from
 * other ports, so every answer allows any origin: playback is public
 * like HTTP-FLV, by the stream's public name, never its key, and nothing
 * here reads cookies or credentials.  Bodies are bounded by evhttp
 * before they are buffered (413), headers too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "rtcd.h"
#include "vreport.h"

#define WHEP_HEADERS_MAX 8192
#define WHEP_TIMEOUT 10 /* seconds for a whole request */
#define WHEP_ANSWER_MAX 8192
#define WHEP_LISTEN_MAX 8

static struct evhttp *whep_http;

static void
whep_cors(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Access-Control-Allow-Origin", "*");
	evhttp_add_header(h, "Access-Control-Expose-Headers", "Location");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Cache-Control", "no-store");
}

static void
whep_error(struct evhttp_request *req, int status, const char *msg)
{
	struct evbuffer *b = evhttp_request_get_output_buffer(req);
	yajl_gen g = json_gen();
	const unsigned char *out;
	size_t len;
	const char *reason;

	whep_cors(req);
	yajl_gen_map_open(g);
	json_str(g, "error", msg);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &out, &len);
	evbuffer_add(b, out, len);
	evbuffer_add(b, "\n", 1);
	yajl_gen_free(g);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json; charset=utf-8");
	if (status == 503)
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Retry-After", "2");
	switch (status) {
	case 400:
		reason = "Bad Request";
		break;
	case 404:
		reason = "Not Found";
		break;
	case 405:
		reason = "Method Not Allowed";
		break;
	case 406:
		reason = "Not Acceptable";
		break;
	case 413:
		reason = "Payload Too Large";
		break;
	case 415:
		reason = "Unsupported Media Type";
		break;
	case 422:
		reason = "Unprocessable Content";
		break;
	case 503:
		reason = "Service Unavailable";
		break;
	default:
		reason = "Internal Server Error";
		break;
	}
	evhttp_send_reply(req, status, reason, NULL);
}

static void
whep_post(struct evhttp_request *req, const char *name)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq *ih = evhttp_request_get_input_headers(req);
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	static struct sdp_offer offer;
	struct sdp_answer a;
	struct rstream *s;
	struct session *sess;
	const char *ct, *msg, *ua;
	char why[512], *answer, *loc, *ename;
	size_t len = evbuffer_get_length(in);
	int status, vpt, apt, n, i, audio;

	ct = evhttp_find_header(ih, "Content-Type");
	if (ct == NULL || strncasecmp(ct, "application/sdp", 15) != 0) {
		whep_error(req, 415,
		    "the body must be an SDP offer "
		    "(Content-Type: application/sdp)");
		return;
	}
	if (len > WHEP_BODY_MAX) {
		whep_error(req, 413, "the offer is too large");
		return;
	}
	if ((s = stream_find(name)) == NULL) {
		rtcd->not_found++;
		snprintf(why, sizeof(why), "stream %s is not live", name);
		whep_error(req, 404, why);
		return;
	}
	if (rtcd->nsessions >= conf_int(rtcd->d.conf, "rtc_max_viewers") ||
	    s->nsessions >=
	        conf_int(rtcd->d.conf, "rtc_max_viewers_per_stream")) {
		rtcd->refused++;
		whep_error(req, 503,
		    "too many WebRTC viewers; try again later "
		    "or watch over HTTP-FLV");
		return;
	}
	if ((msg = stream_unplayable(s, &status)) != NULL) {
		rtcd->refused++;
		whep_error(req, status, msg);
		return;
	}
	if (sdp_parse_offer((const char *)evbuffer_pullup(in, -1), len, &offer,
	        why, sizeof(why)) == -1) {
		char m2[600];

		snprintf(m2, sizeof(m2), "bad SDP offer: %s", why);
		whep_error(req, 400, m2);
		return;
	}
	audio = (s->acodec == AUDIO_AAC &&
	            strcmp(conf_str(rtcd->d.conf, "rtc_audio"), "opus") == 0) ||
	    s->acodec == AUDIO_OPUS;
	if ((status = sdp_negotiate(&offer, s->vcodec, s->plid, audio, &vpt,
	         &apt, why, sizeof(why))) != 0) {
		rtcd->refused++;
		whep_error(req, status, why);
		return;
	}
	if ((sess = session_new(s, &offer, vpt, apt)) == NULL) {
		whep_error(req, 500, "cannot make a DTLS session");
		return;
	}
	ua = evhttp_find_header(ih, "User-Agent");
	if (ua != NULL)
		vreport_clean_ua(
		    ua, strlen(ua), sess->user_agent, sizeof(sess->user_agent));
	memset(&a, 0, sizeof(a));
	a.ufrag = sess->ufrag;
	a.pwd = sess->pwd;
	a.fingerprint = dtls_fingerprint();
	a.cname = "nyon";
	a.session_id = arc4random() & 0x7fffffff;
	a.playout_delay = sess->playout_id > 0;
	for (i = 0; i < offer.nmedia; i++) {
		if (offer.media[i].chosen < 0)
			continue;
		a.ssrc[i] = offer.media[i].kind == SDP_VIDEO ? s->video.ssrc
		                                             : s->audio.ssrc;
		if (offer.media[i].kind == SDP_VIDEO && sess->rtx_pt >= 0)
			a.rtx_ssrc[i] = s->video.rtx_ssrc;
	}
	a.ncandidates = cand_list(a.candidates, RTC_CAND_MAX);
	answer = xmalloc(WHEP_ANSWER_MAX);
	if ((n = sdp_write_answer(answer, WHEP_ANSWER_MAX, &offer, &a)) < 0) {
		free(answer);
		session_end(sess, "answer too large");
		whep_error(req, 500, "answer too large");
		return;
	}
	if ((ename = evhttp_uriencode(name, -1, 0)) == NULL)
		fatalx("evhttp_uriencode");
	xasprintf(&loc, "/whep/%s/%s", ename, sess->id);
	free(ename);
	whep_cors(req);
	evhttp_add_header(oh, "Content-Type", "application/sdp");
	evhttp_add_header(oh, "Location", loc);
	evbuffer_add(evhttp_request_get_output_buffer(req), answer, (size_t)n);
	evhttp_send_reply(req, 201, "Created", NULL);
	log_info("viewer %s of %s: offer from %s answered", sess->id, name,
	    evhttp_request_get_host(req) ? evhttp_request_get_host(req) : "?");
	free(loc);
	free(answer);
}

static void
whep_request(struct evhttp_request *req, void *arg)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	char name[STREAM_NAME_SZ], id[33];
	struct session *sess;
	int kind;

	kind = whep_path(evhttp_request_get_uri(req), name, id);
	if (kind == 0) {
		whep_error(req, 404, "not a WHEP resource (POST /whep/NAME)");
		return;
	}
	if (kind == -1) {
		whep_error(req, 404, "no such stream or session");
		return;
	}
	if (method == EVHTTP_REQ_OPTIONS) {
		struct evkeyvalq *oh = evhttp_request_get_output_headers(req);

		whep_cors(req);
		evhttp_add_header(oh, "Access-Control-Allow-Methods",
		    kind == 1 ? "POST, OPTIONS" : "DELETE, OPTIONS");
		evhttp_add_header(
		    oh, "Access-Control-Allow-Headers", "Content-Type");
		evhttp_add_header(oh, "Access-Control-Max-Age", "86400");
		if (kind == 1)
			evhttp_add_header(oh, "Accept-Post", "application/sdp");
		evhttp_send_reply(req, 204, "No Content", NULL);
		return;
	}
	if (kind == 1 && method == EVHTTP_REQ_POST) {
		whep_post(req, name);
		return;
	}
	if (kind == 2 && method == EVHTTP_REQ_DELETE) {
		if ((sess = session_find_id(id)) == NULL ||
		    strcmp(sess->stream->name, name) != 0) {
			whep_error(req, 404, "no such session");
			return;
		}
		session_end(sess, "DELETE from the viewer");
		whep_cors(req);
		evhttp_send_reply(req, 200, "OK", NULL);
		return;
	}
	/* PATCH (trickle ICE) too: an ICE-lite server needs no candidates */
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    kind == 1 ? "POST, OPTIONS" : "DELETE, OPTIONS");
	whep_error(req, 405,
	    kind == 1 ? "use POST with an SDP offer"
	              : "use DELETE to end the session");
}

void
whep_listen(void)
{
	int fds[WHEP_LISTEN_MAX * 2], n, i;

	if ((whep_http = evhttp_new(rtcd->d.base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_allowed_methods(whep_http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	        EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	/* evhttp answers 413 itself before buffering a larger body */
	evhttp_set_max_body_size(whep_http, WHEP_BODY_MAX);
	evhttp_set_max_headers_size(whep_http, WHEP_HEADERS_MAX);
	evhttp_set_timeout(whep_http, WHEP_TIMEOUT);
	evhttp_set_default_content_type(whep_http, NULL);
	evhttp_set_gencb(whep_http, whep_request, NULL);
	n = listen_conf(rtcd->d.conf, "rtc_listen", fds, nitems(fds));
	for (i = 0; i < n; i++)
		if (evhttp_accept_socket_with_handle(whep_http, fds[i]) == NULL)
			fatalx("evhttp_accept_socket_with_handle");
}

void
whep_close(void)
{
	if (whep_http != NULL)
		evhttp_free(whep_http);
	whep_http = NULL;
}
