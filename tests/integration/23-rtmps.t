#!/bin/sh
# RTMPS ingest (issue 18): ffmpeg publishes rtmps:// and viewers watch over
# HTTP-FLV; authorisation as over RTMP; a plain rtmp:// client or a TLS
# handshake of garbage on the TLS port is refused at once, a silent one
# within auth_timeout, and handshakes take pending slots like any
# connection; the certificate is read again on SIGHUP, a broken one kept
# out; a private key others can read is refused.
. "$(dirname "$0")/lib.sh"

RTMPS_PORT=$(free_port)
# mkcert NAME CN: a self-signed certificate and its key, mode 600
mkcert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
	    -keyout "$tmp/$1.key" -out "$tmp/$1.pem" > /dev/null 2>&1
	chmod 600 "$tmp/$1.key"
}
mkcert tls nyon-test-one
write_conf <<CONF
republish_grace = 0
auth_timeout = 3
max_pending_per_ip = 3
rtmps_listen = 127.0.0.1:$RTMPS_PORT
rtmps_cert = $tmp/tls.pem
rtmps_key = $tmp/tls.key
CONF

# --- a key anyone can read is no key -------------------------------------
chmod 644 "$tmp/tls.key"
out=$(NYON_ALLOW_ROOT=1 timeout 10 "$bin/ingestd/ingestd" -d -f "$conf" 2>&1)
rc=$?
check "ingestd refuses a world-readable rtmps_key (exit $rc)" [ "$rc" -eq 1 ]
case $out in
*"rtmps_key $tmp/tls.key is readable by anyone"*) ok "and says which file and why" ;;
*) not_ok "and says which file and why"; diag "$out" ;;
esac
chmod 600 "$tmp/tls.key"

check "authd starts" start authd
check "ingestd starts" start ingestd
check "flvd starts" start flvd
check "ingestd listens for RTMPS" grep -q "rtmps_listen: listening on 127.0.0.1:$RTMPS_PORT" "$tmp/ingestd.log"
check "and loaded the certificate" grep -q "rtmps: certificate $tmp/tls.pem (/CN=nyon-test-one" "$tmp/ingestd.log"
nyonctl stream add secure --key secure-key-1 > /dev/null

# --- ffmpeg publishes over TLS ------------------------------------------
rtmps_url() {
	echo "rtmps://127.0.0.1:$RTMPS_PORT/live/$1"
}
publish secure 320x240 60 "$(rtmps_url secure-key-1)"
# (lib.sh's publish has no TLS options: ffmpeg checks no certificate
# unless asked to, -tls_verify 1)
check "an rtmps:// publisher goes live" wait_live secure
p=$(timeout 20 ffprobe -v error -show_entries stream=codec_name,width -of csv=p=0 \
    "$(flv_url secure)" | sort | tr '\n' ' ')
check "it plays over HTTP-FLV: H.264 320 wide and AAC ($p)" [ "$p" = "aac h264,320 " ]
proto=$(nyonctl --json status | pyjson '[s["proto"] for s in d["ingestd"]["streams"] if s["name"] == "secure"][0]')
check "status says it came over rtmps ($proto)" [ "$proto" = rtmps ]
sid=$(nyonctl --json session list --active | pyjson '[s["protocol"] for s in d if s["stream_name"] == "secure"][0]')
check "its session is an RTMP session like any ($sid)" [ "$sid" = rtmp ]

# the same keys as RTMP: a wrong one is refused
timeout 15 ffmpeg -hide_banner -nostdin -loglevel error -re -f lavfi \
    -i testsrc2=size=160x120:rate=25 -c:v libx264 -preset ultrafast -t 4 \
    -f flv "$(rtmps_url wrong-key-1)" > "$tmp/wrong.log" 2>&1
rc=$?
check "a wrong key over RTMPS is refused (ffmpeg exit $rc)" gave_up "$rc"
check "ingestd logged it" grep -q "rtmps 127.0.0.1:[0-9]*: publish refused: unknown key" "$tmp/ingestd.log"

# --- plain RTMP, garbage, silence ------------------------------------------
t0=$(date +%s%N)
timeout 15 ffmpeg -hide_banner -nostdin -loglevel error -re -f lavfi \
    -i testsrc2=size=160x120:rate=25 -c:v libx264 -preset ultrafast -t 4 \
    -f flv "rtmp://127.0.0.1:$RTMPS_PORT/live/secure-key-1" > "$tmp/plain.log" 2>&1
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "a plain rtmp:// client on the TLS port is refused (ffmpeg exit $rc)" gave_up "$rc"
check "within a second ($ms ms)" [ "$ms" -lt 1000 ]
check "ingestd says what it was" grep -q "rtmps 127.0.0.1:[0-9]*: TLS handshake failed: .*wrong version number (not TLS: a plain rtmp:// client?); closing" "$tmp/ingestd.log"

# garbage: a TLS record header, then nonsense; the answer is an alert or
# the end, within a second
out=$(timeout 10 perl -MIO::Socket::INET -MTime::HiRes=time -e '
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]") or die "$!\n";
	my $t = time;
	print $s "\x16\x03\x01\x00\x40" . ("\xa5" x 64);
	my ($buf, $all) = ("", "");
	while (sysread($s, $buf, 4096)) { $all .= $buf; }
	printf "%d %d\n", length($all), (time - $t) * 1000;' "$RTMPS_PORT")
check "a TLS handshake of garbage is closed within a second (bytes, ms: $out)" \
    sh -c "[ -n '$out' ] && [ ${out#* } -lt 1000 ]"
check "ingestd logged the failed handshake" grep -q "TLS handshake failed: .*unexpected message; closing" "$tmp/ingestd.log"

# stalled handshakes: the first byte of a TLS record and no more (a socket
# that sends nothing at all stays in the kernel: TCP_DEFER_ACCEPT); while
# they wait they hold pending slots (max_pending_per_ip 3): the fourth
# connection from that address is refused at once
perl -MIO::Socket::INET -e '
	my @s;
	for (1 .. 3) {
		my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]",
		    LocalAddr => "127.0.0.3") or die "$!\n";
		$c->autoflush(1);
		print $c "\x16";
		push @s, $c;
	}
	sleep 6;' "$RTMPS_PORT" &
silent=$!
pids="$pids $silent"
sleep 0.5
out=$(timeout 10 perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]",
	    LocalAddr => "127.0.0.3") or die "$!\n";
	print $s "\x16\x03\x01\x00\x05hello";
	my $n = sysread($s, my $buf, 100);
	print defined($n) ? $n : "error", "\n";' "$RTMPS_PORT")
# closed with our bytes unread: an end of file, or a reset
check "a fourth TLS connection from one address is closed at once ($out)" \
    sh -c "[ '$out' = 0 ] || [ '$out' = error ]"
check "ingestd says it is over max_pending_per_ip" \
    grep -q "rtmps 127.0.0.3:[0-9]*: refused: connections not yet authorised from 127.0.0.3: 3 (max_pending_per_ip)" "$tmp/ingestd.log"
i=0
while [ $i -lt 60 ] && [ "$(grep -c 'rtmps 127.0.0.3:[0-9]*: not publishing within 3s (auth_timeout, still in the TLS handshake)' "$tmp/ingestd.log")" -lt 3 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the silent ones are closed after auth_timeout, in their handshake" \
    [ "$(grep -c 'rtmps 127.0.0.3:[0-9]*: not publishing within 3s (auth_timeout, still in the TLS handshake)' "$tmp/ingestd.log")" -eq 3 ]
kill "$silent" 2>/dev/null
check "the rtmps publisher still plays" wait_live secure

# --- SIGHUP reads the certificate again -----------------------------------
subject() {
	timeout 10 openssl s_client -connect "127.0.0.1:$RTMPS_PORT" \
	    < /dev/null 2>/dev/null | openssl x509 -noout -subject 2>/dev/null
}
s=$(subject)
check "a client sees the first certificate ($s)" sh -c "echo '$s' | grep -q nyon-test-one"
mkcert new nyon-test-two
cp "$tmp/new.pem" "$tmp/tls.pem"
cp "$tmp/new.key" "$tmp/tls.key"
kill -HUP "$pid_ingestd"
sleep 1
s=$(subject)
check "after SIGHUP, the renewed one ($s)" sh -c "echo '$s' | grep -q nyon-test-two"
check "ingestd logged it" grep -q "rtmps: certificate $tmp/tls.pem (/CN=nyon-test-two" "$tmp/ingestd.log"
check "the publisher carried on through the reload" wait_live secure
echo "not a certificate" > "$tmp/tls.pem"
kill -HUP "$pid_ingestd"
sleep 1
check "a broken certificate is refused on SIGHUP, with a log line" \
    grep -q "reload: rtmps_cert $tmp/tls.pem: .*; RTMPS keeps the certificate in use" "$tmp/ingestd.log"
s=$(subject)
check "and the one in use stays ($s)" sh -c "echo '$s' | grep -q nyon-test-two"
check "ingestd still answers" nyonctl ping ingestd

check "ingestd stops cleanly" stop ingestd
check "flvd stops cleanly" stop flvd
check "authd stops cleanly" stop authd
done_testing
