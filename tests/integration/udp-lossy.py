#!/usr/bin/env python3
"""A lossy UDP path between one WebRTC client and rtcd, for NACK tests.

    udp-lossy.py --listen PORT --to PORT [--every 20] [--seconds 120] [--stats FILE]

Listens on 127.0.0.1:PORT for the client (a browser sent there by its
WHEP answer's candidate) and relays each datagram both ways through its own
socket to 127.0.0.1:--to, so rtcd sees one peer.  Towards the client it
drops every Nth RTP packet (1 in 20: 5 %, the same ones every run);
STUN, DTLS and RTCP pass, so the session is set up and the browser's
NACKs reach rtcd.  --every 0 drops nothing.  --stats gets {"rtp",
"dropped", "up", "down", "ssrcs", "ext"} as JSON when it ends (SIGTERM or
--seconds): what it saw of the RTP headers, which SRTP leaves in the
clear: "ssrcs" maps each SSRC to {"packets", "pts": {PT: packets}}, "ext"
each RFC 8285 one-byte header element seen, "ID:hex of its data", to the
number of packets that carried it (with "none" for packets with no
extension and "other" for other profiles).
"""
import argparse
import json
import select
import signal
import socket
import sys
import time


def is_rtp(b):
    # RFC 7983: 128..191 is RTP or RTCP; RTCP's packet types are 192..223
    # in the second byte (with the marker bit it reads the same)
    return len(b) >= 12 and 128 <= b[0] <= 191 and not 192 <= b[1] <= 223


def header(st, b):
    """Counts b's SSRC, payload type and header extension elements."""
    pt = b[1] & 0x7F
    ssrc = str(int.from_bytes(b[8:12], "big"))
    e = st["ssrcs"].setdefault(ssrc, {"packets": 0, "pts": {}})
    e["packets"] += 1
    e["pts"][str(pt)] = e["pts"].get(str(pt), 0) + 1
    off = 12 + 4 * (b[0] & 0x0F)
    keys = []
    if not b[0] & 0x10:
        keys.append("none")
    elif len(b) < off + 4 or b[off:off + 2] != b"\xbe\xde":
        keys.append("other")
    else:
        end = min(len(b), off + 4 + 4 * int.from_bytes(b[off + 2:off + 4], "big"))
        i = off + 4
        while i < end:
            if b[i] == 0:  # padding
                i += 1
                continue
            eid, n = b[i] >> 4, (b[i] & 0x0F) + 1
            if eid == 15:
                break
            keys.append("%d:%s" % (eid, b[i + 1:i + 1 + n].hex()))
            i += 1 + n
    for k in keys:
        st["ext"][k] = st["ext"].get(k, 0) + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--to", type=int, required=True)
    ap.add_argument("--every", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--stats")
    a = ap.parse_args()
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", a.listen))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(("127.0.0.1", 0))
    server = ("127.0.0.1", a.to)
    client = None
    st = {"rtp": 0, "dropped": 0, "up": 0, "down": 0, "ssrcs": {}, "ext": {}}
    done = []
    signal.signal(signal.SIGTERM, lambda *x: done.append(1))
    end = time.time() + a.seconds
    while not done and time.time() < end:
        try:
            r, _, _ = select.select([front, back], [], [], 0.2)
        except InterruptedError:
            continue
        for s in r:
            b, addr = s.recvfrom(65536)
            if s is front:
                client = addr
                st["up"] += 1
                back.sendto(b, server)
            elif client is not None:
                if is_rtp(b):
                    st["rtp"] += 1
                    header(st, b)
                    if a.every > 0 and st["rtp"] % a.every == 0:
                        st["dropped"] += 1
                        continue
                st["down"] += 1
                front.sendto(b, client)
    if a.stats:
        with open(a.stats, "w") as f:
            json.dump(st, f)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
