#!/bin/sh
# The REST API through curl: login and the first password change, tokens
# (tampered, alg none, expired, logged out), every endpoint's happy path
# and its errors, the login rate limit, body limits, the dashboard's files,
# SRS hooks, and a stream made through the API publishing with ffmpeg.
. "$(dirname "$0")/lib.sh"

mkdir -p "$tmp/www/dashboard/js" "$tmp/www/vendor"
echo '<!doctype html><title>dash</title>' > "$tmp/www/dashboard/index.html"
echo 'console.log(1)' > "$tmp/www/dashboard/js/app.js"
echo 'body{}' > "$tmp/www/dashboard/app.css"
echo 'vendor' > "$tmp/www/vendor/lib.js"
echo 'secret' > "$tmp/outside.txt"

SRT_PORT=$(free_port udp)
write_conf <<CONF
www_dir = $tmp/www
hooks = off
CONF
api=http://127.0.0.1:$API_PORT
DEFAULT_ADMIN_PASSWORD=first-pass-123
export DEFAULT_ADMIN_PASSWORD
check "authd starts" start authd
unset DEFAULT_ADMIN_PASSWORD

# req METHOD PATH [BODY] [TOKEN] [curl options...]: the status in $code,
# the body in $tmp/out, the headers in $tmp/hdr
req() {
	_m=$1 _p=$2 _b=${3:-} _t=${4:-}
	if [ $# -ge 4 ]; then shift 4; else shift $#; fi
	set -- -s -m 10 -o "$tmp/out" -D "$tmp/hdr" -w '%{http_code}' -X "$_m" "$@"
	[ -n "$_t" ] && set -- "$@" -H "Authorization: Bearer $_t"
	[ -n "$_b" ] && set -- "$@" -H 'Content-Type: application/json' \
	    --data-binary "$_b"
	code=$(curl "$@" "$api$_p")
}
# js EXPR: evaluates a Python expression over the last body, as d
js() {
	python3 -c "import json,sys
d = json.load(open(sys.argv[1]))
print($1)" "$tmp/out" 2>&1
}
# is DESC WANT_CODE [PY_ASSERTION]: the last response had WANT_CODE and
# the assertion about d holds
is() {
	_ok=1
	[ "$code" = "$2" ] || _ok=0
	if [ $_ok = 1 ] && [ -n "${3:-}" ]; then
		python3 -c "import json,sys
d = json.load(open(sys.argv[1]))
assert $3" "$tmp/out" 2>/dev/null || _ok=0
	fi
	if [ $_ok = 1 ]; then ok "$1"; else
		not_ok "$1"; diag "got $code: $(head -c 400 "$tmp/out")"
	fi
}
hdr() {
	tr -d '\r' < "$tmp/hdr" | grep -i "^$1:" | head -1 | sed 's/^[^:]*: *//'
}

# -- health, headers ---------------------------------------------------------
req GET /api/health
is "GET /api/health without a token" 200 \
    'd["success"] is True and d["data"]["status"] == "ok" and "uptime" in d["data"]'
check "nosniff header" [ "$(hdr X-Content-Type-Options)" = nosniff ]
check "X-Frame-Options DENY" [ "$(hdr X-Frame-Options)" = DENY ]
check "Referrer-Policy no-referrer" [ "$(hdr Referrer-Policy)" = no-referrer ]
check "no Access-Control-Allow-Origin without cors_origin" \
    [ -z "$(hdr Access-Control-Allow-Origin)" ]
req OPTIONS /api/streams
check "preflight answered ($code)" [ "$code" = 204 ]
check "... allowing nothing without cors_origin" \
    [ -z "$(hdr Access-Control-Allow-Headers)" ]

secret=$tmp/state/jwt.secret
check "jwt.secret generated, mode 0600" \
    [ "$(stat -c %a "$secret" 2>/dev/null)" = 600 ]
check "jwt.secret holds 64 hex digits" \
    grep -Eqx '[0-9a-f]{64}' "$secret"

# -- login and the first password change -------------------------------------
req POST /api/auth/login '{"username":"admin","password":"wrong-pass"}'
is "wrong password: 401" 401 'd["success"] is False'
e1=$(js 'd["error"]')
req POST /api/auth/login '{"username":"nobody","password":"wrong-pass"}'
is "unknown user: 401" 401
e2=$(js 'd["error"]')
check "same message for unknown user and wrong password ($e1)" [ "$e1" = "$e2" ]
req POST /api/auth/login '{"username":"admin"}'
is "login without password: 400 naming it" 400 \
    'd["details"][0]["param"] == "password"'
req POST /api/auth/login '{"username":"admin","password":"first-pass-123"}'
is "login" 200 'd["success"] and d["token"] and d["user"]["username"] == "admin" and d["user"]["must_change_password"] is True'
t0=$(js 'd["token"]')

req GET /api/streams "" "$t0"
is "403 while the password must be changed" 403 '"password" in d["error"]'
req GET /api/auth/me "" "$t0"
is "GET /api/auth/me allowed before the change" 200 \
    'd["data"]["username"] == "admin"'
req PUT /api/auth/change-password \
    '{"current_password":"nope-nope","new_password":"second-pass-456"}' "$t0"
is "change-password with a wrong current password: 400" 400 \
    'd["details"][0]["param"] == "current_password"'
req PUT /api/auth/change-password \
    '{"current_password":"first-pass-123","new_password":"short"}' "$t0"
is "change-password with a short new password: 400" 400 \
    'd["details"][0]["param"] == "new_password"'
req PUT /api/auth/change-password \
    '{"current_password":"first-pass-123","new_password":"second-pass-456"}' "$t0"
is "change-password" 200 'd["token"] and d["user"]["must_change_password"] is False'
tok=$(js 'd["token"]')
req GET /api/streams "" "$t0"
is "the token from before the change is refused" 401
req GET /api/streams "" "$tok"
is "the new token works" 200 'd["data"] == []'

# -- bad tokens ----------------------------------------------------------------
req GET /api/streams
is "no token: 401" 401 'd["success"] is False and d["error"]'
# craft NAME SECONDS_FROM_NOW [ALG]: a token for admin signed with the secret,
# of the token generation $tok has (the password changed once)
craft() {
	python3 - "$secret" "$1" "$2" "${3:-HS256}" "$tok" <<'PY'
import base64, hashlib, hmac, json, sys, time
key = open(sys.argv[1]).read().strip().encode()
b = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
now = int(time.time())
h = b({"alg": sys.argv[4], "typ": "JWT"})
ttl = int(sys.argv[3])
tp = sys.argv[5].split(".")[1]
gen = json.loads(base64.urlsafe_b64decode(tp + "=" * (-len(tp) % 4))).get("gen", 0)
p = b({"userId": 1, "username": "admin", "iat": now if ttl > 0 else now + ttl - 60, "exp": now + ttl, "gen": gen})
if sys.argv[2] == "none":
    print(h + "." + p + ".")
else:
    s = hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest()
    print(h + "." + p + "." + base64.urlsafe_b64encode(s).rstrip(b"=").decode())
PY
}
good=$(craft signed 600)
req GET /api/streams "" "$good"
is "a token crafted with the secret works (the test's crafting is right)" 200
req GET /api/streams "" "$(craft signed -10)"
is "expired token: 401" 401 '"expired" in d["error"]'
req GET /api/streams "" "$(craft none 600 none)"
is "alg none: 401" 401
req GET /api/streams "" "$(craft signed 600 HS512)"
is "alg HS512: 401" 401
tampered=$(python3 -c "
import base64, sys
h, p, s = sys.argv[1].split('.')
raw = base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)).replace(b'\"userId\":1', b'\"userId\":2')
print(h + '.' + base64.urlsafe_b64encode(raw).rstrip(b'=').decode() + '.' + s)" "$tok")
req GET /api/streams "" "$tampered"
is "tampered payload: 401" 401
req GET /api/streams "" "garbage.garbage.garbage"
is "garbage token: 401" 401
req GET /api/streams "" "${tok}x"
is "token with an extra character: 401" 401

# -- streams ---------------------------------------------------------------------
req POST /api/streams '{"name":"cam1","max_bitrate":5}' "$tok"
is "max_bitrate 5: 400 with details[0].param" 400 \
    'd["details"][0]["param"] == "max_bitrate" and d["details"][0]["msg"]'
req POST /api/streams '{"max_bitrate":1000}' "$tok"
is "no name: 400 naming it" 400 'd["details"][0]["param"] == "name"'
req POST /api/streams '{"name":"cam1","protocol":"rtmp","whatever":[1,2]}' "$tok"
is "POST /api/streams: 201, unknown fields ignored" 201 \
    'd["data"]["name"] == "cam1" and len(d["data"]["stream_key"]) > 10 and d["data"]["protocol"] == "rtmp"'
sid=$(js 'd["data"]["id"]')
key=$(js 'd["data"]["stream_key"]')
req POST /api/streams '{"name":"cam1"}' "$tok"
is "duplicate name: 409" 409 'd["details"][0]["param"] == "name"'
tricky="Bob's \\\"cam\\\"; DROP TABLE streams;--"
req POST /api/streams "{\"name\":\"$tricky\",\"description\":\"' OR 1=1 --\"}" "$tok"
is "a name with quotes and SQL is accepted" 201
tid=$(js 'd["data"]["id"]')
req GET "/api/streams/$tid" "" "$tok"
is "... and comes back literally" 200 \
    'd["data"]["name"] == "Bob'"'"'s \"cam\"; DROP TABLE streams;--" and d["data"]["description"] == "'"'"' OR 1=1 --"'
req GET /api/streams "" "$tok"
is "GET /api/streams lists both" 200 'len(d["data"]) == 2'
req GET "/api/streams?protocol=rtmp" "" "$tok"
is "?protocol=rtmp filters" 200 '[s["name"] for s in d["data"]] == ["cam1"]'
req GET "/api/streams?is_active=false" "" "$tok"
is "?is_active=false filters" 200 'd["data"] == []'
req GET "/api/streams?is_active=maybe" "" "$tok"
is "?is_active=maybe: 400" 400 'd["details"][0]["param"] == "is_active"'
req GET "/api/streams/$sid" "" "$tok"
is "GET /api/streams/:id with active_sessions" 200 \
    'd["data"]["id"] == '"$sid"' and d["data"]["active_sessions"] == []'
req GET /api/streams/9999 "" "$tok"
is "unknown stream: 404" 404 'd["success"] is False'
req GET /api/streams/abc "" "$tok"
is "non-numeric id: 400" 400 'd["details"][0]["param"] == "id"'
req PUT "/api/streams/$tid" '{"description":"edited","max_bitrate":2500}' "$tok"
is "PUT /api/streams/:id" 200 \
    'd["data"]["description"] == "edited" and d["data"]["max_bitrate"] == 2500'
req PUT "/api/streams/$tid" '{"protocol":"ftp"}' "$tok"
is "PUT with a bad protocol: 400" 400 'd["details"][0]["param"] == "protocol"'
req PUT "/api/streams/$tid" '{"name":"cam1"}' "$tok"
is "PUT renaming onto a taken name: 409" 409
req GET "/api/streams/$sid/urls" "" "$tok"
is "GET /api/streams/:id/urls" 200 '"/live/cam1.flv" in d["data"]["lan"]["play_url"]'
req POST "/api/streams/$tid/regenerate-key" "" "$tok"
is "regenerate-key gives a new key" 200 'd["data"]["stream_key"]'
req DELETE "/api/streams/$tid" "" "$tok"
is "DELETE /api/streams/:id" 200
req GET "/api/streams/$tid" "" "$tok"
is "a deleted stream is gone" 404
req DELETE "/api/streams/$tid" "" "$tok"
is "deleting it again: 404" 404
req GET /api/nosuch "" "$tok"
is "unknown endpoint: 404" 404 'd["success"] is False'

# -- bodies ------------------------------------------------------------------------
req POST /api/streams '{"name":' "$tok"
is "bad JSON: 400" 400 '"JSON" in d["error"]'
req POST /api/streams '["cam9"]' "$tok"
is "a JSON array body: 400" 400 '"object" in d["error"]'
req POST /api/streams '"cam9"' "$tok"
is "a JSON string body: 400" 400
req POST /api/streams "$(python3 -c 'print("[" * 10000)')" "$tok"
is "deep nesting: 400" 400
python3 -c 'print("{\"name\":\"big\",\"description\":\"" + "x" * 100000 + "\"}")' > "$tmp/big.json"
req POST /api/streams "@$tmp/big.json" "$tok"
is "a 100 KiB body: 413 as JSON" 413 'd["success"] is False'
head -c 2000000 /dev/zero | tr '\0' 'x' > "$tmp/huge.json"
req POST /api/streams "@$tmp/huge.json" "$tok"
check "a 2 MB body: 413 ($code)" [ "$code" = 413 ]

# An escaped NUL would end the C string the value becomes: "abc\u0000xyz"
# stored as "abc", a key nobody chose.  Two values for one key: which one
# counts must not be a guess.  Both are refused before anything is stored.
req POST /api/streams '{"name":"nulcam","stream_key":"abc\u0000xyz"}' "$tok"
is "a key with an escaped NUL: 400 with a JSON error" 400 \
    'd["success"] is False and "NUL" in d["error"]'
req POST /api/streams '{"name":"nul\u0000cam"}' "$tok"
is "a name with an escaped NUL: 400" 400 '"NUL" in d["error"]'
req POST /api/streams '{"name":"dupcam","name":"other-cam"}' "$tok"
is "a body naming a key twice: 400" 400 '"twice" in d["error"]'
req POST /api/streams '{"name":"dupkey","stream_key":"key-one","stream_key":"key-two"}' "$tok"
is "a body giving stream_key twice: 400" 400 '"twice" in d["error"]'
req GET /api/streams "" "$tok"
is "... and none of them was stored" 200 \
    'not any(s["name"] in ("nulcam", "nul", "dupcam", "other-cam", "dupkey") or s["stream_key"] in ("abc", "key-one", "key-two") for s in d["data"])'
req GET /api/config "" "$tok"
before=$(js '{c["key"]: c["value"] for c in d["data"]}["domain"]')
req PUT /api/config '{"domain":"tv.example.org\u0000.evil.example"}' "$tok"
is "PUT /api/config with an escaped NUL: 400" 400 '"NUL" in d["error"]'
req PUT /api/config '{"domain":"one.example.org","domain":"two.example.org"}' "$tok"
is "PUT /api/config naming a key twice: 400" 400 '"twice" in d["error"]'
req GET /api/config "" "$tok"
is "... and the setting is unchanged" 200 \
    '{c["key"]: c["value"] for c in d["data"]}["domain"] == "'"$before"'"'

# -- config, network, stats -----------------------------------------------------
req GET /api/config "" "$tok"
is "GET /api/config" 200 \
    'any(c["key"] == "max_concurrent_streams" for c in d["data"])'
req PUT /api/config '{"max_concurrent_streams":5,"public_ip":"203.0.113.7"}' "$tok"
is "PUT /api/config" 200 \
    '{c["key"]: c["value"] for c in d["data"]}["max_concurrent_streams"] == "5"'
req PUT /api/config '{"max_concurrent_streams":4,"rtmp_port":70000}' "$tok"
is "PUT /api/config with a bad port: 400, nothing changed" 400 \
    'd["details"][0]["param"] == "rtmp_port"'
req GET /api/config "" "$tok"
is "... max_concurrent_streams still 5" 200 \
    '{c["key"]: c["value"] for c in d["data"]}["max_concurrent_streams"] == "5"'
req PUT /api/config '{"no_such_key":"1"}' "$tok"
is "PUT /api/config with an unknown key: 404" 404 'd["success"] is False'

req GET /api/network/server-ip "" "$tok"
is "GET /api/network/server-ip" 200 \
    'd["data"]["public_ip"] == "203.0.113.7" and "lan_ip" in d["data"]'
req PUT /api/network/config '{"domain":"tv.example.org","http_port":8081,"bogus":1}' "$tok"
is "PUT /api/network/config" 200 \
    'd["data"]["domain"] == "tv.example.org" and d["data"]["http_port"] == 8081'
req GET /api/network/config "" "$tok"
is "GET /api/network/config" 200 \
    'sorted(d["data"]) == sorted(["public_ip","domain","rtmp_port","srt_port","http_port","api_port","rtc_port"])'
req PUT /api/network/config '{"srt_port":"x"}' "$tok"
is "PUT /api/network/config with a bad port: 400" 400 \
    'd["details"][0]["param"] == "srt_port"'
req PUT /api/network/config '{"domain":"","http_port":8080}' "$tok"
req GET /api/config/stats "" "$tok"
is "GET /api/config/stats" 200 \
    'd["data"]["total_streams"] == 1 and "active_streams" in d["data"] and "sessions_today" in d["data"]'
req GET /api/config/health "" "$tok"
is "GET /api/config/health with ingestd and flvd down" 200 \
    'd["data"]["daemons"]["ingestd"] == "down" and d["data"]["memory"]["total"] > 0 and len(d["data"]["load"]) == 3'

# -- media: a stream made here publishes with ffmpeg --------------------------
check "ingestd starts" start ingestd
check "flvd starts" start flvd
publish "$key"
if wait_live cam1; then ok "the API's stream publishes over RTMP and plays"
else not_ok "the API's stream publishes over RTMP and plays"; diag "$(tail -5 "$tmp/pub-$key.log")"; fi
pub=$(eval echo "\$pub_$key")
sleep 2
req GET /api/config/health "" "$tok"
is "health shows the live stream with its bitrate" 200 \
    'd["data"]["daemons"]["ingestd"] == "up" and d["data"]["daemons"]["flvd"] == "up" and d["data"]["active_streams"] == 1 and d["data"]["streams"][0]["name"] == "cam1" and d["data"]["streams"][0]["kbps"] > 0 and d["data"]["viewers"] == 0'
req GET "/api/sessions?active=true" "" "$tok"
is "GET /api/sessions?active=true lists the publisher" 200 \
    'len(d["data"]) == 1 and d["data"][0]["stream_name"] == "cam1"'
sess=$(js 'd["data"][0]["id"]')
req GET "/api/sessions/$sess" "" "$tok"
is "GET /api/sessions/:id" 200 'd["data"]["ended_at"] is None'
req GET "/api/sessions?limit=0" "" "$tok"
is "?limit=0: 400" 400 'd["details"][0]["param"] == "limit"'
req GET "/api/streams/$sid" "" "$tok"
is "the stream shows its active session" 200 \
    'len(d["data"]["active_sessions"]) == 1'
req GET /api/config/stats "" "$tok"
is "stats count today's session" 200 'd["data"]["sessions_today"] >= 1'
req POST "/api/streams/$sid/toggle" "" "$tok"
is "toggle disables" 200 'd["data"]["is_active"] is False'
check "the live publisher is dropped" wait_gone "$pub" 100
timeout 15 ffmpeg -hide_banner -nostdin -loglevel error -re -f lavfi \
    -i testsrc2=size=160x120:rate=10 -c:v libx264 -t 3 -f flv \
    "rtmp://127.0.0.1:$RTMP_PORT/live/$key" > "$tmp/refused.log" 2>&1
rc=$?
check "a new publish is refused (ffmpeg exits $rc)" gave_up "$rc"
req POST "/api/streams/$sid/toggle" "" "$tok"
is "toggle enables again" 200 'd["data"]["is_active"] is True'
publish "$key"
check "publishing works again" wait_live cam1
pub=$(eval echo "\$pub_$key")
req GET "/api/sessions?active=true" "" "$tok"
sess=$(js 'd["data"][0]["id"]')
req DELETE "/api/sessions/$sess" "" "$tok"
is "DELETE /api/sessions/:id kicks the publisher" 200 'd["data"]["ended_at"]'
check "the kicked publisher is dropped" wait_gone "$pub" 100
req DELETE "/api/sessions/$sess" "" "$tok"
is "kicking an ended session: 400" 400
req GET /api/sessions/99999 "" "$tok"
is "unknown session: 404" 404

# -- SRS hooks ----------------------------------------------------------------------
hook() {
	req POST "/api/hooks/$1" "{\"action\":\"$1\",\"client_id\":\"$2\",\"ip\":\"192.0.2.1\",\"vhost\":\"__defaultVhost__\",\"app\":\"live\",\"stream\":\"$3\",\"param\":\"\"}"
}
hook on_publish srs1 "$key"
is "hooks off: 404" 404
sed -i 's/^hooks = off$/hooks = loopback/' "$conf"
kill -HUP "$pid_authd"
sleep 0.5
hook on_publish srs1 "$key"
is "hooks on: on_publish with the key answers code 0" 200 'd["code"] == 0'
req GET "/api/sessions?active=true" "" "$tok"
is "... and opens a session" 200 \
    'len(d["data"]) == 1 and d["data"][0]["client_id"] == "srs1"'
hook on_publish srs2 "not-a-key"
is "on_publish with a bad key answers a nonzero code" 200 'd["code"] != 0'
hook on_unpublish srs1 "$key"
is "on_unpublish answers code 0" 200 'd["code"] == 0'
req GET "/api/sessions?active=true" "" "$tok"
is "... and ends the session" 200 'd["data"] == []'

# -- static files --------------------------------------------------------------------
req GET /
is "GET / serves the dashboard's index.html" 200
check "... as text/html" sh -c "tr -d '\r' < '$tmp/hdr' | grep -qi '^content-type: text/html'"
check "... with the security headers" [ "$(hdr X-Frame-Options)" = DENY ]
req GET /streams/12
check "an app route gets index.html ($code)" sh -c "[ $code = 200 ] && grep -q dash '$tmp/out'"
req GET /js/app.js
check "a .js file, text/javascript ($code)" sh -c "[ $code = 200 ] && tr -d '\r' < '$tmp/hdr' | grep -qi '^content-type: text/javascript'"
req GET /app.css
check "a .css file, text/css" sh -c "[ $code = 200 ] && tr -d '\r' < '$tmp/hdr' | grep -qi '^content-type: text/css'"
req GET /vendor/lib.js
check "/vendor/ from www_dir/vendor ($code)" sh -c "[ $code = 200 ] && grep -q vendor '$tmp/out'"
req GET /missing.js
is "a missing file: 404" 404
for p in /../outside.txt /%2e%2e/outside.txt /vendor/..%2foutside.txt \
    /vendor/%2e%2e/%2e%2e/outside.txt /js/..%2f..%2f..%2foutside.txt; do
	req GET "$p" "" "" --path-as-is
	check "no traversal: $p ($code)" sh -c "[ $code = 404 ] && ! grep -q secret '$tmp/out'"
done
ln -s "$tmp/outside.txt" "$tmp/www/dashboard/link.txt"
req GET /link.txt
check "a symlink out of the tree: 404 ($code)" [ "$code" = 404 ]

# -- logout, rate limit -----------------------------------------------------------------
req POST /api/auth/logout "" "$tok"
is "logout" 200 'd["success"] is True'
req GET /api/streams "" "$tok"
is "the logged-out token fails at once" 401
codes=""
i=0
while [ $i -lt 5 ]; do
	req POST /api/auth/login '{"username":"admin","password":"bad-guess-1"}' "" \
	    --interface 127.0.0.2
	codes="$codes $code"
	i=$((i + 1))
done
check "five bad logins from 127.0.0.2: 401 each ($codes)" \
    [ "$codes" = " 401 401 401 401 401" ]
req POST /api/auth/login '{"username":"admin","password":"second-pass-456"}' "" \
    --interface 127.0.0.2
is "the sixth, even with the right password: 429" 429
ra=$(hdr Retry-After)
check "with Retry-After ($ra s)" sh -c "[ '$ra' -gt 800 ] && [ '$ra' -le 900 ]"
req POST /api/auth/login '{"username":"admin","password":"second-pass-456"}'
is "127.0.0.1 still logs in" 200 'd["token"]'

check "authd stops cleanly" stop authd
if grep -q 'second-pass-456\|first-pass-123' "$tmp/authd.log"; then
	not_ok "no password in the log"
else ok "no password in the log"; fi
if grep -q "$tok" "$tmp/authd.log"; then not_ok "no token in the log"
else ok "no token in the log"; fi
done_testing
