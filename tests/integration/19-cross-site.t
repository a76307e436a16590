#!/bin/sh
# Another site's page must not be able to use the REST API through a
# logged-in browser: a write whose body is not JSON (what a form or a
# text/plain fetch sends without a preflight) is refused with 415 before it
# is read, and no origin may read an answer unless cors_origin names it.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
CONF
api=http://127.0.0.1:$API_PORT
DEFAULT_ADMIN_PASSWORD=cross-site-1
export DEFAULT_ADMIN_PASSWORD
check "authd starts" start authd
unset DEFAULT_ADMIN_PASSWORD

# post PATH CONTENT_TYPE BODY [curl options...]: the status in $code, the
# body in $tmp/out, the headers in $tmp/hdr.  An empty CONTENT_TYPE sends
# the body with no Content-Type at all.
post() {
	_p=$1 _ct=$2 _b=$3
	shift 3
	code=$(curl -s --max-time 10 -o "$tmp/out" -D "$tmp/hdr" \
	    -w '%{http_code}' -H "Content-Type: $_ct" --data-binary "$_b" \
	    "$@" "$api$_p")
}
hdr() {
	tr -d '\r' < "$tmp/hdr" | grep -i "^$1:" | head -1 | sed 's/^[^:]*: *//'
}
# no_token: the last answer is a JSON error and carries no token
no_token() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["success"] is False and d["error"], d
assert "token" not in json.dumps(d), d' "$tmp/out"
}
login='{"username":"admin","password":"cross-site-1"}'

# -- a login another site's page can send without asking first -------------
post /api/auth/login text/plain "$login" -H 'Origin: https://evil.example'
check "a text/plain login with the right password: 415 ($code)" [ "$code" = 415 ]
check "... a JSON error and no token" no_token
check "... with no Access-Control-Allow-Origin" \
    [ -z "$(hdr Access-Control-Allow-Origin)" ]
post /api/auth/login application/x-www-form-urlencoded "$login"
check "a form-encoded login: 415 ($code)" sh -c "[ $code = 415 ] && grep -q application/json '$tmp/out'"
code=$(curl -s --max-time 10 -o "$tmp/out" -w '%{http_code}' \
    -F "username=admin" -F "password=cross-site-1" "$api/api/auth/login")
check "a multipart login: 415 ($code)" [ "$code" = 415 ]
post /api/auth/login "" "$login"
check "a body with no Content-Type: 415 ($code)" [ "$code" = 415 ]
post /api/auth/login 'text/plain; charset=application/json' "$login"
check "text/plain with a parameter that says json: 415 ($code)" [ "$code" = 415 ]
post /api/auth/login application/jsonp "$login"
check "application/jsonp: 415 ($code)" [ "$code" = 415 ]

# -- what the dashboard and curl send still works ---------------------------
post /api/auth/login 'application/json; charset=utf-8' "$login"
check "application/json; charset=utf-8 logs in ($code)" [ "$code" = 200 ]
t0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$tmp/out")
code=$(curl -s --max-time 10 -o "$tmp/out" -w '%{http_code}' -X PUT \
    -H "Authorization: Bearer $t0" -H 'Content-Type: Application/JSON' \
    --data-binary '{"current_password":"cross-site-1","new_password":"cross-site-2"}' \
    "$api/api/auth/change-password")
check "the media type is case-insensitive: Application/JSON ($code)" [ "$code" = 200 ]
tok=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$tmp/out")
auth="Authorization: Bearer $tok"
post /api/streams text/plain '{"name":"cam1"}' -H "$auth"
check "a text/plain write with a good token: 415 too ($code)" [ "$code" = 415 ]
post /api/streams application/json '{"name":"cam1"}' -H "$auth"
check "the same as JSON creates the stream ($code)" [ "$code" = 201 ]
sid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["id"])' "$tmp/out")
code=$(curl -s --max-time 10 -o "$tmp/out" -w '%{http_code}' -X POST \
    -H "$auth" "$api/api/streams/$sid/toggle")
check "a POST with no body needs no Content-Type ($code)" [ "$code" = 200 ]
code=$(curl -s --max-time 10 -o "$tmp/out" -w '%{http_code}' -X POST \
    -H "$auth" -H 'Content-Type: text/plain' "$api/api/streams/$sid/toggle")
check "... but one that names a type other than JSON: 415 ($code)" [ "$code" = 415 ]

# -- no origin reads an answer unless cors_origin names it ------------------
code=$(curl -s --max-time 10 -o /dev/null -D "$tmp/hdr" -w '%{http_code}' \
    -H 'Origin: https://evil.example' -H "$auth" "$api/api/streams")
check "a GET from another origin is answered ($code)" [ "$code" = 200 ]
check "... without Access-Control-Allow-Origin (cors_origin empty)" \
    [ -z "$(hdr Access-Control-Allow-Origin)" ]
# preflight ORIGIN: an OPTIONS as a browser sends it before a JSON POST
preflight() {
	code=$(curl -s --max-time 10 -o /dev/null -D "$tmp/hdr" \
	    -w '%{http_code}' -X OPTIONS -H "Origin: $1" \
	    -H 'Access-Control-Request-Method: POST' \
	    -H 'Access-Control-Request-Headers: content-type' \
	    "$api/api/auth/login")
}
preflight https://evil.example
check "a preflight from an origin nobody named: no allow headers ($code)" \
    sh -c "[ -z '$(hdr Access-Control-Allow-Origin)' ] && [ -z '$(hdr Access-Control-Allow-Methods)' ] && [ -z '$(hdr Access-Control-Allow-Headers)' ]"

cat >> "$conf" <<CONF
cors_origin = https://tv.example.org, https://ops.example.org:8443
CONF
kill -HUP "$pid_authd"
sleep 0.5
preflight https://tv.example.org
check "a preflight from a named origin ($code): allowed" \
    [ "$(hdr Access-Control-Allow-Origin)" = https://tv.example.org ]
case $(hdr Access-Control-Allow-Headers) in
*Authorization*Content-Type*) ok "... with Authorization and Content-Type" ;;
*) not_ok "... with Authorization and Content-Type"; diag "$(cat "$tmp/hdr")" ;;
esac
check "... and Vary: Origin" [ "$(hdr Vary)" = Origin ]
preflight https://ops.example.org:8443
check "the second named origin too" \
    [ "$(hdr Access-Control-Allow-Origin)" = https://ops.example.org:8443 ]
preflight https://ops.example.org
check "the same host on another port is another origin" \
    [ -z "$(hdr Access-Control-Allow-Origin)" ]
preflight https://evil.example
check "an unnamed origin still gets nothing" \
    sh -c "[ -z '$(hdr Access-Control-Allow-Origin)' ] && [ -z '$(hdr Access-Control-Allow-Methods)' ]"
check "... but Vary: Origin, for caches" [ "$(hdr Vary)" = Origin ]
code=$(curl -s --max-time 10 -o /dev/null -D "$tmp/hdr" -w '%{http_code}' \
    -H 'Origin: https://tv.example.org' -H "$auth" "$api/api/streams")
check "a GET from the named origin may be read ($code)" \
    [ "$(hdr Access-Control-Allow-Origin)" = https://tv.example.org ]
post /api/auth/login text/plain '{"username":"admin","password":"cross-site-2"}' \
    -H 'Origin: https://tv.example.org'
check "a named origin still cannot log in with text/plain ($code)" \
    sh -c "[ $code = 415 ] && ! grep -q token '$tmp/out'"

check "authd stops cleanly" stop authd
done_testing
