#!/usr/bin/env python3
"""TLS in front of a plain TCP server, for the RTMPS tests: ffmpeg 5.1 cannot
listen on rtmps://, so this accepts TLS on LISTEN_PORT with CERT and KEY and
relays each connection's bytes to 127.0.0.1:TARGET_PORT and back, a thread
per connection.

    tls-terminator.py LISTEN_PORT TARGET_PORT CERT KEY

It prints "ready" once listening, and for each connection the TLS version
the client used ("tls TLSv1.3"), so a test can tell the client spoke TLS.
"""
import selectors
import socket
import ssl
import sys
import threading


def relay(client, target):
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ, target)
    sel.register(target, selectors.EVENT_READ, client)
    while True:
        for key, _ in sel.select(timeout=60):
            try:
                data = key.fileobj.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue
            except OSError:
                data = b""
            if not data:
                return
            key.data.sendall(data)
            # bytes TLS decrypted already never wake select() again
            while isinstance(key.fileobj, ssl.SSLSocket) and \
                    key.fileobj.pending() > 0:
                key.data.sendall(key.fileobj.recv(65536))


def serve(ctx, conn, target_port):
    conn.settimeout(10)
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError) as e:
        print("handshake failed:", e, flush=True)
        conn.close()
        return
    tls.settimeout(None)
    print("tls", tls.version(), flush=True)
    try:
        target = socket.create_connection(("127.0.0.1", int(target_port)))
    except OSError as e:
        print("target:", e, flush=True)
        tls.close()
        return
    try:
        relay(tls, target)
    finally:
        tls.close()
        target.close()
    print("closed", flush=True)


def main():
    listen_port, target_port, cert, key = sys.argv[1:5]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(listen_port)))
    srv.listen(8)
    print("ready", flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(ctx, conn, target_port),
                         daemon=True).start()


if __name__ == "__main__":
    main()
