#!/bin/sh
# The control protocol as the operator meets it: authd never waits on a
# stuck daemon (the health call asks asynchronously and answers within its
# deadline while the API stays responsive), refusals name the role, and a
# revocation reaches ingestd even while authd is busy answering others.
. "$(dirname "$0")/lib.sh"

DEFAULT_ADMIN_PASSWORD=control-admin-1
export DEFAULT_ADMIN_PASSWORD
write_conf <<CONF
republish_grace = 0
CONF
check "authd starts" start authd
unset DEFAULT_ADMIN_PASSWORD
check "ingestd starts" start ingestd
check "flvd starts" start flvd
api=http://127.0.0.1:$API_PORT

# a token for the health call
nyonctl user passwd admin <<EOF > /dev/null
control-admin-2
control-admin-2
EOF
tok=$(curl -s -m 5 -H 'Content-Type: application/json' \
    --data '{"username":"admin","password":"control-admin-2"}' \
    "$api/api/auth/login" | pyjson 'd["token"]')
check "logged in" [ -n "$tok" ]

# ms_of URL [curl options]: how long the request took, in milliseconds
ms_of() {
	_u=$1
	shift
	curl -s -m 5 -o "$tmp/ms.out" -w '%{time_total}' "$@" "$_u" |
	    awk '{ printf "%d", $1 * 1000 }'
}

t=$(ms_of "$api/api/config/health" -H "Authorization: Bearer $tok")
check "health with every daemon up answers ($t ms)" [ "$t" -lt 1000 ]
up=$(pyjson 'd["data"]["daemons"]["ingestd"] + " " + d["data"]["daemons"]["flvd"]' < "$tmp/ms.out")
check "and says ingestd and flvd are up ($up)" [ "$up" = "up up" ]

# ingestd stopped (not dead: its socket still accepts, nobody answers)
kill -STOP "$pid_ingestd"
curl -s -m 5 -o "$tmp/health.out" -w '%{time_total}' \
    -H "Authorization: Bearer $tok" "$api/api/config/health" > "$tmp/health.t" &
hc=$!
sleep 0.05
# while the health call waits for ingestd, authd answers others at once
t=$(ms_of "$api/api/health")
check "authd answers /api/health during it ($t ms)" [ "$t" -lt 100 ]
t=$(ms_of "$api/api/streams" -H "Authorization: Bearer $tok")
check "and an authenticated request too ($t ms)" [ "$t" -lt 100 ]
reap $hc 50
t=$(awk '{ printf "%d", $1 * 1000 }' "$tmp/health.t")
check "the health call itself answers within its deadline ($t ms)" \
    sh -c "[ '$t' -ge 200 ] && [ '$t' -lt 1000 ]"
st=$(pyjson 'd["data"]["daemons"]["ingestd"] + " " + d["data"]["daemons"]["flvd"]' < "$tmp/health.out")
check "it shows the stopped ingestd as down, flvd up ($st)" [ "$st" = "down up" ]
# a client that leaves before the answer does not take authd down
curl -s -m 0.05 -H "Authorization: Bearer $tok" "$api/api/config/health" \
    > /dev/null 2>&1
sleep 0.5
kill -CONT "$pid_ingestd"
check "authd is still up after a client left mid-health" nyonctl ping authd
t=$(ms_of "$api/api/config/health" -H "Authorization: Bearer $tok")
up=$(pyjson 'd["data"]["daemons"]["ingestd"]' < "$tmp/ms.out")
check "ingestd is up again in health ($up, $t ms)" [ "$up" = up ]

# the op table refuses what a peer may not send, by name and role
out=$(python3 - "$tmp/run/ingestd.sock" <<'EOF' 2>&1
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(3)
s.connect(sys.argv[1])
s.send(json.dumps({"v": 1, "op": "stream_list", "req": 5}).encode())
r = json.loads(s.recv(65536))
print(r.get("ok"), r.get("req"), r.get("error"))
s.send(json.dumps({"v": 1, "op": "publish", "key": "k"}).encode())
print(json.loads(s.recv(65536)).get("error"))
s.send(b'{"v":1,"op":"ping","op":"status"}')
print(json.loads(s.recv(65536)).get("error"))
EOF
)
case $out in
*"False 5 unknown op 'stream_list'"*"unknown op 'publish'"*"given twice"*)
	ok "ingestd refuses ops it does not serve and duplicate keys, echoing req" ;;
*) not_ok "ingestd refuses ops it does not serve"; diag "$out" ;;
esac
out=$(python3 - "$tmp/run/authd.sock" <<'EOF' 2>&1
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(3)
s.connect(sys.argv[1])
s.send(json.dumps({"v": 1, "op": "publish", "key": "short", "proto": "rtmp"}).encode())
print(json.loads(s.recv(65536)).get("error"))
s.send(json.dumps({"v": 1, "op": "session_kick"}).encode())
print(json.loads(s.recv(65536)).get("error"))
EOF
)
case $out in
*"publish: ip is required"*"session_kick: id is required"*)
	ok "authd checks an op's fields before any handler runs" ;;
*) not_ok "authd checks an op's fields"; diag "$out" ;;
esac

# a revocation while ingestd is busy still arrives (queued, never dropped)
key=$(nyonctl --json stream add camq | pyjson 'd["stream_key"]')
publish_key camq "$key" 30
check "camq goes live" wait_live camq
kill -STOP "$pid_ingestd"
nyonctl stream disable camq > /dev/null
kill -CONT "$pid_ingestd"
i=0
while [ $i -lt 30 ] && [ "$(curl -s -m 2 -o /dev/null -I -w '%{http_code}' "$(flv_url camq)")" = 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
code=$(curl -s -m 2 -o /dev/null -I -w '%{http_code}' "$(flv_url camq)")
check "a revoke sent while ingestd was stopped ends the stream ($code)" [ "$code" = 404 ]

check "flvd stops cleanly" stop flvd
check "ingestd stops cleanly" stop ingestd
check "authd stops cleanly" stop authd
done_testing
