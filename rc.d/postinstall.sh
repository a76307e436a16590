#!/bin/sh
# rc.d/postinstall.sh [-n]: what 'make install' leaves to root, once.  Safe to
# run again: each step checks before it acts, and says "ok:" when there is
# nothing to do.  It lays out the privilege separation of nyon(7):
#   - group nyon; user nyon (primary group nyon) for ingestd, flvd and
#     fwdd; user nyonauth (its own group, and a member of nyon) for authd;
#   - /var/lib/nyon: nyonauth's, mode 0711; the database and jwt.secret in
#     it nyonauth's, mode 0600 (an install where nyon owned them is moved
#     over); /var/lib/nyon/rtc nyon's, mode 0700, for rtcd's certificate;
#   - /var/lib/nyon/recordings (recordings_dir): nyon's, mode 0750, for
#     recd alone to write in;
#   - /run/nyon: root:nyon, mode 1775 (under systemd, nyon.tmpfiles makes it
#     at boot; the SysV scripts at start);
#   - in /etc/nyon/nyon.conf, 'user = nyon', 'authd_user = nyonauth' and
#     'admin_group = nyon', each unless already set;
#   - secrets out of a nyon.conf others can read: srt_passphrase into
#     /etc/nyon/srt.passphrase (root:nyon, 0640, named by
#     srt_passphrase_file), jwt_secret into /var/lib/nyon/jwt.secret;
#   - the daemons enabled at boot: nyon.target under systemd, else the
#     nyon-* init scripts through update-rc.d.
# -n prints what would be done, with owners and modes, and changes nothing.
#
# The environment may change the paths: NYON_ROOT (a prefix of the default
# paths, for staging and tests; then nothing is enabled at boot), NYON_CONF,
# NYON_STATEDIR and NYON_RUNDIR (by default statedir and rundir as the config
# sets them, or the defaults); and the names (tests): NYON_USER,
# NYON_AUTHD_USER, NYON_GROUP.  Users and groups are always the system's.
# NYON_NO_ENABLE=1 leaves enabling at boot to the caller: the Debian
# package's postinst, whose debhelper lines do it.
set -eu

ROOT=${NYON_ROOT:-}
CONF=${NYON_CONF:-$ROOT/etc/nyon/nyon.conf}
MEDIA=${NYON_USER:-nyon}
AUTHD=${NYON_AUTHD_USER:-nyonauth}
GROUP=${NYON_GROUP:-nyon}
dry=""

if [ "${1:-}" = "-n" ]; then
	dry=1
elif [ $# -gt 0 ]; then
	echo "usage: $0 [-n]" >&2
	exit 2
fi

die() {
	echo "postinstall: $*" >&2
	exit 1
}

# run COMMAND...: runs it and shows it, or with -n only shows it
run() {
	if [ -n "$dry" ]; then
		echo "would run: $*"
	else
		echo "run: $*"
		"$@"
	fi
}

# conf_get KEY DEFAULT: the value of an active KEY line in $CONF, unquoted,
# or DEFAULT.  A quoted value keeps a '#'; an unquoted one ends at ' #'.
conf_get() {
	raw=""
	if [ -r "$CONF" ]; then
		raw=$(sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$CONF" | tail -n 1)
	fi
	case $raw in
	\"*)
		v=${raw#\"}
		v=${v%%\"*}
		;;
	*)
		v=$(printf '%s\n' "$raw" | sed -e 's/^#.*$//' -e 's/[[:space:]]#.*$//' \
		    -e 's/[[:space:]]*$//')
		;;
	esac
	echo "${v:-$2}"
}

# owner_mode PATH: "user:group mode", the mode in four octal digits (0711)
owner_mode() {
	stat -c '%U:%G %a' "$1" | {
		read -r o m
		printf '%s %04o\n' "$o" "0$m"
	}
}

# ensure_dir PATH OWNER GROUP MODE: creates it, or sets what differs
ensure_dir() {
	if [ -d "$1" ] && [ "$(owner_mode "$1")" = "$2:$3 $4" ]; then
		echo "ok: $1 $2:$3 $4"
	else
		run install -d -o "$2" -g "$3" -m "$4" "$1"
	fi
}

# ensure_file PATH OWNER GROUP MODE: if it exists, sets what differs
ensure_file() {
	[ -e "$1" ] || return 0
	if [ "$(owner_mode "$1")" = "$2:$3 $4" ]; then
		echo "ok: $1 $2:$3 $4"
	else
		run chown "$2:$3" "$1"
		run chmod "$4" "$1"
	fi
}

# others_read PATH: whether others may read it; group_read the same
others_read() { [ $(($(stat -c '0%a' "$1") & 4)) -ne 0 ]; }
group_read() { [ $(($(stat -c '0%a' "$1") & 32)) -ne 0 ]; }

# set_conf KEY VALUE: an active 'KEY = VALUE' in $CONF, unless KEY has a
# value: on its commented or empty line if there is one, else at the end
set_conf() {
	if grep -Eq "^[[:space:]]*$1[[:space:]]*=[[:space:]]*[^[:space:]#]" "$CONF"; then
		echo "ok: $CONF keeps '$1 = $(conf_get "$1" "")'"
		return
	fi
	if [ -n "$dry" ]; then
		echo "would set in $CONF: $1 = $2"
		return
	fi
	echo "set in $CONF: $1 = $2"
	if grep -Eq "^([[:space:]]*|#)$1[[:space:]]*=" "$CONF"; then
		sed -i -E "0,/^([[:space:]]*|#)$1[[:space:]]*=.*/s//$1 = $2/" "$CONF"
	else
		echo "$1 = $2" >> "$CONF"
	fi
}

# replace_line KEY TEXT: TEXT instead of the active KEY line of $CONF
replace_line() {
	if [ -n "$dry" ]; then
		echo "would replace in $CONF: the $1 line with '$2'"
		return
	fi
	echo "replace in $CONF: the $1 line with '$2'"
	sed -i -E "s|^[[:space:]]*$1[[:space:]]*=.*|$2|" "$CONF"
}

# write_secret FILE OWNER GROUP MODE VALUE: a new file holding VALUE
write_secret() {
	if [ -n "$dry" ]; then
		echo "would write: $1 ($2:$3 $4)"
		return
	fi
	echo "write: $1 ($2:$3 $4)"
	(umask 077 && printf '%s\n' "$5" > "$1.new")
	chown "$2:$3" "$1.new"
	chmod "$4" "$1.new"
	mv -f "$1.new" "$1"
}

if [ -z "$dry" ] && [ "$(id -u)" -ne 0 ]; then
	die "must be run as root"
fi
[ "$MEDIA" != "$AUTHD" ] || die "the media user and authd's must differ ($MEDIA)"

# --- users and groups ----------------------------------------------------
if getent group "$GROUP" >/dev/null; then
	echo "ok: group $GROUP"
else
	run groupadd --system "$GROUP"
fi
if getent passwd "$MEDIA" >/dev/null; then
	# The control sockets get the group of user: it must be nyon's.
	[ "$(id -gn "$MEDIA")" = "$GROUP" ] ||
	    die "user $MEDIA exists with primary group $(id -gn "$MEDIA"), not $GROUP: 'usermod -g $GROUP $MEDIA', then run this again"
	echo "ok: user $MEDIA, group $GROUP"
else
	run useradd --system --gid "$GROUP" --home-dir /nonexistent \
	    --no-create-home --shell /usr/sbin/nologin \
	    --comment "Nyon media daemons" "$MEDIA"
fi
# Where the daemons will look: the config's paths, else the defaults.
STATEDIR=${NYON_STATEDIR:-$(conf_get statedir "$ROOT/var/lib/nyon")}
RUNDIR=${NYON_RUNDIR:-$(conf_get rundir "$ROOT/run/nyon")}
if getent passwd "$AUTHD" >/dev/null; then
	if id -nG "$AUTHD" | tr ' ' '\n' | grep -qxF "$GROUP"; then
		echo "ok: user $AUTHD, member of $GROUP"
	else
		run usermod -a -G "$GROUP" "$AUTHD"
	fi
	AGROUP=$(id -gn "$AUTHD")
else
	run useradd --system --user-group --groups "$GROUP" \
	    --home-dir "$STATEDIR" --no-create-home --shell /usr/sbin/nologin \
	    --comment "Nyon authd" "$AUTHD"
	AGROUP=$AUTHD
fi
[ -n "$dry" ] || [ "$(id -u "$MEDIA")" != 0 ] || die "user $MEDIA is root"

# --- the state directory: authd's alone ----------------------------------
# 0711: nobody else may list or read it; a later daemon's own subdirectory
# can still be reached through it.
ensure_dir "$STATEDIR" "$AUTHD" "$AGROUP" 0711
db=$(conf_get database nyon.db)
case $db in /*) ;; *) db=$STATEDIR/$db ;; esac
for f in "$db" "$db-wal" "$db-shm" "$db-journal" "$STATEDIR/jwt.secret"; do
	ensure_file "$f" "$AUTHD" "$AGROUP" 0600
done

# rtcd's own subdirectory, for its DTLS certificate: the media user's alone.
ensure_dir "$STATEDIR/rtc" "$MEDIA" "$GROUP" 0700
# --- recordings: recd's (the media user's) alone ---------------------------------
# nyon:nyon 0750 inside the 0711 state directory: recd writes, flvd (nyon)
# reads the live thumbnails, authd (in group nyon) could read.
recdir=$(conf_get recordings_dir recordings)
case $recdir in /*) ;; *) recdir=$STATEDIR/$recdir ;; esac
ensure_dir "$recdir" "$MEDIA" "$GROUP" 0750

# --- the run directory, shared ---------------------------------------------
# root:nyon 1775: the daemons (in group nyon) make their sockets there; the
# sticky bit keeps one from removing or replacing another's.
ensure_dir "$RUNDIR" root "$GROUP" 1775

# --- nyon.conf ---------------------------------------------------------------
if [ -f "$CONF" ]; then
	set_conf user "$MEDIA"
	set_conf authd_user "$AUTHD"
	set_conf admin_group "$GROUP"
	# Secrets never stay in a file others can read (nyon.conf(5), SECRETS).
	pass=$(conf_get srt_passphrase "")
	if [ -n "$pass" ] && others_read "$CONF"; then
		if [ -n "$(conf_get srt_passphrase_file "")" ]; then
			die "$CONF sets srt_passphrase and srt_passphrase_file: keep one"
		fi
		passfile=$(dirname "$CONF")/srt.passphrase
		write_secret "$passfile" root "$GROUP" 0640 "$pass"
		replace_line srt_passphrase "srt_passphrase_file = $passfile"
	fi
	jwt=$(conf_get jwt_secret "")
	if [ -n "$jwt" ] && { others_read "$CONF" || group_read "$CONF"; }; then
		write_secret "$STATEDIR/jwt.secret" "$AUTHD" "$AGROUP" 0600 "$jwt"
		replace_line jwt_secret "# jwt_secret: see $STATEDIR/jwt.secret"
	fi
	pfile=$(conf_get srt_passphrase_file "")
	if [ -n "$pfile" ]; then
		ensure_file "$pfile" root "$GROUP" 0640
	fi
else
	echo "postinstall: no $CONF; run 'make install' first" >&2
fi

# --- at boot -----------------------------------------------------------------
if [ -n "${NYON_NO_ENABLE:-}" ]; then
	:
elif [ -n "$ROOT" ]; then
	echo "note: NYON_ROOT is set: nothing enabled at boot"
elif [ -d /run/systemd/system ]; then
	run systemctl daemon-reload
	run systemctl enable nyon.target
	echo "note: start with 'systemctl start nyon.target' (restart it after an upgrade)"
elif command -v update-rc.d >/dev/null 2>&1; then
	for s in /etc/init.d/nyon-*; do
		[ -x "$s" ] || continue
		run update-rc.d "${s##*/}" defaults
	done
	echo "note: start with 'service nyon-authd start' (then the other nyon-* scripts)"
else
	echo "postinstall: neither systemd nor update-rc.d: start the daemons by hand" >&2
fi
echo "note: operators join group $GROUP to use nyonctl: usermod -a -G $GROUP NAME"
