/*
 * authd: see authd(8).
 */
#include <event2/event.h>

#include "nyon.h"

static void
authd_status(yajl_gen g, void *arg)
{
}

int
main(int argc, char *argv[])
{
	struct daemon d = {.name = "authd", .status = authd_status};

	daemon_args(&d, argc, argv);
	daemon_start(&d);
	event_base_dispatch(d.base);
	daemon_stop(&d);
	return 0;
}
