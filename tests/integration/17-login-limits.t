#!/bin/sh
# The login limit cannot be flushed: an address locked after five failures
# stays locked while a thousand other addresses fail (the old table evicted
# the oldest entry, locked or not, once 1024 were full); an account is
# limited too, however many addresses the guesses come from; and the
# operator's way back in is nyonctl user passwd on the box.
. "$(dirname "$0")/lib.sh"

write_conf <<CONF
CONF
DEFAULT_ADMIN_PASSWORD=limits-pass-1
export DEFAULT_ADMIN_PASSWORD
check "authd starts" start authd
unset DEFAULT_ADMIN_PASSWORD
api=http://127.0.0.1:$API_PORT

# login USER PASSWORD [FROM]: status in $code, body in $tmp/out, headers in
# $tmp/hdr; FROM is the loopback address to send from
login() {
	code=$(curl -s --max-time 10 -o "$tmp/out" -D "$tmp/hdr" \
	    -w '%{http_code}' --interface "${3:-127.0.0.1}" \
	    -H 'Content-Type: application/json' \
	    --data-binary "{\"username\":\"$1\",\"password\":\"$2\"}" \
	    "$api/api/auth/login")
}
token() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("token", ""))' "$tmp/out"
}
hdr() {
	tr -d '\r' < "$tmp/hdr" | grep -i "^$1:" | head -1 | sed 's/^[^:]*: *//'
}

login admin limits-pass-1
t0=$(token)
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X PUT \
    -H "Authorization: Bearer $t0" -H 'Content-Type: application/json' \
    --data-binary '{"current_password":"limits-pass-1","new_password":"limits-pass-2"}' \
    "$api/api/auth/change-password")
check "the first password change ($code)" [ "$code" = 200 ]

# -- one address -----------------------------------------------------------------
i=0
while [ $i -lt 5 ]; do
	login nobody wrong-guess-$i 127.0.0.2
	i=$((i + 1))
done
check "five failures from 127.0.0.2: 401 each" [ "$code" = 401 ]
login admin limits-pass-2 127.0.0.2
check "then the right password from it: 429 ($code)" [ "$code" = 429 ]
ra=$(hdr Retry-After)
check "with Retry-After ($ra s)" sh -c "[ '$ra' -gt 800 ] && [ '$ra' -le 900 ]"

# -- a thousand other addresses fail once each -----------------------------------
started=$(date +%s)
flood=$(timeout 300 python3 - "$API_PORT" 1030 <<'PY'
import http.client, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
body = json.dumps({"username": "nobody", "password": "flood-guess"})
codes = {}
for i in range(n):
    src = "127.1.%d.%d" % (i // 250, i % 250 + 1)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                   source_address=(src, 0))
    c.request("POST", "/api/auth/login", body,
              {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    c.close()
    codes[r.status] = codes.get(r.status, 0) + 1
print(json.dumps(codes, sort_keys=True))
PY
)
diag "flood of 1030 addresses: $flood in $(( $(date +%s) - started )) s"
check "1030 failures from 1030 other addresses: 401 each" [ "$flood" = '{"401": 1030}' ]
login admin limits-pass-2 127.0.0.2
check "127.0.0.2 is still locked after the flood ($code)" [ "$code" = 429 ]
login admin limits-pass-2 127.1.0.7
check "an address of the flood (one failure) still logs in ($code)" [ "$code" = 200 ]

# -- one account, guessed at from many addresses ----------------------------------
for a in 10 11 12 13; do
	i=0
	while [ $i -lt 5 ]; do
		login admin "wrong-guess-$a-$i" "127.0.0.$a"
		i=$((i + 1))
	done
done
check "20 wrong passwords for admin from four addresses: 401 each" [ "$code" = 401 ]
login admin limits-pass-2 127.0.0.1
check "admin is then refused even from a clean address with the right password ($code)" \
    sh -c "[ $code = 429 ] && grep -q account '$tmp/out'"
check "... and no token" [ -z "$(token)" ]
check "authd logged the account lock" grep -q "failed logins for account admin" "$tmp/authd.log"

# -- the way back in ----------------------------------------------------------------
echo limits-pass-3 | nyonctl user passwd admin > /dev/null
rc=$?
check "nyonctl user passwd on the box ($rc)" [ "$rc" -eq 0 ]
login admin limits-pass-3 127.0.0.1
check "lifts the account's lock: the new password logs in ($code)" [ "$code" = 200 ]

check "authd stops cleanly" stop authd
done_testing
