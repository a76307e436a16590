#!/bin/sh
# Privilege separation as installed, with real users.  An older install (one
# user owning everything, secrets in nyon.conf) is upgraded by
# rc.d/postinstall.sh, which makes the users, groups and directories of
# nyon(7) under a private root; authd, ingestd, flvd and fwdd started as
# root then become their users.  The media user cannot read the database or the token
# secret, nor manage streams, settings or passwords; an operator (a member
# of admin_group) can; a stranger cannot even connect; and a real publisher
# and viewer work across the separation, as does forwarding: the media
# user gets a destination's URL from authd only while its stream is live.
# Needs root (CI runs as root).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP not root: cannot create users"
	exit 0
fi
for t in useradd userdel groupadd groupdel runuser; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "1..0 # SKIP no $t"
		exit 0
	fi
done

media=nyontest-m authu=nyontest-a group=nyontest oper=nyontest-op stranger=nyontest-x
remove_users() {
	for u in $oper $stranger $authu $media; do
		userdel "$u" 2>/dev/null
	done
	for g in $oper $stranger $authu $group; do
		groupdel "$g" 2>/dev/null
	done
	return 0
}
# A run killed before its trap left them: start clean, and leave clean.
remove_users
trap 'cleanup; remove_users' EXIT

# as USER COMMAND...: runs it as USER, stderr into stdout
as() {
	_u=$1
	shift
	timeout 10 runuser -u "$_u" -- "$@" 2>&1
}
# owner_mode PATH: user:group mode (octal)
owner_mode() {
	stat -c '%U:%G %a' "$1"
}
# ids PID FIELD: the four ids of a /proc/PID/status line (Uid: or Gid:)
ids() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '\t ' '  '
}
supp() {
	sed -n 's/^Groups:[[:space:]]*//p' "/proc/$1/status" | tr -s '\t ' '  ' |
	    sed 's/ *$//'
}

# The daemons, as users, must reach the config and the directories below.
chmod 0711 "$tmp"
root=$tmp/root
conf=$root/etc/nyon/nyon.conf
state=$root/var/lib/nyon
run=$root/run/nyon
mkdir -p "$root/etc/nyon" "$root/var/lib" "$root/run"
RTMP_PORT=$(free_port) FLV_PORT=$(free_port) API_PORT=$(free_port)
SRT_PORT=$(free_port udp)
{
	cat "$top/rc.d/nyon.conf"
	echo "rundir = $run"
	echo "statedir = $state"
	echo "rtmp_listen = 127.0.0.1:$RTMP_PORT"
	echo "flv_listen = 127.0.0.1:$FLV_PORT"
	echo "api_listen = 127.0.0.1:$API_PORT"
	echo "srt_listen = 127.0.0.1:$SRT_PORT"
	echo "www_dir = $top/www"
} > "$conf"
chmod 0644 "$conf"

# --- an older install: one user owns the state, secrets in nyon.conf ---------
groupadd --system $group
useradd --system --gid $group --no-create-home --shell /usr/sbin/nologin $media
install -d -o $media -g $group -m 0750 "$state" "$run"
sed -i "s/^#user =.*/user = $media/" "$conf"
check "old layout: authd starts as $media" start authd
check "old layout: a stream is added" sh -c "'$bin/ctl/nyonctl' -f '$conf' stream add old1 >/dev/null"
check "old layout: authd stops" stop authd
check "old layout: the database belongs to $media" [ "$(stat -c %U "$state/nyon.db")" = $media ]
check "old layout: so does the token secret" [ "$(stat -c %U "$state/jwt.secret")" = $media ]
jwt=0123456789abcdef0123456789abcdef-jwt-test
pass="srt test passphrase # 1"
printf 'jwt_secret = %s\nsrt_passphrase = "%s"\n' "$jwt" "$pass" >> "$conf"

# --- a secret in a config others can read ------------------------------------
out=$("$bin/authd/authd" -n -f "$conf" 2>&1); rc=$?
case $rc:$out in
1:*"is a secret, but this file is readable by anyone (mode 0644)"*)
	ok "authd -n refuses secrets in a nyon.conf anyone can read" ;;
*) not_ok "authd -n refuses secrets in a nyon.conf anyone can read"; diag "$rc $out" ;;
esac
case $out in
*"$jwt"* | *"$pass"*) not_ok "and does not print them" ;;
*) ok "and does not print them" ;;
esac
out=$("$bin/ingestd/ingestd" -n -f "$conf" 2>&1); rc=$?
check "ingestd -n refuses it too ($rc)" [ "$rc" -eq 1 ]
cp "$conf" "$tmp/group.conf"
sed -i '/^srt_passphrase/d' "$tmp/group.conf"
chmod 0640 "$tmp/group.conf"
out=$("$bin/authd/authd" -n -f "$tmp/group.conf" 2>&1); rc=$?
case $rc:$out in
1:*"jwt_secret is a secret, but this file is readable by its group (mode 0640)"*)
	ok "jwt_secret is refused even where only the group (the media user) reads it" ;;
*) not_ok "jwt_secret is refused even where only the group (the media user) reads it"; diag "$rc $out" ;;
esac
chmod 0600 "$tmp/group.conf"
check "and accepted in a file of root's alone" sh -c \
    "'$bin/authd/authd' -n -f '$tmp/group.conf' 2>/dev/null"

# --- postinstall: -n shows, then it does ------------------------------------
postinstall() {
	NYON_ROOT=$root NYON_USER=$media NYON_AUTHD_USER=$authu NYON_GROUP=$group \
	    "$top/rc.d/postinstall.sh" "$@"
}
before=$(owner_mode "$state"; cat "$conf")
nfail0=$nfail
postinstall -n > "$tmp/post-n.log" 2>&1; rc=$?
check "postinstall -n runs ($rc)" [ "$rc" -eq 0 ]
check_all "postinstall -n shows the users, directories, modes and conf lines" \
    "grep -qx 'ok: user $media, group $group' '$tmp/post-n.log'" \
    "grep -q '^would run: useradd --system --user-group --groups $group .* $authu$' '$tmp/post-n.log'" \
    "grep -qx 'would run: install -d -o $authu -g $authu -m 0711 $state' '$tmp/post-n.log'" \
    "grep -qx 'would run: chown $authu:$authu $state/nyon.db' '$tmp/post-n.log'" \
    "grep -qx 'would run: chmod 0600 $state/jwt.secret' '$tmp/post-n.log'" \
    "grep -qx 'would run: install -d -o root -g $group -m 1775 $run' '$tmp/post-n.log'" \
    "grep -qx 'ok: $conf keeps .user = $media.' '$tmp/post-n.log'" \
    "grep -qx 'would set in $conf: authd_user = $authu' '$tmp/post-n.log'" \
    "grep -qx 'would set in $conf: admin_group = $group' '$tmp/post-n.log'" \
    "grep -qx 'would write: $root/etc/nyon/srt.passphrase (root:$group 0640)' '$tmp/post-n.log'" \
    "grep -qx 'would write: $state/jwt.secret ($authu:$authu 0600)' '$tmp/post-n.log'"
[ "$nfail" -eq "$nfail0" ] || diag "$(cat "$tmp/post-n.log")"
after=$(owner_mode "$state"; cat "$conf")
check_all "postinstall -n changes nothing" "! getent passwd $authu >/dev/null" \
    '[ "$after" = "$before" ]'
check "and shows no secret" sh -c "! grep -q -e '$jwt' -e 'srt test' '$tmp/post-n.log'"

postinstall > "$tmp/post.log" 2>&1; rc=$?
check "postinstall runs ($rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag "$(cat "$tmp/post.log")"
check "it made $authu, with a group of its own" [ "$(id -gn $authu 2>/dev/null)" = $authu ]
check "$authu is a member of $group" sh -c "id -nG $authu | tr ' ' '\n' | grep -qx $group"
check "$media is not a member of $authu's group" sh -c "! id -nG $media | tr ' ' '\n' | grep -qx $authu"
check "the state directory is $authu's, 0711" [ "$(owner_mode "$state")" = "$authu:$authu 711" ]
check "the database moved to $authu, 0600" [ "$(owner_mode "$state/nyon.db")" = "$authu:$authu 600" ]
check "the token secret moved to $authu, 0600" [ "$(owner_mode "$state/jwt.secret")" = "$authu:$authu 600" ]
check "the run directory is root:$group, 1775" [ "$(owner_mode "$run")" = "root:$group 1775" ]
check "the recordings directory is $media:$group, 0750" [ "$(owner_mode "$state/recordings")" = "$media:$group 750" ]
check_all "nyon.conf names the users and the admin group" \
    "grep -qx 'user = $media' '$conf'" "grep -qx 'authd_user = $authu' '$conf'" \
    "grep -qx 'admin_group = $group' '$conf'"
check_all "the SRT passphrase moved to a file root:$group 0640" \
    "! grep -q '^srt_passphrase =' '$conf'" \
    "grep -qx 'srt_passphrase_file = $root/etc/nyon/srt.passphrase' '$conf'" \
    "[ \"\$(owner_mode '$root/etc/nyon/srt.passphrase')\" = 'root:$group 640' ]" \
    "[ \"\$(cat '$root/etc/nyon/srt.passphrase')\" = '$pass' ]"
check_all "jwt_secret moved into jwt.secret" "! grep -q '^jwt_secret' '$conf'" \
    "[ \"\$(cat '$state/jwt.secret')\" = '$jwt' ]"
check "every daemon accepts the config now" sh -c \
    "'$bin/authd/authd' -n -f '$conf' && '$bin/ingestd/ingestd' -n -f '$conf' && '$bin/flvd/flvd' -n -f '$conf'" 2>/dev/null
postinstall > "$tmp/post2.log" 2>&1; rc=$?
changes=$(grep -E '^(run|write|set in|replace in|append to)' "$tmp/post2.log")
check_all "postinstall again changes nothing ($rc)" '[ "$rc" -eq 0 ]' '[ -z "$changes" ]'
[ -z "$changes" ] || diag "$changes"

useradd --system --no-create-home --shell /usr/sbin/nologin --groups $group $oper
useradd --system --no-create-home --shell /usr/sbin/nologin $stranger

# --- the daemons, started as root, become their users --------------------------
check "authd starts" start authd
check "ingestd starts" start ingestd
check "flvd starts" start flvd
check "fwdd starts" start fwdd
check "recd starts" start recd
mu=$(id -u $media) mg=$(getent group $group | cut -d: -f3)
au=$(id -u $authu) ag=$(id -g $authu)
check_all "authd runs as $authu, its group, and $group beside" \
    "[ \"\$(ids $pid_authd Uid)\" = '$au $au $au $au' ]" \
    "[ \"\$(ids $pid_authd Gid)\" = '$ag $ag $ag $ag' ]" \
    "supp $pid_authd | tr ' ' '\n' | grep -qx $mg"
for d in ingestd flvd recd fwdd; do
	p=$(eval echo "\$pid_$d")
	check_all "$d runs as $media and $group alone" \
	    "[ \"\$(ids $p Uid)\" = '$mu $mu $mu $mu' ]" \
	    "[ \"\$(ids $p Gid)\" = '$mg $mg $mg $mg' ]" \
	    "[ \"\$(supp $p)\" = '$mg' ]"
done
check "authd.sock: $authu:$group 0660" [ "$(owner_mode "$run/authd.sock")" = "$authu:$group 660" ]
check "ingestd.sock: $media:$group 0660" [ "$(owner_mode "$run/ingestd.sock")" = "$media:$group 660" ]
check "flvd.sock: $media:$group 0660" [ "$(owner_mode "$run/flvd.sock")" = "$media:$group 660" ]
check "fwdd.sock: $media:$group 0660" [ "$(owner_mode "$run/fwdd.sock")" = "$media:$group 660" ]
check "recd.sock: $media:$group 0660" [ "$(owner_mode "$run/recd.sock")" = "$media:$group 660" ]
check_all "SQLite's -wal and -shm are $authu's, 0600, like the database" \
    "[ \"\$(owner_mode '$state/nyon.db-wal')\" = '$authu:$authu 600' ]" \
    "[ \"\$(owner_mode '$state/nyon.db-shm')\" = '$authu:$authu 600' ]"
check "ingestd read the SRT passphrase from its file" \
    grep -q "srt: listening on 127.0.0.1:$SRT_PORT (encrypted)" "$tmp/ingestd.log"

# --- what the media user cannot do ----------------------------------------------
for f in nyon.db nyon.db-wal jwt.secret; do
	out=$(as $media cat "$state/$f"); rc=$?
	case $rc:$out in
	1:*"Permission denied"*) ok "$media cannot read $f: permission denied" ;;
	*) not_ok "$media cannot read $f: permission denied"; diag "$rc $out" ;;
	esac
done
out=$(as $media ls "$state"); rc=$?
check "$media cannot list the state directory ($rc)" [ "$rc" -ne 0 ]
out=$(as $media touch "$state/planted"); rc=$?
check "$media cannot write in it ($rc)" sh -c "[ $rc -ne 0 ] && [ ! -e '$state/planted' ]"
out=$(as $media "$bin/ctl/nyonctl" -f "$conf" ping ingestd); rc=$?
check "$media: nyonctl ping ingestd works ($rc)" [ "$rc" -eq 0 ]
out=$(as $media "$bin/ctl/nyonctl" -f "$conf" ping authd); rc=$?
check "$media: nyonctl ping authd works ($rc)" [ "$rc" -eq 0 ]
refused() {
	_desc=$1
	shift
	out=$("$@"); rc=$?
	case $rc:$out in
	1:*"not allowed"*) ok "$_desc" ;;
	*) not_ok "$_desc"; diag "$rc $out" ;;
	esac
}
refused "$media: stream add is refused (not allowed)" \
    as $media "$bin/ctl/nyonctl" -f "$conf" stream add evil
refused "$media: config set is refused" \
    as $media "$bin/ctl/nyonctl" -f "$conf" config set public_ip 192.0.2.1
out=$(echo "hijacked-pass-1" | timeout 10 runuser -u $media -- \
    "$bin/ctl/nyonctl" -f "$conf" user passwd admin 2>&1); rc=$?
case $rc:$out in
1:*"not allowed"*) ok "$media: user passwd is refused" ;;
*) not_ok "$media: user passwd is refused"; diag "$rc $out" ;;
esac
refused "$media: stream show (a key) is refused" \
    as $media "$bin/ctl/nyonctl" -f "$conf" stream show old1
refused "$media: stream forward list (destinations' keys) is refused" \
    as $media "$bin/ctl/nyonctl" -f "$conf" stream forward list --show-keys
check "authd logged the refusals" grep -q "refused 'stream_add' from uid $mu" "$tmp/authd.log"
out=$(as $media rm -f "$run/authd.sock"); rc=$?
check "$media cannot remove authd's socket (sticky run directory)" [ -S "$run/authd.sock" ]

# --- the stranger, and the operator -----------------------------------------------
out=$(as $stranger "$bin/ctl/nyonctl" -f "$conf" ping authd); rc=$?
case $rc:$out in
1:*"Permission denied"*) ok "a stranger is refused at connect" ;;
*) not_ok "a stranger is refused at connect"; diag "$rc $out" ;;
esac
out=$(as $stranger cat "$root/etc/nyon/srt.passphrase"); rc=$?
check "a stranger cannot read the SRT passphrase ($rc)" [ "$rc" -ne 0 ]
out=$(as $oper "$bin/ctl/nyonctl" -f "$conf" stream add cam1 --record on); rc=$?
check "$oper (in $group): stream add cam1 works ($rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || diag "$out"
key=$(as $oper "$bin/ctl/nyonctl" -f "$conf" --json stream show cam1 |
    pyjson 'd["stream_key"]' 2>/dev/null)
check "and can read its key" [ -n "$key" ]
out=$(as $oper "$bin/ctl/nyonctl" -f "$conf" stream list); rc=$?
case $rc:$out in
0:*old1*) ok "the stream of the old install survived the move" ;;
*) not_ok "the stream of the old install survived the move"; diag "$rc $out" ;;
esac
out=$(as $oper "$bin/ctl/nyonctl" -f "$conf" status); rc=$?
check "$oper: nyonctl status works ($rc)" [ "$rc" -eq 0 ]
P_DEST=$(free_port)
out=$(as $oper "$bin/ctl/nyonctl" -f "$conf" stream forward add cam1 \
    "rtmp://127.0.0.1:$P_DEST/live/privsepKEY"); rc=$?
check "$oper: stream forward add works ($rc)" [ "$rc" -eq 0 ]
# forward_get USER: what authd answers USER asking for cam1's destinations,
# as fwdd does (over its socket, by the op table)
forward_get() {
	as "$1" python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(json.dumps({"v": 1, "op": "forward_get", "stream": "cam1", "req": 1}).encode())
print(s.recv(65536).decode())' "$run/authd.sock"
}
out=$(forward_get $media)
case $out in
*'"ok":false'*"not live"*) ok "$media: no destination of a stream that is not live" ;;
*) not_ok "$media: no destination of a stream that is not live"; diag "$out" ;;
esac

# --- the whole path works under separation ----------------------------------------
publish_key cam1 "$key" 30
check "a publisher with cam1's key goes live" wait_live cam1
probe=$(timeout 20 ffprobe -v error -show_entries stream=codec_name -of csv=p=0 \
    "$(flv_url cam1)" 2>&1 | tr '\n' ' ')
case $probe in
*h264*aac* | *aac*h264*) ok "and plays over HTTP-FLV: $probe" ;;
*) not_ok "and plays over HTTP-FLV: $probe" ;;
esac
out=$(as $oper "$bin/ctl/nyonctl" -f "$conf" --json session list --active)
case $out in
*'"cam1"'*) ok "authd recorded the live session" ;;
*) not_ok "authd recorded the live session"; diag "$out" ;;
esac
out=$(forward_get $media)
case $out in
*'"ok":true'*privsepKEY*) ok "$media: the destination of cam1 while it is live" ;;
*) not_ok "$media: the destination of cam1 while it is live"; diag "$out" ;;
esac
check "fwdd, as $media, got it and tries to push there" \
    sh -c "sleep 1; grep -q 'stream cam1: forwarding to rtmp://127.0.0.1:$P_DEST/live/\*\*\*\*' '$tmp/fwdd.log'"
check "without a word of the key" sh -c "! grep -q privsepKEY '$tmp/fwdd.log' '$tmp/authd.log'"
sleep 3
kill "$pub_cam1" 2>/dev/null
reap "$pub_cam1"
sleep 1

# --- recordings: recd's, the media user's ------------------------------------------
f=$(ls "$state/recordings/cam1/"*.mp4 2>/dev/null | head -1)
check "recd recorded cam1 as $media, mode 0640" [ "$(owner_mode "${f:-/nonexistent}" 2>/dev/null)" = "$media:$group 640" ]
out=$(as $authu touch "$state/recordings/planted"); rc=$?
check "$authu cannot write in the recordings directory ($rc)" sh -c "[ $rc -ne 0 ] && [ ! -e '$state/recordings/planted' ]"
out=$(as $stranger ls "$state/recordings"); rc=$?
check "a stranger cannot list it ($rc)" [ "$rc" -ne 0 ]
out=$(as $oper "$bin/ctl/nyonctl" -f "$conf" recording list cam1); rc=$?
case $rc:$out in
0:*cam1*) ok "$oper: nyonctl recording list shows it" ;;
*) not_ok "$oper: nyonctl recording list shows it"; diag "$rc $out" ;;
esac
out=$(as $stranger "$bin/ctl/nyonctl" -f "$conf" recording list); rc=$?
case $rc:$out in
1:*"Permission denied"*) ok "a stranger cannot list recordings: refused at connect" ;;
*) not_ok "a stranger cannot list recordings: refused at connect"; diag "$rc $out" ;;
esac
id=$(as $oper "$bin/ctl/nyonctl" -f "$conf" --json recording list cam1 | pyjson 'd[0]["id"]' 2>/dev/null)
# authd's user asks recd for the file and is handed it, as for a download
got=$(timeout 10 runuser -u $authu -- python3 -c '
import array, json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(json.dumps({"v": 1, "op": "recording_open", "id": int(sys.argv[2]), "req": 1}).encode())
fds = array.array("i")
msg, anc, flags, addr = s.recvmsg(65536, socket.CMSG_LEN(4))
for level, kind, data in anc:
    fds.frombytes(data[:4])
print(json.loads(msg)["ok"], os.read(fds[0], 8)[4:8].decode())' "$run/recd.sock" "${id:-0}" 2>&1)
check "$authu is handed the recording's open file by recd ($got)" [ "$got" = "True ftyp" ]
# ---------------------------------------------------------------------------------------

# A reload as the media user re-reads the passphrase file (root:group 0640).
kill -HUP "$pid_ingestd"
sleep 0.5
check_all "ingestd reloads as $media, passphrase file and all" \
    "grep -q 'reload: .* in use' '$tmp/ingestd.log'" \
    "! grep -q 'keeping the running configuration' '$tmp/ingestd.log'"

check "recd stops cleanly" stop recd
check "fwdd stops cleanly" stop fwdd
check "flvd stops cleanly" stop flvd
check "ingestd stops cleanly" stop ingestd
check "authd stops cleanly" stop authd
check_all "each removed its own socket and pidfile" \
    "[ -z \"\$(ls -A '$run')\" ]"
done_testing
