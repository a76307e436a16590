#!/bin/sh
# rc.d/postinstall.sh [-n]: what 'make install' leaves to root, once.  Safe to
# run again: each step checks before it acts.
#   - the nyon system group and user (no login, home /var/lib/nyon);
#   - /var/lib/nyon, owned by nyon, mode 0750;
#   - 'user = nyon' in /etc/nyon/nyon.conf unless a user is already set;
#   - the daemons enabled at boot: nyon.target under systemd, else the
#     nyon-* init scripts through update-rc.d.
# -n prints what would be done and changes nothing.  NYON_CONF and
# NYON_STATEDIR override the two paths.
set -eu

CONF=${NYON_CONF:-/etc/nyon/nyon.conf}
STATEDIR=${NYON_STATEDIR:-/var/lib/nyon}
USER_NAME=nyon
dry=""

if [ "${1:-}" = "-n" ]; then
	dry=1
elif [ $# -gt 0 ]; then
	echo "usage: $0 [-n]" >&2
	exit 2
fi

# run COMMAND...: runs it, or with -n shows it
run() {
	if [ -n "$dry" ]; then
		echo "would run: $*"
	else
		echo "postinstall: $*"
		"$@"
	fi
}

if [ -z "$dry" ] && [ "$(id -u)" -ne 0 ]; then
	echo "postinstall: must be run as root" >&2
	exit 1
fi

if ! getent group "$USER_NAME" >/dev/null; then
	run groupadd --system "$USER_NAME"
fi
if ! getent passwd "$USER_NAME" >/dev/null; then
	run useradd --system --gid "$USER_NAME" --home-dir "$STATEDIR" \
	    --no-create-home --shell /usr/sbin/nologin \
	    --comment "Nyon live streaming" "$USER_NAME"
fi

if [ ! -d "$STATEDIR" ]; then
	run install -d -o "$USER_NAME" -g "$USER_NAME" -m 0750 "$STATEDIR"
elif [ "$(stat -c %U:%G:%a "$STATEDIR")" != "$USER_NAME:$USER_NAME:750" ]; then
	run chown "$USER_NAME:$USER_NAME" "$STATEDIR"
	run chmod 0750 "$STATEDIR"
fi

# An active 'user =' line with a value is the operator's choice: left alone.
if [ -f "$CONF" ]; then
	if grep -Eq '^[[:space:]]*user[[:space:]]*=[[:space:]]*[^[:space:]#]' "$CONF"; then
		:
	elif grep -Eq '^[[:space:]]*user[[:space:]]*=' "$CONF"; then
		run sed -i -E 's/^[[:space:]]*user[[:space:]]*=.*/user = nyon/' "$CONF"
	elif grep -Eq '^#user[[:space:]]*=' "$CONF"; then
		run sed -i -E 's/^#user[[:space:]]*=.*/user = nyon/' "$CONF"
	else
		if [ -n "$dry" ]; then
			echo "would append 'user = nyon' to $CONF"
		else
			echo "postinstall: user = nyon >> $CONF"
			echo "user = nyon" >> "$CONF"
		fi
	fi
else
	echo "postinstall: no $CONF; run 'make install' first" >&2
fi

if [ -d /run/systemd/system ]; then
	run systemctl daemon-reload
	run systemctl enable nyon.target
	echo "postinstall: start with 'systemctl start nyon.target'"
elif command -v update-rc.d >/dev/null 2>&1; then
	for d in authd ingestd flvd; do
		run update-rc.d "nyon-$d" defaults
	done
	echo "postinstall: start with 'service nyon-authd start' (then ingestd, flvd)"
else
	echo "postinstall: neither systemd nor update-rc.d: start the daemons by hand" >&2
fi
