#!/usr/bin/env python3
"""An RTMP server that accepts a publish and then stops reading: a stalled
destination for fwdd's tests.  Its sockets get a small receive buffer, so
what the publisher sends piles up in the publisher's own queue at once
rather than in the kernel's buffers.

    rtmp-stall.py PORT

It answers the handshake and, seeing the words in what arrives, connect,
createStream and publish (what fwdd's client sends, in that order), prints
"publishing", then never reads again: later connections wait in the
listen queue, unanswered, as those of a hung server do.
"""
import socket
import struct
import sys
import time


def amf_str(s):
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def amf_num(n):
    return b"\x00" + struct.pack(">d", n)


def amf_obj(d):
    b = b"\x03"
    for k, v in d.items():
        b += struct.pack(">H", len(k)) + k.encode() + amf_str(v)
    return b + b"\x00\x00\x09"


def message(stream, body):
    """One command message (type 20) on chunk stream 3, in one chunk."""
    assert len(body) <= 128
    return (b"\x03" + b"\x00\x00\x00" + struct.pack(">I", len(body))[1:] +
            b"\x14" + struct.pack("<I", stream) + body)


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def serve(c):
    recv_exact(c, 1 + 1536)                     # C0 C1
    c.sendall(b"\x03" + bytes(1536) + bytes(1536))  # S0 S1 S2 (plain)
    recv_exact(c, 1536)                         # C2
    seen = b""
    steps = [
        (b"connect", message(0, amf_str("_result") + amf_num(1) +
                             amf_obj({"fmsVer": "FMS/3,0,1,123"}) +
                             amf_obj({"code": "NetConnection.Connect.Success"}))),
        (b"createStream", message(0, amf_str("_result") + amf_num(4) +
                                  b"\x05" + amf_num(1))),
        (b"publish\x00", message(1, amf_str("onStatus") + amf_num(0) + b"\x05" +
                                 amf_obj({"level": "status",
                                          "code": "NetStream.Publish.Start"}))),
    ]
    for word, reply in steps:
        while word not in seen:
            d = c.recv(4096)
            if not d:
                raise EOFError
            seen += d
        seen = seen[seen.index(word) + len(word):]
        c.sendall(reply)
    print("publishing", flush=True)
    # stalled: read nothing more, ever (the test stops us)
    while True:
        time.sleep(60)


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    srv.bind(("127.0.0.1", int(sys.argv[1])))
    srv.listen(4)
    print("ready", flush=True)
    while True:
        c, _ = srv.accept()
        try:
            serve(c)
        except (EOFError, OSError):
            pass
        c.close()
        print("closed", flush=True)


if __name__ == "__main__":
    main()
