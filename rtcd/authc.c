/*
 * What authd knows of the addresses viewers reach this host at: the LAN
 * address and the public one an operator set (nyonctl config set lan_ip,
 * public_ip; the dashboard), the same ones the watch page's links and QR
 * code carry.  They become ICE host candidates, so a viewer who can open
 * the watch page can reach the UDP port without rtc_ips repeating them.
 * authd may be off (auth = none needs no authd), start later or
 * restart: the addresses are asked again on every connection and every
 * AUTHC_REFRESH seconds, and the last ones known are kept while it is
 * away.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <event2/event.h>

#include "rtcd.h"

#define AUTHC_REFRESH 5 /* seconds: a changed address is used this soon */

static struct {
	struct ctl_client *client;
	struct event *tick;
} authc;

/* A numeric address, or "" for anything else. */
static void
authc_take(const char *v, char *out, size_t outlen)
{
	uint8_t bin[16];

	out[0] = '\0';
	if (v == NULL || strlen(v) >= outlen)
		return;
	if (inet_pton(strchr(v, ':') ? AF_INET6 : AF_INET, v, bin) == 1)
		strlcpy(out, v, outlen);
}

static void
authc_reply(struct ctl_msg *m, void *arg)
{
	char lan[INET6_ADDRSTRLEN], pub[INET6_ADDRSTRLEN];
	yajl_val d;
	int ok = 0;

	if (m == NULL)
		return; /* lost or late: the next tick asks again */
	if (json_get_bool(m->root, "ok", &ok) == -1 || !ok ||
	    (d = json_get(m->root, "data")) == NULL || !YAJL_IS_OBJECT(d)) {
		log_warnx("authd: no server addresses: %s",
		    json_get_str(m->root, "error")
		        ? json_get_str(m->root, "error")
		        : "bad reply");
		return;
	}
	authc_take(json_get_str(d, "lan_ip"), lan, sizeof(lan));
	authc_take(json_get_str(d, "public_ip"), pub, sizeof(pub));
	if (strcmp(lan, rtcd->lan_ip) != 0 || strcmp(pub, rtcd->public_ip) != 0)
		log_info("authd: candidates lan_ip %s, public_ip %s",
		    lan[0] ? lan : "(none)", pub[0] ? pub : "(none)");
	strlcpy(rtcd->lan_ip, lan, sizeof(rtcd->lan_ip));
	strlcpy(rtcd->public_ip, pub, sizeof(rtcd->public_ip));
}

static void
authc_ask(void)
{
	if (ctl_client_up(authc.client))
		ctl_client_request(authc.client,
		    ctl_msg_begin(CTL_OP_SERVER_IP), NULL, 0, 2000, authc_reply,
		    NULL);
}

static void
authc_up(struct ctl_client *c, void *arg)
{
	authc_ask();
}

static void
authc_tick(evutil_socket_t fd, short what, void *arg)
{
	authc_ask();
}

void
authc_start(void)
{
	static const struct ctl_client_cb cb = {.up = authc_up};
	struct timeval tv = {AUTHC_REFRESH, 0};
	char path[512];

	conf_file(rtcd->d.conf, "rundir", "authd.sock", path, sizeof(path));
	authc.client = ctl_client_new(
	    rtcd->d.base, path, "authd", &rtcd->d.policy, 0, &cb, NULL);
	if ((authc.tick = event_new(
	         rtcd->d.base, -1, EV_PERSIST, authc_tick, NULL)) == NULL)
		fatalx("event_new");
	event_add(authc.tick, &tv);
}

void
authc_stop(void)
{
	if (authc.tick != NULL)
		event_free(authc.tick);
	authc.tick = NULL;
	if (authc.client != NULL)
		ctl_client_free(authc.client);
	authc.client = NULL;
}
