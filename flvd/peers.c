/*
 * Connections and viewers per address (lib/peer.c says what an address
 * is), so that per-address limits can be checked at accept and at attach.
 * A tree, not a hash: its cost does not depend on addresses an attacker
 * picks.  An entry lives while a connection from its address does, so the
 * tree never holds more entries than flvd has connections.
 */
#include <sys/tree.h>
#include <stdlib.h>

#include "flvd.h"

static int
peers_cmp(const struct peer *a, const struct peer *b)
{
	return peer_key_cmp(&a->key, &b->key);
}

RB_HEAD(peertree, peer);
/* RB_GENERATE_STATIC needs BSD's __unused, which libbsd leaves undefined */
RB_GENERATE_INTERNAL(
    peertree, peer, entry, peers_cmp, __attribute__((unused)) static)

static struct peertree peers = RB_INITIALIZER(&peers);

struct peer *
peers_get(const struct sockaddr *sa)
{
	struct peer find, *p;

	/* not IP: every such peer shares the zero key, as one address */
	peer_key(sa, &find.key);
	if ((p = RB_FIND(peertree, &peers, &find)) == NULL) {
		p = xcalloc(1, sizeof(*p));
		p->key = find.key;
		peer_key_string(&p->key, p->name, sizeof(p->name));
		RB_INSERT(peertree, &peers, p);
	}
	p->conns++;
	return p;
}

void
peers_put(struct peer *p)
{
	if (--p->conns > 0)
		return;
	RB_REMOVE(peertree, &peers, p);
	free(p);
}
