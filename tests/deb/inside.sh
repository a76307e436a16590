# tests/deb/run --inside ROOT N: the package in the chroot ROOT, in the
# namespaces tests/deb/run made; TAP numbers go on from N.
# shellcheck shell=sh
root=$1
. "$top/tests/integration/lib.sh"
ntest=$2

ip link set lo up
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"

# in_root COMMAND...: runs it in the chroot, with a plain environment
in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    LANG=C.UTF-8 ${NYON_PURGE_STATE:+NYON_PURGE_STATE=$NYON_PURGE_STATE} "$@"
}
dpkg_do() {
	echo "--- dpkg $*" >> "$tmp/dpkg.log"
	in_root timeout 120 dpkg "$@" >> "$tmp/dpkg.log" 2>&1
}
owner_mode() {
	in_root stat -c '%U:%G %a' "$1" 2>&1
}
# the tree but what a system changes by itself, for before/after
snapshot() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys \
	    -o -path ./run -o -path ./tmp -o -path ./var/log -o -path ./var/cache \
	    -o -path ./var/lib/dpkg \) -prune -o -print) | sort
}
# pid_of DAEMON: from its pidfile, if that process runs
pid_of() {
	p=$(cat "$root/run/nyon/$1.pid" 2>/dev/null) || return 1
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}
uid_of_pid() {
	sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"
}
# The daemons: DAEMONS of the Makefile (tests/deb/run).
daemons=$NYON_DAEMONS
# all_running: whether every daemon runs
all_running() {
	for d in $daemons; do
		pid_of "$d" >/dev/null || return 1
	done
}
# wait_daemons: until every daemon runs (or 10 s)
wait_daemons() {
	i=0
	while [ $i -lt 100 ]; do
		all_running && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
http_code() {
	curl -s -m 5 -o "$tmp/body" -w '%{http_code}' "$1"
}
# check_dpkg DESCRIPTION ARG...: check that dpkg ARG... succeeds, showing
# the end of its log when it does not
check_dpkg() {
	_d=$1
	shift
	if dpkg_do "$@"; then
		ok "$_d"
	else
		not_ok "$_d"
		diag "$(tail -n 30 "$tmp/dpkg.log")"
	fi
}

# The chroot has no init system, so invoke-rc.d would start nothing
# ("policy-rc.d missing: defaulting to block"): this policy lets it run the
# init scripts, as on a system booted with sysvinit.
printf '#!/bin/sh\nexit 0\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

snapshot > "$tmp/before"

# --- install ---------------------------------------------------------------------
check_dpkg "dpkg -i installs the package into a clean Debian 12" -i /tmp/nyon.deb
check "dpkg says it is installed" sh -c \
    "chroot '$root' dpkg-query -W -f='\${Status}' nyon | grep -qx 'install ok installed'"

check_all "group nyon; user nyon (group nyon, no login) for the media daemons" \
    'in_root getent group nyon >/dev/null' \
    '[ "$(in_root id -gn nyon)" = nyon ]' \
    'in_root getent passwd nyon | grep -q ":/usr/sbin/nologin$"'
check_all "user nyonauth, its own group and a member of nyon, no login" \
    '[ "$(in_root id -gn nyonauth)" = nyonauth ]' \
    'in_root id -nG nyonauth | tr " " "\n" | grep -qx nyon' \
    'in_root getent passwd nyonauth | grep -q ":/usr/sbin/nologin$"'
check_all "system users (uids below 1000)" \
    '[ "$(in_root id -u nyon)" -lt 1000 ]' '[ "$(in_root id -u nyonauth)" -lt 1000 ]'
check "/var/lib/nyon is nyonauth's, 0711" [ "$(owner_mode /var/lib/nyon)" = "nyonauth:nyonauth 711" ]
check "/run/nyon is root:nyon, 1775" [ "$(owner_mode /run/nyon)" = "root:nyon 1775" ]
check "/var/lib/nyon/rtc (rtcd's certificate) is nyon's, 0700" \
    [ "$(owner_mode /var/lib/nyon/rtc)" = "nyon:nyon 700" ]
conffiles=$(in_root dpkg-query -W -f='${Conffiles}' nyon)
check "/etc/nyon/nyon.conf is a conffile" sh -c "echo '$conffiles' | grep -q '^ /etc/nyon/nyon.conf [0-9a-f]\{32\}$'"
sum=$(echo "$conffiles" | sed -n 's|^ /etc/nyon/nyon.conf \([0-9a-f]*\).*|\1|p')
check "and postinst left it as shipped (root 644)" sh -c \
    "[ \"\$(md5sum < '$root/etc/nyon/nyon.conf' | cut -c1-32)\" = '$sum' ] && [ \"$(owner_mode /etc/nyon/nyon.conf)\" = 'root:root 644' ]"
check_all "it names the users and the web files" \
    "grep -qx 'user = nyon' '$root/etc/nyon/nyon.conf'" \
    "grep -qx 'authd_user = nyonauth' '$root/etc/nyon/nyon.conf'" \
    "grep -qx 'admin_group = nyon' '$root/etc/nyon/nyon.conf'" \
    "grep -qx 'www_dir = /usr/share/nyon/www' '$root/etc/nyon/nyon.conf'"
missing=""
for f in $(for d in $daemons; do
	echo /usr/sbin/$d /lib/systemd/system/nyon-$d.service /etc/init.d/nyon-$d \
	    /usr/share/man/man8/$d.8.gz
done) /usr/bin/nyonctl /lib/systemd/system/nyon.target \
    /usr/lib/tmpfiles.d/nyon.conf /usr/share/man/man5/nyon.conf.5.gz \
    /usr/share/man/man7/nyon.7.gz /usr/share/nyon/www/dashboard/index.html \
    /usr/share/nyon/www/watch/index.html /usr/share/nyon/www/vendor/mpegts.js \
    /usr/share/nyon/www/vendor/qrcode.mjs /usr/share/doc/nyon/copyright; do
	[ -f "$root$f" ] || missing="$missing $f"
done
check "programs, units, tmpfiles, init scripts, pages and web files are in place" [ -z "$missing" ]
[ -z "$missing" ] || diag "missing:$missing"
check_all "programs root 755" '[ "$(owner_mode /usr/sbin/authd)" = "root:root 755" ]' \
    '[ "$(owner_mode /usr/bin/nyonctl)" = "root:root 755" ]'
nolink=""
for d in $daemons; do
	ls "$root"/etc/rc2.d/S*"nyon-$d" >/dev/null 2>&1 || nolink="$nolink $d"
done
check "the init scripts start at boot (rc2.d)" [ -z "$nolink" ]
[ -z "$nolink" ] || diag "no rc2.d link:$nolink"
check "nyon.target is enabled for systemd (multi-user.target.wants)" \
    [ -L "$root/etc/systemd/system/multi-user.target.wants/nyon.target" ]

# --- the daemons it started ---------------------------------------------------
check "postinst started every daemon ($daemons)" wait_daemons
wrong=""
for d in $daemons; do
	u=nyon
	[ "$d" = authd ] && u=nyonauth
	p=$(pid_of "$d")
	[ "$(uid_of_pid "${p:-0}" 2>/dev/null)" = "$(in_root id -u $u)" ] || wrong="$wrong $d"
done
check "authd runs as nyonauth, the media daemons as nyon" [ -z "$wrong" ]
[ -z "$wrong" ] || diag "not as their user:$wrong"
code=$(http_code http://127.0.0.1:3000/)
check "the dashboard answers on port 3000 ($code)" sh -c "[ '$code' = 200 ] && grep -q '<title>Nyon</title>' '$tmp/body'"
code=$(http_code http://127.0.0.1:3000/vendor/qrcode.mjs)
check "with its vendored scripts ($code)" [ "$code" = 200 ]
code=$(http_code http://127.0.0.1:8080/watch/cam1)
check "the watch page answers on port 8080 ($code)" [ "$code" = 200 ]
out=$(in_root timeout 10 nyonctl status 2>&1)
down=""
for d in $daemons; do
	echo "$out" | grep -Eq "^$d +up" || down="$down $d"
done
check "nyonctl status (as root) finds every daemon up" [ -z "$down" ]
[ -z "$down" ] || diag "$out"
out=$(in_root timeout 10 nyonctl stream add cam1 2>&1)
key=$(echo "$out" | sed -n 's/^key: *//p')
check "nyonctl stream add cam1 gives a key" [ -n "$key" ]
check "the database is nyonauth's, 0600" [ "$(owner_mode /var/lib/nyon/nyon.db)" = "nyonauth:nyonauth 600" ]

# A real publisher and viewer, with this machine's ffmpeg and curl.
if [ -n "$key" ] && command -v ffmpeg >/dev/null 2>&1; then
	RTMP_PORT=1935 FLV_PORT=8080
	publish cam1 320x240 20 "rtmp://127.0.0.1:1935/live/$key"
	check "an RTMP publisher with the key goes live" wait_live cam1
	timeout 10 curl -s -m 3 -o "$tmp/play.flv" "$(flv_url cam1)"
	check "and a viewer gets FLV from flvd" sh -c "head -c 3 '$tmp/play.flv' | grep -q FLV"
	# shellcheck disable=SC2154 # publish sets it
	kill "$pub_cam1" 2>/dev/null
fi

# --- again: reinstall, configure, upgrade ------------------------------------
sleep 1
echo "max_viewers = 7" >> "$root/etc/nyon/nyon.conf"
version=$(in_root dpkg-query -W -f='${Version}' nyon)
postinst_again() {
	in_root DPKG_MAINTSCRIPT_PACKAGE=nyon DPKG_MAINTSCRIPT_NAME=postinst \
	    /var/lib/dpkg/info/nyon.postinst configure "$version" >> "$tmp/dpkg.log" 2>&1
}
check "postinst configure runs again (as dpkg runs it)" postinst_again
check_dpkg "dpkg -i the same package again (reinstall)" -i /tmp/nyon.deb
check_all "the layout is unchanged" \
    '[ "$(owner_mode /var/lib/nyon)" = "nyonauth:nyonauth 711" ]' \
    '[ "$(owner_mode /run/nyon)" = "root:nyon 1775" ]' \
    '[ "$(in_root getent passwd | grep -c "^nyon")" = 2 ]'
# The same package under a later version: an upgrade, as apt does it.
in_root sh -c 'mkdir -p /tmp/up && dpkg-deb -R /tmp/nyon.deb /tmp/up &&
    sed -i "s/^Version: .*/&+up1/" /tmp/up/DEBIAN/control &&
    dpkg-deb -b /tmp/up /tmp/nyon-up.deb' > /dev/null 2>&1
a1=$(pid_of authd)
check_dpkg "dpkg -i a later version (upgrade)" -i /tmp/nyon-up.deb
check "the upgrade restarted the daemons" wait_daemons
a2=$(pid_of authd)
check "authd is a new process ($a1 -> $a2)" sh -c "[ -n '$a2' ] && [ '$a1' != '$a2' ]"
out=$(in_root timeout 10 nyonctl stream list 2>&1)
check "the database survived: cam1 is still there" sh -c "echo '$out' | grep -q cam1"
check "the edited nyon.conf was kept" grep -qx 'max_viewers = 7' "$root/etc/nyon/nyon.conf"
check "postinst did not touch /var/lib/nyon's owner" [ "$(owner_mode /var/lib/nyon)" = "nyonauth:nyonauth 711" ]

# --- remove, purge ---------------------------------------------------------------
# shellcheck disable=SC2034 # check_all evaluates them
a=$(pid_of authd) i=$(pid_of ingestd) f=$(pid_of flvd)
running=""
for d in $daemons; do
	running="$running $(pid_of "$d")"
done
check_dpkg "dpkg -r removes it" -r nyon
left_running=""
for p in $running; do
	kill -0 "$p" 2>/dev/null && left_running="$left_running $p"
done
check_all "the daemons were stopped" '[ -n "$running" ]' '[ -z "$left_running" ]'
check_all "the programs are gone, the configuration and state stay" \
    "[ ! -e '$root/usr/sbin/authd' ]" "[ ! -e '$root/usr/share/nyon' ]" \
    "[ -f '$root/etc/nyon/nyon.conf' ]" "[ -f '$root/var/lib/nyon/nyon.db' ]"
check "dpkg -r again is harmless" dpkg_do -r nyon
check_dpkg "dpkg --purge purges it" --purge nyon
check_all "purge removed the configuration and the run directory" \
    "[ ! -e '$root/etc/nyon' ]" "[ ! -e '$root/run/nyon' ]" \
    "! ls '$root'/etc/rc2.d/*nyon* 2>/dev/null" "[ ! -e '$root/etc/init.d/nyon-authd' ]"
check "and kept the database, as nobody asked for it to go" [ -f "$root/var/lib/nyon/nyon.db" ]
check "and said so" grep -q "kept /var/lib/nyon" "$tmp/dpkg.log"

# Installed again over the kept state: the streams come back.
check_dpkg "dpkg -i after a purge" -i /tmp/nyon.deb
wait_daemons
out=$(in_root timeout 10 nyonctl stream list 2>&1)
check "the kept database is used again: cam1" sh -c "echo '$out' | grep -q cam1"
NYON_PURGE_STATE=yes
check_dpkg "NYON_PURGE_STATE=yes dpkg --purge" --purge nyon
unset NYON_PURGE_STATE
check "removed /var/lib/nyon as well" [ ! -e "$root/var/lib/nyon" ]

snapshot > "$tmp/after"
# Policy: the system users stay (files they own may outlive the package);
# so their lines in the account files, which change with them.
accounts='^\./etc/\(passwd\|group\|shadow\|gshadow\|subuid\|subgid\)-\{0,1\}$'
left=$(comm -13 "$tmp/before" "$tmp/after" | grep -v "$accounts")
changed=$(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys \
    -o -path ./run -o -path ./tmp -o -path ./var/log -o -path ./var/cache \
    -o -path ./var/lib/dpkg \) -prune -o -type f -newer "$tmp/before" -print |
    grep -v "$accounts" | grep -v '^\./usr/sbin/policy-rc\.d$')
check "after purge nothing is left but the users: no new file" [ -z "$left" ]
[ -z "$left" ] || diag "left: $left"
check "and no changed file but the account files" [ -z "$changed" ]
[ -z "$changed" ] || diag "changed: $changed"
check "the users stay (Debian leaves system users)" sh -c "chroot '$root' id nyonauth >/dev/null"

done_testing
