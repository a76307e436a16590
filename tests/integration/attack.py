#!/usr/bin/env python3
"""Hostile RTMP clients for the tests (issue 13).

attack.py PORT MODE [--clients N] [--seconds S] [--source ADDR ...]

Each client is a thread with its own TCP connection from one of the source
addresses (round robin; any 127.0.0.0/8 address is loopback on Linux).  When
the server closes a connection the client opens a new one, until S seconds
have passed; then everything is closed and one line of statistics is
printed:

  connections=N closed=M refused=R held=H held_ms_median=T held_ms_max=U

closed counts connections the server ended: refused within a second of
connecting, held later.  held_ms_* say how long the server kept the held
ones.

Modes:
  memory    handshake, Set Chunk Size 0xffffff, then a complete 16 MiB video
            message on chunk stream 4 and all but 4 KiB of a 16 MiB script
            data message on chunk stream 6; never connect; then wait
  publish   handshake, connect, createStream, publish "atkN" (auth = none),
            then two partial 16 MiB (--size) video messages on chunk streams
            4 and 6, in 8 MiB chunks; then wait
  pings     publish as above, then Ping Requests without end, never
            reading the Ping Responses
  idle      one byte of handshake, then wait
"""
import argparse
import socket
import struct
import sys
import threading
import time

BIG = 0xFFFFFF  # the largest message length RTMP can say


def amf_str(s):
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def amf_num(n):
    return b"\x00" + struct.pack(">d", n)


def amf_obj(pairs):
    out = b"\x03"
    for k, v in pairs:
        kb = k.encode()
        out += struct.pack(">H", len(kb)) + kb + v
    return out + b"\x00\x00\x09"


def header(csid, fmt, length, mtype, sid=0, ts=0):
    """A chunk header: fmt 0 (full) or 3 (continuation)."""
    basic = bytes([fmt << 6 | csid])
    if fmt == 3:
        return basic
    return (basic + ts.to_bytes(3, "big") + length.to_bytes(3, "big") +
            bytes([mtype]) + struct.pack("<I", sid))


def message(csid, mtype, body, sid=0):
    """A message in one chunk: the sender's chunk size is at least len(body)."""
    return header(csid, 0, len(body), mtype, sid) + body


def set_chunk_size(n):
    return message(2, 1, struct.pack(">I", n))


def command(name, txn, *args, csid=3, sid=0):
    body = amf_str(name) + amf_num(txn) + b"".join(args)
    return message(csid, 20, body, sid)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.held = []
        self.refused = 0

    def closed(self, held):
        with self.lock:
            if held < 1:
                self.refused += 1
            else:
                self.held.append(held)


def handshake(s):
    s.sendall(b"\x03" + bytes(1536))
    got = 0
    while got < 3073:
        b = s.recv(3073 - got)
        if not b:
            return None
        got += len(b)
    s.sendall(bytes(1536))
    return True


def wait_reply(s, needle, deadline):
    """Reads until needle was received; False on close or deadline."""
    buf = b""
    while time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            b = s.recv(65536)
        except socket.timeout:
            return False
        if not b:
            return False
        buf = (buf + b)[-4096:]
        if needle in buf:
            return True
    return False


def payload_memory():
    video = bytes([0x17]) + bytes(BIG - 1)
    data = amf_str("onMetaData") + bytes(BIG - 13)
    return (set_chunk_size(BIG) + message(4, 9, video, 1) +
            header(6, 0, BIG, 18, 1) + data[:BIG - 4096])


def payload_publish_media(size):
    half = size // 2 + 1
    video = bytes([0x17]) + bytes(size - 1)
    return (set_chunk_size(half) +
            header(4, 0, size, 9, 1) + video[:half] +
            header(6, 0, size, 9, 1) + video[:half] +
            header(4, 3, 0, 0) + video[half:size - 4096])


def payload_pings():
    ping = header(2, 0, 6, 4) + b"\x00\x06" + b"\xde\xad\xbe\xef"
    again = bytes([3 << 6 | 2]) + b"\x00\x06" + b"\xde\xad\xbe\xef"
    return ping + again * 9000


def client(args, idx, src, stats, end):
    big = args.payload
    while time.time() < end:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((src, 0))
            s.settimeout(max(0.1, end - time.time()))
            s.connect(("127.0.0.1", args.port))
        except OSError:
            s.close()
            time.sleep(0.05)
            continue
        with stats.lock:
            stats.connections += 1
        t0 = time.time()
        try:
            if args.mode == "idle":
                s.sendall(b"\x03")
            else:
                if handshake(s) is None:
                    raise ConnectionError
                if args.mode in ("publish", "pings"):
                    s.sendall(
                        set_chunk_size(65536) +
                        command("connect", 1, amf_obj(
                            [("app", amf_str("live")),
                             ("tcUrl", amf_str("rtmp://127.0.0.1/live"))])) +
                        command("createStream", 2, b"\x05") +
                        command("publish", 3, b"\x05", amf_str("atk%d" % idx),
                                amf_str("live"), csid=8, sid=1))
                    if not wait_reply(s, b"NetStream.Publish.Start",
                                      min(end, time.time() + 5)):
                        raise ConnectionError
                s.sendall(big)
                # pings: more until the server stops reading them
                while big and args.mode == "pings" and time.time() < end:
                    s.settimeout(max(0.05, min(0.5, end - time.time())))
                    try:
                        s.sendall(big)
                    except socket.timeout:
                        pass
            # wait for the server to close, or the end
            while time.time() < end:
                s.settimeout(max(0.05, min(0.5, end - time.time())))
                try:
                    if not s.recv(65536):
                        raise ConnectionError
                except socket.timeout:
                    pass
            s.close()
            return
        except (OSError, ConnectionError):
            stats.closed(time.time() - t0)
            s.close()
            # a refused client comes back soon, not in a busy loop
            time.sleep(args.pause)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("mode", choices=["memory", "publish", "pings", "idle"])
    ap.add_argument("--clients", type=int, default=31)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--pause", type=float, default=0.2,
                    help="seconds before reconnecting after a close")
    ap.add_argument("--size", type=int, default=BIG,
                    help="publish: length of the two messages")
    ap.add_argument("--source", action="append",
                    help="source address (repeat for several)")
    args = ap.parse_args()
    sources = args.source or ["127.0.0.1"]
    args.payload = {"memory": payload_memory,
                    "publish": lambda: payload_publish_media(args.size),
                    "pings": payload_pings,
                    "idle": lambda: b""}[args.mode]()
    stats = Stats()
    end = time.time() + args.seconds
    threads = [threading.Thread(target=client, daemon=True,
                                args=(args, i, sources[i % len(sources)],
                                      stats, end))
               for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0, end - time.time()) + 10)
    held = sorted(stats.held)
    med = held[len(held) // 2] * 1000 if held else 0
    mx = held[-1] * 1000 if held else 0
    print("connections=%d closed=%d refused=%d held=%d held_ms_median=%d "
          "held_ms_max=%d" % (stats.connections, len(held) + stats.refused,
                              stats.refused, len(held), med, mx))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
