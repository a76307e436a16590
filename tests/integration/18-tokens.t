#!/bin/sh
# A password change ends every API token issued before it, exactly: also
# one issued in the same second (a whole-second "issued before" test let
# it live on), also one whose clock says later, also when the password is
# set with nyonctl.  Tokens issued after the change work, across restarts.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
CONF
api=http://127.0.0.1:$API_PORT
DEFAULT_ADMIN_PASSWORD=tokens-pass-0
export DEFAULT_ADMIN_PASSWORD
check "authd starts" start authd
unset DEFAULT_ADMIN_PASSWORD

# call METHOD PATH TOKEN [BODY]: status in $code, body in $tmp/out
call() {
	if [ -n "${4:-}" ]; then
		code=$(curl -s --max-time 10 -o "$tmp/out" -w '%{http_code}' \
		    -X "$1" -H "Authorization: Bearer $3" \
		    -H 'Content-Type: application/json' --data-binary "$4" \
		    "$api$2")
	else
		code=$(curl -s --max-time 10 -o "$tmp/out" -w '%{http_code}' \
		    -X "$1" -H "Authorization: Bearer $3" "$api$2")
	fi
}
# login PASSWORD: prints a token (empty if refused)
login() {
	curl -s --max-time 10 -H 'Content-Type: application/json' \
	    --data-binary "{\"username\":\"admin\",\"password\":\"$1\"}" \
	    "$api/api/auth/login" | python3 -c '
import json, sys
print(json.load(sys.stdin).get("token", ""))' 2>/dev/null
}
# field TOKEN NAME: a claim of the token's payload
field() {
	python3 -c '
import base64, json, sys
p = sys.argv[1].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))).get(sys.argv[2], 0))' "$1" "$2"
}
# works TOKEN: GET /api/auth/me with it answers 200
works() {
	call GET /api/auth/me "$1"
	[ "$code" = 200 ]
}
refused() {
	call GET /api/auth/me "$1"
	[ "$code" = 401 ] && grep -q revoked "$tmp/out"
}
# change TOKEN OLD NEW: PUT /api/auth/change-password; the new token in $new
change() {
	call PUT /api/auth/change-password "$1" \
	    "{\"current_password\":\"$2\",\"new_password\":\"$3\"}"
	new=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("token", ""))' "$tmp/out" 2>/dev/null)
}

t0=$(login tokens-pass-0)
change "$t0" tokens-pass-0 tokens-pass-1
tok=$new
check "the first password change gives a token that works" works "$tok"
check "the token used for the change is refused" refused "$t0"

# A second session (another browser) logs in, and the password changes in
# the same second: the whole-second test kept that token alive.
pw=1
same=0
i=0
while [ $i -lt 20 ]; do
	other=$(login "tokens-pass-$pw")
	change "$tok" "tokens-pass-$pw" "tokens-pass-$((pw + 1))"
	pw=$((pw + 1))
	tok=$new
	if [ -n "$other" ] && [ -n "$tok" ] &&
	    [ "$(field "$other" iat)" = "$(field "$tok" iat)" ]; then
		same=1
		break
	fi
	i=$((i + 1))
done
check "a login and a password change fell in the same second (try $i)" [ "$same" = 1 ]
check "the token issued in the second of the change is refused" refused "$other"
check "the token the change gave works" works "$tok"
late=$(login "tokens-pass-$pw")
check "a login after the change works" works "$late"

# A token of the old generation whose clock says it came after the change:
# what decides is the generation, not the time.
forged=$(python3 - "$tmp/state/jwt.secret" "$tok" <<'PY'
import base64, hashlib, hmac, json, sys, time
key = open(sys.argv[1]).read().strip().encode()
b = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
p = sys.argv[2].split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
claims["gen"] = claims.get("gen", 0) - 1
claims["iat"] = int(time.time()) + 30
h = b({"alg": "HS256", "typ": "JWT"}) + "." + b(claims)
s = hmac.new(key, h.encode(), hashlib.sha256).digest()
print(h + "." + base64.urlsafe_b64encode(s).rstrip(b"=").decode())
PY
)
check "an older generation's token is refused even when its iat is later" refused "$forged"

# nyonctl user passwd, from the box: the same rule
before=$(login "tokens-pass-$pw")
check "a token from before nyonctl user passwd works" works "$before"
echo "tokens-pass-ctl" | nyonctl user passwd admin > /dev/null
check "nyonctl user passwd ends it" refused "$before"
check "... and the others" refused "$late"
after=$(login tokens-pass-ctl)
check "a login with the new password works" works "$after"

# The generation lives in the database: a restart changes nothing.
check "authd stops" stop authd
check "authd starts again" start authd
check "after a restart the new token still works" works "$after"
check "and the old one is still refused" refused "$before"

check "authd stops cleanly" stop authd
done_testing
