#!/bin/sh
# make install and uninstall into a DESTDIR; the installed programs are
# hardened (PIE, full RELRO, canaries, fortified); the shipped nyon.conf and
# the manual pages cover every config key and nyonctl command; the pages are
# mandoc-lint clean, the scripts shellcheck clean, the systemd units pass
# systemd-analyze verify and run each daemon as its user, the tmpfiles.d
# entry makes the run directory root:nyon 1775, postinstall.sh -n shows the
# users, owners and modes it would set, and the SysV scripts start, reload
# and stop a daemon, making the run directory the same way.
. "$(dirname "$0")/lib.sh"

dest=$tmp/dest
mk() {
	make -C "$top" --no-print-directory "$@" >> "$tmp/make.log" 2>&1
}
fails_quietly() { ! "$@" 2>/dev/null; }

# --- make install into DESTDIR -------------------------------------------
check "make install DESTDIR PREFIX=/usr/local" mk install DESTDIR="$dest" PREFIX=/usr/local
want="etc/init.d/nyon-authd etc/init.d/nyon-flvd etc/init.d/nyon-ingestd
etc/init.d/nyon-rtcd usr/local/sbin/rtcd usr/local/share/man/man8/rtcd.8
usr/local/lib/systemd/system/nyon-rtcd.service
etc/init.d/nyon-recd
etc/init.d/nyon-fwdd usr/local/sbin/fwdd usr/local/share/man/man8/fwdd.8
usr/local/lib/systemd/system/nyon-fwdd.service
etc/nyon/nyon.conf usr/local/bin/nyonctl
usr/local/lib/systemd/system/nyon-authd.service
usr/local/lib/systemd/system/nyon-flvd.service
usr/local/lib/systemd/system/nyon-ingestd.service
usr/local/lib/systemd/system/nyon-recd.service
usr/local/lib/systemd/system/nyon.target usr/local/lib/tmpfiles.d/nyon.conf
usr/local/sbin/authd
usr/local/sbin/flvd usr/local/sbin/ingestd usr/local/sbin/recd
usr/local/share/man/man5/nyon.conf.5 usr/local/share/man/man7/nyon.7
usr/local/share/man/man8/authd.8 usr/local/share/man/man8/flvd.8
usr/local/share/man/man8/ingestd.8 usr/local/share/man/man8/nyonctl.8
usr/local/share/man/man8/recd.8"
missing=""
for f in $want; do
	[ -f "$dest/$f" ] || missing="$missing $f"
done
check "the tree has every program, page, unit, script and nyon.conf" [ -z "$missing" ]
[ -z "$missing" ] || diag "missing:$missing"
check "www hook: the web files' directory exists" [ -d "$dest/usr/local/share/nyon/www" ]
modes=$(stat -c '%a %n' "$dest/usr/local/sbin/ingestd" "$dest/usr/local/bin/nyonctl" \
    "$dest/etc/init.d/nyon-flvd" "$dest/etc/nyon/nyon.conf" \
    "$dest/usr/local/lib/systemd/system/nyon-flvd.service" \
    "$dest/usr/local/lib/tmpfiles.d/nyon.conf" | cut -d' ' -f1 | tr '\n' ' ')
check "modes: programs and scripts 755, config, units and tmpfiles 644" \
    [ "$modes" = "755 755 755 644 644 644 " ]
left=$(grep -l '@[A-Z]*@' "$dest/etc/init.d/"* "$dest/usr/local/lib/systemd/system/"*)
check "no @PLACEHOLDER@ is left in units and scripts" [ -z "$left" ]
check "units run the installed programs with /etc/nyon/nyon.conf" \
    grep -q '^ExecStart=/usr/local/sbin/ingestd -d -f /etc/nyon/nyon.conf$' \
    "$dest/usr/local/lib/systemd/system/nyon-ingestd.service"
check "init scripts run the installed programs" \
    grep -q '^SBINDIR=${NYON_SBINDIR:-/usr/local/sbin}$' "$dest/etc/init.d/nyon-flvd"
check "the installed programs accept the installed nyon.conf" \
    "$dest/usr/local/sbin/ingestd" -n -f "$dest/etc/nyon/nyon.conf"

# The Makefile's hardening reached every installed program: a PIE (ASLR),
# full RELRO (BIND_NOW: the GOT is read-only once started), stack canaries
# (__stack_chk_fail) and _FORTIFY_SOURCE (glibc's __*_chk calls).
for p in sbin/authd sbin/ingestd sbin/flvd sbin/recd sbin/fwdd bin/nyonctl; do
	f=$dest/usr/local/$p
	check_all "$p is hardened: PIE, full RELRO, stack protector, fortified" \
	    'readelf -h "$f" | grep -q "Type: *DYN"' \
	    'readelf -d "$f" | grep -q "(FLAGS_1) *Flags:.* PIE"' \
	    'readelf -d "$f" | grep -q "(FLAGS) *BIND_NOW"' \
	    'readelf -lW "$f" | grep -q GNU_RELRO' \
	    'readelf --dyn-syms -W "$f" | grep -q " __stack_chk_fail@"' \
	    'readelf --dyn-syms -W "$f" | grep -q " __[a-z_]*_chk@"'
done

# --- postinstall.sh -n: what it would set, changing nothing -----------------
# The users may exist on this machine (then "ok:"), or not (then useradd).
pconf=$dest/etc/nyon/nyon.conf
nfail0=$nfail
check "postinstall.sh -n (dry run) runs" sh -c \
    "NYON_ROOT='$dest' '$top/rc.d/postinstall.sh' -n >'$tmp/post.log' 2>&1"
post() { grep -Eqx "$1" "$tmp/post.log"; }
check_all "postinstall -n: group nyon" \
    "post 'would run: groupadd --system nyon|ok: group nyon'"
check_all "postinstall -n: user nyon, primary group nyon, for the media daemons" \
    "post 'would run: useradd --system --gid nyon .*--comment Nyon media daemons nyon|ok: user nyon, group nyon'"
check_all "postinstall -n: user nyonauth, its own group and a member of nyon" \
    "post 'would run: useradd --system --user-group --groups nyon .* nyonauth|ok: user nyonauth, member of nyon|would run: usermod -a -G nyon nyonauth'"
check_all "postinstall -n: /var/lib/nyon nyonauth's, 0711" \
    "post 'would run: install -d -o nyonauth -g [^ ]+ -m 0711 $dest/var/lib/nyon'"
check_all "postinstall -n: rtcd's certificate directory, the media user's alone" \
    "post 'would run: install -d -o nyon -g nyon -m 0700 $dest/var/lib/nyon/rtc'"
check_all "postinstall -n: the recordings directory nyon:nyon, 0750" \
    "post 'would run: install -d -o nyon -g nyon -m 0750 $dest/var/lib/nyon/recordings'"
check_all "postinstall -n: /run/nyon root:nyon, 1775" \
    "post 'would run: install -d -o root -g nyon -m 1775 $dest/run/nyon'"
check_all "postinstall -n: user = nyon, authd_user = nyonauth, admin_group = nyon" \
    "post 'would set in $pconf: user = nyon'" \
    "post 'would set in $pconf: authd_user = nyonauth'" \
    "post 'would set in $pconf: admin_group = nyon'"
[ "$nfail" -eq "$nfail0" ] || diag "$(cat "$tmp/post.log")"
check_all "postinstall -n changed nothing" "cmp -s '$top/rc.d/nyon.conf' '$pconf'" \
    "[ ! -e '$dest/var/lib/nyon' ]" "[ ! -e '$dest/run/nyon' ]"
# A secret left in a nyon.conf that anyone can read is shown moving out.
cp "$pconf" "$tmp/secret.conf"
echo 'srt_passphrase = "a long passphrase"' >> "$tmp/secret.conf"
chmod 644 "$tmp/secret.conf"
NYON_ROOT=$dest NYON_CONF=$tmp/secret.conf "$top/rc.d/postinstall.sh" -n \
    > "$tmp/post-secret.log" 2>&1
check_all "postinstall -n: srt_passphrase would move to srt.passphrase, root:nyon 0640" \
    "grep -qx 'would write: $tmp/srt.passphrase (root:nyon 0640)' '$tmp/post-secret.log'" \
    "grep -qx \"would replace in $tmp/secret.conf: the srt_passphrase line with 'srt_passphrase_file = $tmp/srt.passphrase'\" '$tmp/post-secret.log'" \
    "! grep -q 'a long passphrase' '$tmp/post-secret.log'"

echo "max_viewers = 7" >> "$dest/etc/nyon/nyon.conf"
cp "$dest/etc/nyon/nyon.conf" "$tmp/edited.conf"
check "make install again" mk install DESTDIR="$dest" PREFIX=/usr/local
check "an existing nyon.conf is not overwritten" cmp -s "$tmp/edited.conf" "$dest/etc/nyon/nyon.conf"
check "and make says so" grep -q "keeping $dest/etc/nyon/nyon.conf" "$tmp/make.log"

check "make uninstall" mk uninstall DESTDIR="$dest" PREFIX=/usr/local
check "uninstall keeps an edited nyon.conf" cmp -s "$tmp/edited.conf" "$dest/etc/nyon/nyon.conf"
others=$(find "$dest" -type f ! -path "$dest/etc/nyon/nyon.conf")
check "uninstall removes everything else" [ -z "$others" ]
[ -z "$others" ] || diag "left: $others"
cp "$top/rc.d/nyon.conf" "$dest/etc/nyon/nyon.conf"
mk uninstall DESTDIR="$dest" PREFIX=/usr/local
check "uninstall removes an unedited nyon.conf" [ -z "$(find "$dest" -type f)" ]

# --- the config keys: conf_keys in lib/conf.c is the truth -----------------
perl -0777 -ne 'while (/\{"(\w+)",\s*CONF_\w+,\s*"([^"]*)"/g) { print "$1 $2\n" }' \
    "$top/lib/conf.c" > "$tmp/keys"
nkeys=$(wc -l < "$tmp/keys")
check "conf_keys parsed out of lib/conf.c ($nkeys keys)" [ "$nkeys" -gt 20 ]
shipped=$top/rc.d/nyon.conf
bad=""
while read -r key def; do
	if [ -n "$def" ]; then line="#$key = $def"; else line="#$key ="; fi
	grep -qxF "$line" "$shipped" || bad="$bad $key"
done < "$tmp/keys"
check "rc.d/nyon.conf lists every key with its default" [ -z "$bad" ]
[ -z "$bad" ] || diag "not listed as '#key = default':$bad"
extra=$(sed -n 's/^#\([a-z_][a-z_]*\) =.*/\1/p' "$shipped" | while read -r k; do
	grep -q "^$k " "$tmp/keys" || echo "$k"
done)
check "rc.d/nyon.conf lists no key conf_keys lacks" [ -z "$extra" ]
[ -z "$extra" ] || diag "unknown: $extra"
sed 's/^#\([a-z_][a-z_]* =\)/\1/' "$shipped" > "$tmp/uncommented.conf"
check "rc.d/nyon.conf parses, and so do its defaults uncommented" sh -c \
    "'$bin/ingestd/ingestd' -n -f '$shipped' && '$bin/ingestd/ingestd' -n -f '$tmp/uncommented.conf'" 2>/dev/null

bad=""
while read -r key def; do
	grep -q "^\.It Ic $key\( \|$\)" "$top/man/nyon.conf.5" || bad="$bad $key"
done < "$tmp/keys"
check "nyon.conf(5) documents every key" [ -z "$bad" ]
[ -z "$bad" ] || diag "undocumented:$bad"
extra=$(sed -n 's/^\.It Ic \([a-z_]*\).*/\1/p' "$top/man/nyon.conf.5" | while read -r k; do
	grep -q "^$k " "$tmp/keys" || echo "$k"
done)
check "nyon.conf(5) documents no key that does not exist" [ -z "$extra" ]
[ -z "$extra" ] || diag "not in conf_keys: $extra"

# --- nyonctl commands: cmd_table in ctl/nyonctl.c ------------------------
perl -0777 -ne 'if (/cmd_table\[\]\s*=\s*\{(.*?)\n\};/s) { my $t = $1;
	while ($t =~ /\{\s*"([a-z][a-z -]*)",/g) { print "$1\n" } }' \
    "$top/ctl/nyonctl.c" > "$tmp/cmds"
ncmds=$(wc -l < "$tmp/cmds")
check "cmd_table parsed out of ctl/nyonctl.c ($ncmds commands)" [ "$ncmds" -ge 2 ]
bad=""
while read -r cmd; do
	grep -q "Ic $cmd\( \|$\)" "$top/man/nyonctl.8" || bad="$bad '$cmd'"
done < "$tmp/cmds"
check "nyonctl(8) documents every command" [ -z "$bad" ]
[ -z "$bad" ] || diag "undocumented:$bad"

# --- manual pages, scripts -------------------------------------------------
pages="ingestd.8 flvd.8 authd.8 recd.8 nyonctl.8 rtcd.8 fwdd.8 nyon.conf.5 nyon.7"
for p in $pages; do
	# Cross references resolve only once installed: that style note aside,
	# a page must be silent.
	out=$(cd "$top/man" && mandoc -Tlint "$p" 2>&1 |
	    grep -v 'referenced manual not found\|mandoc.db')
	check "mandoc -Tlint $p" [ -z "$out" ]
	[ -z "$out" ] || diag "$out"
done

check "make install with a real PREFIX (for the checks below)" \
    mk install PREFIX="$tmp/p" CONFDIR="$tmp/p/etc/nyon" INITDIR="$tmp/p/etc/init.d"
out=$(shellcheck "$top/rc.d/postinstall.sh" "$top/rc.d/nyon.init.in" "$tmp/p/etc/init.d/"* 2>&1)
check "shellcheck: postinstall.sh and the init scripts" [ -z "$out" ]
[ -z "$out" ] || diag "$out"

# --- the units and the run directory ------------------------------------------
units=$tmp/p/lib/systemd/system
check_all "nyon-authd runs as nyonauth, in group nyon, writing /var/lib/nyon and /run/nyon" \
    "grep -qx 'User=nyonauth' '$units/nyon-authd.service'" \
    "grep -qx 'Group=nyonauth' '$units/nyon-authd.service'" \
    "grep -qx 'SupplementaryGroups=nyon' '$units/nyon-authd.service'" \
    "grep -qx 'StateDirectoryMode=0711' '$units/nyon-authd.service'" \
    "grep -qx 'ReadWritePaths=/var/lib/nyon /run/nyon' '$units/nyon-authd.service'"
check_all "nyon-ingestd runs as nyon, writes /run/nyon alone, cannot see /var/lib/nyon" \
    "grep -qx 'User=nyon' '$units/nyon-ingestd.service'" \
    "grep -qx 'Group=nyon' '$units/nyon-ingestd.service'" \
    "grep -qx 'ReadWritePaths=/run/nyon' '$units/nyon-ingestd.service'" \
    "grep -qx 'InaccessiblePaths=-/var/lib/nyon' '$units/nyon-ingestd.service'" \
    "! grep -q '^StateDirectory\|^SupplementaryGroups' '$units/nyon-ingestd.service'"
# flvd reads recd's live thumbnails; recd writes its recordings directory
secret='InaccessiblePaths=-/var/lib/nyon/nyon.db -/var/lib/nyon/nyon.db-wal -/var/lib/nyon/nyon.db-shm -/var/lib/nyon/jwt.secret'
check_all "nyon-flvd runs as nyon, writes /run/nyon alone, cannot see the database or secret" \
    "grep -qx 'User=nyon' '$units/nyon-flvd.service'" \
    "grep -qx 'Group=nyon' '$units/nyon-flvd.service'" \
    "grep -qx 'ReadWritePaths=/run/nyon' '$units/nyon-flvd.service'" \
    "grep -qxF '$secret' '$units/nyon-flvd.service'" \
    "! grep -q '^StateDirectory\|^SupplementaryGroups' '$units/nyon-flvd.service'"
check_all "nyon-recd runs as nyon, writes /run/nyon and its recordings alone, cannot see the database or secret" \
    "grep -qx 'User=nyon' '$units/nyon-recd.service'" \
    "grep -qx 'Group=nyon' '$units/nyon-recd.service'" \
    "grep -qx 'ReadWritePaths=/run/nyon /var/lib/nyon/recordings' '$units/nyon-recd.service'" \
    "grep -qx 'StateDirectory=nyon/recordings' '$units/nyon-recd.service'" \
    "grep -qx 'StateDirectoryMode=0750' '$units/nyon-recd.service'" \
    "grep -qxF '$secret' '$units/nyon-recd.service'" \
    "! grep -q '^SupplementaryGroups' '$units/nyon-recd.service'"
check "nyon.target starts recd too" grep -q '^Wants=.*nyon-recd.service' "$units/nyon.target"
check_all "nyon-rtcd runs as nyon, writes /run/nyon and its own /var/lib/nyon/rtc" \
    "grep -qx 'User=nyon' '$units/nyon-rtcd.service'" \
    "grep -qx 'Group=nyon' '$units/nyon-rtcd.service'" \
    "grep -qx 'ReadWritePaths=/run/nyon' '$units/nyon-rtcd.service'" \
    "grep -qx 'StateDirectory=nyon/rtc' '$units/nyon-rtcd.service'" \
    "grep -qx 'StateDirectoryMode=0700' '$units/nyon-rtcd.service'" \
    "! grep -q '^SupplementaryGroups' '$units/nyon-rtcd.service'"
check_all "nyon-fwdd runs as nyon, writes /run/nyon alone, cannot see /var/lib/nyon" \
    "grep -qx 'User=nyon' '$units/nyon-fwdd.service'" \
    "grep -qx 'Group=nyon' '$units/nyon-fwdd.service'" \
    "grep -qx 'ReadWritePaths=/run/nyon' '$units/nyon-fwdd.service'" \
    "grep -qx 'InaccessiblePaths=-/var/lib/nyon' '$units/nyon-fwdd.service'" \
    "! grep -q '^StateDirectory\\|^SupplementaryGroups' '$units/nyon-fwdd.service'"
check "nyon.target starts fwdd too" grep -q '^Wants=.*nyon-fwdd.service' "$units/nyon.target"
# RuntimeDirectory= would hand /run/nyon to one unit's user: none has it.
check "no unit has RuntimeDirectory= (tmpfiles.d makes /run/nyon)" \
    sh -c "! grep -q '^RuntimeDirectory' '$units/'nyon-*.service"
tmpf=$tmp/p/lib/tmpfiles.d/nyon.conf
check "tmpfiles.d: /run/nyon root:nyon 1775" grep -qx 'd /run/nyon 1775 root nyon -' "$tmpf"
# The entry itself, on another path and group, through systemd-tmpfiles.
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	sed -e "s|/run/nyon|$tmp/tmpf-run|" -e "s/ root nyon -\$/ root $(id -gn) -/" \
	    "$tmpf" > "$tmp/tmpf.conf"
	mkdir -m 0700 "$tmp/tmpf-run"
	systemd-tmpfiles --create "$tmp/tmpf.conf" > "$tmp/tmpf.log" 2>&1
	check "systemd-tmpfiles sets the run directory to root:GROUP 1775" \
	    [ "$(stat -c '%U:%G %a' "$tmp/tmpf-run")" = "root:$(id -gn) 1775" ]
else
	echo "ok $((ntest += 1)) # SKIP systemd-tmpfiles not installed (Debian: systemd)"
fi

# systemd-analyze checks ExecStart= programs exist and man: links resolve,
# so verify the units of the real-PREFIX install, against its pages.
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(MANPATH=$tmp/p/share/man timeout 120 systemd-analyze verify \
	    "$tmp/p/lib/systemd/system/"nyon-*.service \
	    "$tmp/p/lib/systemd/system/nyon.target" 2>&1); rc=$?
	check_all "systemd-analyze verify: the units are valid" '[ "$rc" -eq 0 ]' '[ -z "$out" ]'
	[ -z "$out" ] || diag "$out"
else
	echo "ok $((ntest += 1)) # SKIP systemd-analyze not installed (Debian: systemd)"
fi

# --- SysV scripts against a private config --------------------------------
write_conf <<EOF
auth = none
EOF
init=$tmp/p/etc/init.d/nyon-ingestd
NYON_CONF=$conf SYSTEMCTL_SKIP_REDIRECT=1
export NYON_CONF SYSTEMCTL_SKIP_REDIRECT
"$init" status >/dev/null 2>&1; rc=$?
check "init status: 3 when not running" [ "$rc" -eq 3 ]
check "init start" "$init" start
pid=$(cat "$tmp/run/ingestd.pid" 2>/dev/null)
pids="$pids $pid"
# not kill -0 "${pid:-0}": kill -0 0 signals our own group and succeeds
check_all "the daemon detached and runs with its pidfile" '[ -n "$pid" ]' 'kill -0 "$pid"'
check "nyonctl reaches it" nyonctl ping ingestd
check "init status: 0 when running" "$init" status
check "init reload (SIGHUP) keeps it running" sh -c "'$init' reload && sleep 0.3 && kill -0 $pid"
check "init start again is harmless" "$init" start
check "init restart" "$init" restart
pid2=$(cat "$tmp/run/ingestd.pid" 2>/dev/null)
pids="$pids $pid2"
check_all "restart gave a new process ($pid -> $pid2)" '[ -n "$pid2" ]' \
    '[ "$pid2" != "$pid" ]' 'kill -0 "$pid2"'
check "init stop" "$init" stop
check_all "stopped: gone, pidfile and socket removed" '[ -n "$pid2" ]' \
    '! kill -0 "$pid2" 2>/dev/null' '[ ! -e "$tmp/run/ingestd.pid" ]' \
    '[ ! -e "$tmp/run/ingestd.sock" ]'
cp "$conf" "$tmp/good.conf"
echo "max_streams = many" >> "$conf"
check "init start refuses a broken config (-n first)" fails_quietly "$init" start
check "and nothing was started" [ ! -e "$tmp/run/ingestd.pid" ]
cp "$tmp/good.conf" "$conf"

# With a user, the script makes the run directory root and that user's
# group, 1775, as tmpfiles.d does under systemd; the daemon becomes the
# user, and still removes its socket and pidfile there at exit.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod 0711 "$tmp"
	sed -i "s|^rundir = .*|rundir = $tmp/run-sysv|" "$conf"
	echo "user = nobody" >> "$conf"
	ngroup=$(id -gn nobody)
	check "init start with user = nobody" "$init" start
	pid3=$(cat "$tmp/run-sysv/ingestd.pid" 2>/dev/null)
	pids="$pids $pid3"
	check "the run directory is root:$ngroup 1775" \
	    [ "$(stat -c '%U:%G %a' "$tmp/run-sysv")" = "root:$ngroup 1775" ]
	check "the daemon runs as nobody" \
	    [ "$(stat -c %U "/proc/${pid3:-0}" 2>/dev/null)" = nobody ]
	check "init stop" "$init" stop
	check_all "stopped: socket and pidfile removed by nobody" \
	    '[ ! -e "$tmp/run-sysv/ingestd.pid" ]' '[ ! -e "$tmp/run-sysv/ingestd.sock" ]'
	cp "$tmp/good.conf" "$conf"
else
	echo "ok $((ntest += 1)) # SKIP not root, or no user nobody"
fi
done_testing
