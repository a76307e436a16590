/*
 * What RTMP and SRT publishers share: identity, limits and the question
 * "may this key publish, and under which stream name?".
 *
 * Limits.  A connection is pending from its accept until its publish is
 * authorised.  Besides max_publishers over all connections, an address may
 * have max_pending_per_ip pending connections and max_publishers_per_ip
 * publishing ones (counting those waiting for authd's answer), so one host
 * cannot take every slot.  An address is an IPv4 address or an IPv6 /64:
 * one host is usually given a whole /64.
 *
 * Many hosts can still fill max_publishers with connections that never
 * publish.  So when the pool is full, a newcomer takes the place of a
 * pending connection that has had PUBLISHER_GRACE_MS to publish and has
 * not, preferring the address with the most of them: a real publisher
 * needs a few milliseconds for its handshake and publish, and gets them,
 * while a flood only keeps replacing its own idle sockets.
 *
 * Threads.  The SRT listen callback runs on libsrt's thread and asks
 * publisher_admit() before libsrt accepts a caller.  So the list, and the
 * fields that function reads (net, pending), change only under
 * publisher_lock, and the limits it compares with are copied from the
 * configuration, under the lock, by the main thread.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingestd.h"

#define PUBLISHER_GRACE_MS 1000 /* a pending connection is safe this long */

static pthread_mutex_t publisher_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	long long max_publishers, max_pending_per_ip;
} publisher_limits = {32, 4};

/* The address as counted: IPv4 (also when mapped into IPv6) or a /64. */
static void
publisher_net(const struct sockaddr *sa, uint8_t net[16])
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

	memset(net, 0, 16);
	if (sa->sa_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(net, &sin6->sin6_addr, 8);
		return;
	}
	net[10] = net[11] = 0xff;
	if (sa->sa_family == AF_INET)
		memcpy(net + 12, &sin->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(net + 12, (const uint8_t *)&sin6->sin6_addr + 12, 4);
}

/* "192.0.2.7" or "2001:db8:1:2::/64", for log lines. */
static const char *
publisher_net_string(const uint8_t net[16], char *buf, size_t len)
{
	struct in6_addr a6;
	size_t n;

	if (memcmp(net, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		if (inet_ntop(AF_INET, net + 12, buf, len) == NULL)
			strlcpy(buf, "?", len);
		return buf;
	}
	memcpy(&a6, net, 16);
	if (inet_ntop(AF_INET6, &a6, buf, len) == NULL)
		strlcpy(buf, "?", len);
	else if ((n = strlen(buf)) + 3 < len)
		strlcpy(buf + n, "/64", len - n);
	return buf;
}

/*
 * The pending connection a newcomer may replace when the pool is full: one
 * that had its grace and is not waiting for authd, from the address with
 * the most pending connections, the oldest of those.  Under publisher_lock.
 */
static struct publisher *
publisher_victim(void)
{
	struct publisher *p, *q, *best = NULL;
	uint64_t now = now_ms();
	int n, bestn = 0;

	TAILQ_FOREACH(p, &ingestd->publishers, entry) {
		if (!p->pending || p->asking ||
		    now - p->since_ms < PUBLISHER_GRACE_MS)
			continue;
		n = 0;
		TAILQ_FOREACH(q, &ingestd->publishers, entry)
			if (q->pending && memcmp(q->net, p->net, 16) == 0)
				n++;
		/* the list is oldest first: ties keep the older */
		if (n > bestn) {
			best = p;
			bestn = n;
		}
	}
	return best;
}

/*
 * Whether one more connection from net fits; under publisher_lock.  When
 * the pool is full but *victim can make room, it fits.
 */
static int
publisher_fits(
    const uint8_t net[16], struct publisher **victim, char *why, size_t whylen)
{
	struct publisher *p;
	char shown[64];
	long long pending = 0;

	*victim = NULL;
	if (ingestd->npublishers >= publisher_limits.max_publishers &&
	    (*victim = publisher_victim()) == NULL) {
		snprintf(why, whylen, "max_publishers reached (%d connections)",
		    ingestd->npublishers);
		return 0;
	}
	TAILQ_FOREACH(p, &ingestd->publishers, entry)
		if (p->pending && memcmp(p->net, net, 16) == 0)
			pending++;
	if (pending >= publisher_limits.max_pending_per_ip) {
		snprintf(why, whylen,
		    "connections not yet authorised from %s: %lld "
		    "(max_pending_per_ip)",
		    publisher_net_string(net, shown, sizeof(shown)), pending);
		return 0;
	}
	return 1;
}

int
publisher_admit(const struct sockaddr *sa, char *why, size_t whylen)
{
	struct publisher *victim;
	uint8_t net[16];
	int ok;

	/* the main thread makes the room, in publisher_new */
	publisher_net(sa, net);
	pthread_mutex_lock(&publisher_lock);
	ok = publisher_fits(net, &victim, why, whylen);
	pthread_mutex_unlock(&publisher_lock);
	return ok ? 0 : -1;
}

struct publisher *
publisher_new(
    const char *proto, const struct sockaddr *sa, char *why, size_t whylen)
{
	struct publisher *p, *victim;
	uint8_t net[16];
	char *colon;

	publisher_net(sa, net);
	pthread_mutex_lock(&publisher_lock);
	publisher_limits.max_publishers =
	    conf_int(ingestd->d.conf, "max_publishers");
	publisher_limits.max_pending_per_ip =
	    conf_int(ingestd->d.conf, "max_pending_per_ip");
	if (!publisher_fits(net, &victim, why, whylen)) {
		pthread_mutex_unlock(&publisher_lock);
		return NULL;
	}
	pthread_mutex_unlock(&publisher_lock);
	if (victim != NULL) {
		ingestd->evicted++;
		log_info("%s %s: closed after %llu ms without publishing, to "
		         "make room (max_publishers)",
		    victim->proto, victim->addr,
		    (unsigned long long)(now_ms() - victim->since_ms));
		victim->destroy(victim);
	}
	pthread_mutex_lock(&publisher_lock);
	p = xcalloc(1, sizeof(*p));
	p->since_ms = now_ms();
	p->id = ++ingestd->next_id;
	memcpy(p->net, net, sizeof(p->net));
	p->pending = 1;
	strlcpy(p->proto, proto, sizeof(p->proto));
	addr_string(sa, p->addr, sizeof(p->addr));
	/* ip without the port (and without brackets for IPv6) */
	strlcpy(
	    p->ip, p->addr[0] == '[' ? p->addr + 1 : p->addr, sizeof(p->ip));
	if ((colon = strrchr(p->ip, p->addr[0] == '[' ? ']' : ':')) != NULL)
		*colon = '\0';
	snprintf(p->client, sizeof(p->client), "%s-%llu", proto,
	    (unsigned long long)p->id);
	TAILQ_INSERT_TAIL(&ingestd->publishers, p, entry);
	ingestd->npublishers++;
	pthread_mutex_unlock(&publisher_lock);
	return p;
}

void
publisher_end_stream(struct publisher *p, const char *why)
{
	if (p->stream != NULL) {
		stream_close(p->stream);
		p->stream = NULL;
	}
	if (p->session != 0) {
		authc_unpublish(p->session, why);
		p->session = 0;
	}
}

void
publisher_free(struct publisher *p)
{
	if (p->auth_pending)
		authc_cancel(p);
	publisher_end_stream(p, NULL);
	pthread_mutex_lock(&publisher_lock);
	TAILQ_REMOVE(&ingestd->publishers, p, entry);
	ingestd->npublishers--;
	pthread_mutex_unlock(&publisher_lock);
	free(p);
}

/* Every answer passes here, to be counted the same way. */
static void
publisher_decided(
    struct publisher *p, const char *name, uint64_t bitrate, const char *why)
{
	p->asking = 0;
	if (name == NULL)
		ingestd->publishes_refused++;
	else {
		pthread_mutex_lock(&publisher_lock);
		p->pending = 0;
		pthread_mutex_unlock(&publisher_lock);
	}
	p->auth_done(p, name, bitrate, why);
}

/* Publishing, or asking to, from p's address (p aside). */
static long long
publisher_publishing(const struct publisher *p)
{
	const struct publisher *q;
	long long n = 0;

	TAILQ_FOREACH(q, &ingestd->publishers, entry)
		if (q != p && (!q->pending || q->asking) &&
		    memcmp(q->net, p->net, sizeof(p->net)) == 0)
			n++;
	return n;
}

void
publisher_authorise(
    struct publisher *p, const char *key, publisher_auth_cb done)
{
	long long max = conf_int(ingestd->d.conf, "max_publishers_per_ip"), n;
	char why[160], shown[64], msg[200];

	p->auth_done = done;
	if ((n = publisher_publishing(p)) >= max) {
		snprintf(why, sizeof(why),
		    "publishing connections from %s: %lld "
		    "(max_publishers_per_ip)",
		    publisher_net_string(p->net, shown, sizeof(shown)), n);
		publisher_decided(p, NULL, 0, why);
		return;
	}
	p->asking = 1;
	if (strcmp(conf_str(ingestd->d.conf, "auth"), "none") == 0) {
		/* Labs and tests: anyone may publish; the key is the name. */
		if (stream_name_check(key, why, sizeof(why)) == -1) {
			snprintf(msg, sizeof(msg), "stream name %s", why);
			publisher_decided(p, NULL, 0, msg);
		} else
			publisher_decided(p, key,
			    (uint64_t)conf_int(
			        ingestd->d.conf, "default_max_bitrate"),
			    NULL);
		return;
	}
	/* no key authd issues looks otherwise: not worth asking */
	if (stream_key_check(key, why, sizeof(why)) == -1) {
		publisher_decided(p, NULL, 0, "unknown key");
		return;
	}
	authc_publish(p, key, publisher_decided);
}
