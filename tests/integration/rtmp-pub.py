#!/usr/bin/env python3
"""A small RTMP publisher for what ffmpeg 5.1 cannot send (issue 18).

rtmp-pub.py URL [--flv FILE]... [--hevc FILE] [--av1 FILE] [--opus FILE]
    [--fps N] [--jump SECONDS:DELTA_MS]... [--seconds S] [--enhanced]

Publishes to URL (rtmp://HOST:PORT/APP/KEY) in real time, paced by the
media's own timestamps:

  --flv FILE      the tags of an FLV file (ffmpeg's H.264/AAC); several go
                  one after the other on one timeline, each with its own
                  onMetaData and sequence headers (a resolution change)
  --hevc FILE     HEVC Annex B (ffmpeg -c:v libx265 -f hevc, no B-frames)
                  as enhanced RTMP: hvc1 SequenceStart with an hvcC built
                  from the first VPS/SPS/PPS, CodedFramesX, SequenceEnd
  --av1 FILE      AV1 low-overhead OBUs (ffmpeg -f obu) as enhanced RTMP:
                  av01 SequenceStart with an av1C, one temporal unit a frame
  --opus FILE     Ogg Opus as enhanced RTMP audio (ExAudioTagHeader):
                  Opus SequenceStart with the OpusHead, CodedFrames
  --fps N         frame rate of --hevc/--av1 (default 25)
  --jump S:D      the publisher's clock jumps by D ms (may be negative) once
                  S seconds of media have been sent: every later timestamp
                  is off by D (a camera's NTP step, a drone's reset)
  --start MS      the first timestamp (default 0): a publisher that
                  joins mid-stream, its onMetaData at MS too
  --video-fourcc F  send --hevc's frames under FourCC F (a codec the
                  server does not know, for its refusal)
  --seconds S     stop after S seconds of media
  --enhanced      send fourCcList in connect (implied by --hevc/--av1/--opus)

The connect command of an enhanced publisher carries fourCcList, as ffmpeg
6.1 and OBS 30 send it; the server's FourCCs are printed.  Exit status: 0
when everything was sent; 2 when the server refused the publish; 3 when it
ended the publish while media was flowing (the onStatus is printed); 1 on
any other error.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

# --------------------------------------------------------------------- AMF0


def amf_str(s):
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def amf_num(n):
    return b"\x00" + struct.pack(">d", n)


def amf_key(k):
    b = k.encode()
    return struct.pack(">H", len(b)) + b


def amf_obj(pairs):
    out = b"\x03"
    for k, v in pairs:
        out += amf_key(k) + v
    return out + b"\x00\x00\x09"


def amf_ecma(pairs):
    out = b"\x08" + struct.pack(">I", len(pairs))
    for k, v in pairs:
        out += amf_key(k) + v
    return out + b"\x00\x00\x09"


def amf_strict(items):
    return b"\x0a" + struct.pack(">I", len(items)) + b"".join(items)


def amf_decode(b, off=0, depth=0):
    """One value at off: (value, new offset)."""
    if depth > 16:
        raise ValueError("AMF0 too deep")
    t = b[off]
    off += 1
    if t == 0:
        return struct.unpack(">d", b[off:off + 8])[0], off + 8
    if t == 1:
        return b[off] != 0, off + 1
    if t == 2:
        n = struct.unpack(">H", b[off:off + 2])[0]
        return b[off + 2:off + 2 + n].decode(errors="replace"), off + 2 + n
    if t in (3, 8):
        if t == 8:
            off += 4
        d = {}
        while True:
            n = struct.unpack(">H", b[off:off + 2])[0]
            off += 2
            if n == 0 and b[off] == 9:
                return d, off + 1
            k = b[off:off + n].decode(errors="replace")
            d[k], off = amf_decode(b, off + n, depth + 1)
    if t in (5, 6):
        return None, off
    if t == 10:
        n = struct.unpack(">I", b[off:off + 4])[0]
        off += 4
        items = []
        for _ in range(n):
            v, off = amf_decode(b, off, depth + 1)
            items.append(v)
        return items, off
    raise ValueError("AMF0 type %d" % t)


def amf_decode_all(b):
    vals, off = [], 0
    while off < len(b):
        v, off = amf_decode(b, off)
        vals.append(v)
    return vals

# --------------------------------------------------------------------- RTMP


class Rtmp:
    CHUNK = 4096

    def __init__(self, url, enhanced):
        if not url.startswith("rtmp://"):
            raise SystemExit("rtmp-pub: URL must be rtmp://HOST:PORT/APP/KEY")
        rest = url[len("rtmp://"):]
        hostport, app, key = rest.split("/", 2)
        host, _, port = hostport.rpartition(":")
        self.app, self.key, self.url = app, key, url
        self.sock = socket.create_connection((host, int(port or 1935)), 10)
        self.sock.settimeout(None)
        self.enhanced = enhanced
        self.in_chunk = 128
        self.statuses = []  # (command name, info dict) from the server
        self.cond = threading.Condition()
        self.closed = False
        self.results = {}  # txn -> values

    def handshake(self):
        c1 = struct.pack(">II", 0, 0) + os.urandom(1528)
        self.sock.sendall(b"\x03" + c1)
        s = self.recv_exact(1 + 1536 * 2)
        if s[0] != 3:
            raise SystemExit("rtmp-pub: server version %d" % s[0])
        self.sock.sendall(s[1:1537])

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            part = self.sock.recv(n - len(buf))
            if not part:
                raise EOFError("server closed the connection")
            buf += part
        return buf

    # Outgoing messages: fmt 0 first chunk, fmt 3 continuations, an
    # extended timestamp repeated in each, as ffmpeg writes them.
    def send(self, csid, mtype, ts, body, sid=0):
        ts &= 0xFFFFFFFF
        ext = ts >= 0xFFFFFF
        hdr = bytes([csid]) + struct.pack(">I", 0xFFFFFF if ext else ts)[1:]
        hdr += struct.pack(">I", len(body))[1:] + bytes([mtype])
        hdr += struct.pack("<I", sid)
        if ext:
            hdr += struct.pack(">I", ts)
        out = [hdr, body[:self.CHUNK]]
        for off in range(self.CHUNK, len(body), self.CHUNK):
            out.append(bytes([0xC0 | csid]))
            if ext:
                out.append(struct.pack(">I", ts))
            out.append(body[off:off + self.CHUNK])
        self.sock.sendall(b"".join(out))

    def command(self, name, txn, *args, sid=0, csid=3):
        self.send(csid, 20, 0, amf_str(name) + amf_num(txn) + b"".join(args),
                  sid)

    # Incoming: a thread that parses the server's chunk stream.
    def reader(self):
        cs = {}
        try:
            while True:
                b0 = self.recv_exact(1)[0]
                fmt, csid = b0 >> 6, b0 & 0x3F
                if csid == 0:
                    csid = 64 + self.recv_exact(1)[0]
                elif csid == 1:
                    x = self.recv_exact(2)
                    csid = 64 + x[0] + x[1] * 256
                st = cs.setdefault(csid, {"len": 0, "type": 0, "buf": b""})
                if fmt == 0:
                    h = self.recv_exact(11)
                    st["len"] = struct.unpack(">I", b"\0" + h[3:6])[0]
                    st["type"] = h[6]
                    if h[0:3] == b"\xff\xff\xff":
                        self.recv_exact(4)
                elif fmt == 1:
                    h = self.recv_exact(7)
                    st["len"] = struct.unpack(">I", b"\0" + h[3:6])[0]
                    st["type"] = h[6]
                elif fmt == 2:
                    self.recv_exact(3)
                need = min(self.in_chunk, st["len"] - len(st["buf"]))
                st["buf"] += self.recv_exact(need)
                if len(st["buf"]) < st["len"]:
                    continue
                body, st["buf"] = st["buf"], b""
                self.message(st["type"], body)
        except (EOFError, OSError):
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def message(self, mtype, body):
        if mtype == 1:
            self.in_chunk = struct.unpack(">I", body[:4])[0] & 0x7FFFFFFF
            return
        if mtype != 20:
            return
        vals = amf_decode_all(body)
        name, txn = vals[0], vals[1]
        with self.cond:
            if name in ("_result", "_error"):
                self.results[txn] = (name, vals[2:])
            elif name == "onStatus":
                info = vals[3] if len(vals) > 3 else {}
                self.statuses.append(info)
                print("rtmp-pub: onStatus %s %s: %s" % (
                    info.get("level"), info.get("code"),
                    info.get("description")), file=sys.stderr, flush=True)
            self.cond.notify_all()

    def wait(self, pred, timeout=10):
        end = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = end - time.monotonic()
                if left <= 0 or self.closed:
                    return pred()
                self.cond.wait(left)
            return True

    def connect_publish(self):
        self.handshake()
        threading.Thread(target=self.reader, daemon=True).start()
        props = [("app", amf_str(self.app)), ("type", amf_str("nonprivate")),
                 ("flashVer", amf_str("FMLE/3.0 (compatible; rtmp-pub)")),
                 ("tcUrl", amf_str(self.url.rsplit("/", 1)[0]))]
        if self.enhanced:
            props.append(("fourCcList", amf_strict(
                [amf_str(x) for x in ("hvc1", "av01", "vp09", "Opus")])))
        self.send(2, 1, 0, struct.pack(">I", self.CHUNK))
        self.command("connect", 1, amf_obj(props))
        if not self.wait(lambda: 1 in self.results):
            raise SystemExit("rtmp-pub: no answer to connect")
        name, vals = self.results[1]
        if name != "_result":
            print("rtmp-pub: connect refused: %r" % (vals,), file=sys.stderr)
            sys.exit(2)
        if vals and isinstance(vals[0], dict) and "fourCcList" in vals[0]:
            print("rtmp-pub: server fourCcList %s" %
                  " ".join(vals[0]["fourCcList"]), file=sys.stderr)
        self.command("releaseStream", 2, b"\x05", amf_str(self.key))
        self.command("FCPublish", 3, b"\x05", amf_str(self.key))
        self.command("createStream", 4, b"\x05")
        if not self.wait(lambda: 4 in self.results):
            raise SystemExit("rtmp-pub: no answer to createStream")
        self.sid = int(self.results[4][1][1])
        self.command("publish", 5, b"\x05", amf_str(self.key), amf_str("live"),
                     sid=self.sid, csid=4)
        if not self.wait(lambda: self.statuses):
            raise SystemExit("rtmp-pub: no answer to publish")
        if self.statuses[0].get("code") != "NetStream.Publish.Start":
            sys.exit(2)
        print("rtmp-pub: publishing", file=sys.stderr, flush=True)

    def media(self, kind, ts, body):
        """kind: 'V', 'A' or 'S' (script data, sent with @setDataFrame)."""
        if kind == "S":
            self.send(4, 18, ts, amf_str("@setDataFrame") + body, self.sid)
        else:
            self.send(6 if kind == "V" else 7, 9 if kind == "V" else 8, ts,
                      body, self.sid)

    def stopped(self):
        with self.cond:
            return self.closed or any(
                s.get("code") != "NetStream.Publish.Start"
                for s in self.statuses)

# -------------------------------------------------------------------- input
# Each reader yields (ms, kind, body) in timestamp order.


def read_flv(path):
    data = open(path, "rb").read()
    if data[:3] != b"FLV":
        raise SystemExit("rtmp-pub: %s is not FLV" % path)
    off = struct.unpack(">I", data[5:9])[0] + 4
    while off + 11 <= len(data):
        t = data[off] & 0x1F
        size = struct.unpack(">I", b"\0" + data[off + 1:off + 4])[0]
        ts = struct.unpack(">I", b"\0" + data[off + 4:off + 7])[0]
        ts |= data[off + 7] << 24
        body = data[off + 11:off + 11 + size]
        off += 11 + size + 4
        if len(body) < size:
            break
        kind = {8: "A", 9: "V", 18: "S"}.get(t)
        if kind:
            yield ts, kind, body


def annexb_nals(data):
    """NAL units of an Annex B stream, start codes removed."""
    starts = []
    i, n = 0, len(data)
    while True:
        i = data.find(b"\x00\x00\x01", i)
        if i < 0:
            break
        starts.append(i + 3)
        i += 3
    for k, s in enumerate(starts):
        e = starts[k + 1] - 3 if k + 1 < len(starts) else n
        nal = data[s:e].rstrip(b"\x00")
        if nal:
            yield nal


def unescape(nal):
    """RBSP: emulation prevention bytes (00 00 03) removed."""
    out, zeros = bytearray(), 0
    for b in nal:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def hvcc(vps, sps, pps):
    """An HEVCDecoderConfigurationRecord for one VPS, SPS and PPS."""
    ptl = unescape(sps)[3:15]  # after the NAL header and the VPS id byte
    rec = bytes([1]) + ptl
    rec += struct.pack(">H", 0xF000)  # min_spatial_segmentation_idc 0
    rec += bytes([0xFC, 0xFD, 0xF8, 0xF8])  # parallelism, 4:2:0, 8 bit
    rec += struct.pack(">H", 0)  # avgFrameRate
    rec += bytes([0 << 6 | 1 << 3 | 1 << 2 | 3])  # 1 layer, nested, 4 bytes
    rec += bytes([3])
    for t, nal in ((32, vps), (33, sps), (34, pps)):
        rec += bytes([0x80 | t]) + struct.pack(">HH", 1, len(nal)) + nal
    return rec


def read_hevc(path, fps):
    params, aus, cur, has_vcl = {}, [], [], False
    for nal in annexb_nals(open(path, "rb").read()):
        t = (nal[0] >> 1) & 0x3F
        vcl = t < 32
        first = vcl and len(nal) > 2 and nal[2] & 0x80
        starts = (t in (32, 33, 34, 35, 39) or 41 <= t <= 44 or
                  48 <= t <= 55 or first)
        if starts and has_vcl:
            aus.append(cur)
            cur, has_vcl = [], False
        if t in (32, 33, 34):
            params.setdefault(t, nal)
        cur.append(nal)
        has_vcl = has_vcl or vcl
    if cur and has_vcl:
        aus.append(cur)
    if len(params) < 3:
        raise SystemExit("rtmp-pub: %s: no VPS, SPS and PPS" % path)
    yield 0, "S", amf_str("onMetaData") + amf_ecma([
        ("videocodecid", amf_num(0x68766331)), ("framerate", amf_num(fps)),
        ("encoder", amf_str("rtmp-pub"))])
    yield 0, "V", b"\x90hvc1" + hvcc(params[32], params[33], params[34])
    ms = 0
    for i, au in enumerate(aus):
        ms = round(i * 1000 / fps)
        key = any(16 <= (n[0] >> 1) & 0x3F <= 23 for n in au)
        body = bytes([0x80 | (1 if key else 2) << 4 | 3]) + b"hvc1"
        body += b"".join(struct.pack(">I", len(n)) + n for n in au)
        yield ms, "V", body
    yield ms, "V", b"\x92hvc1"


class Bits:
    def __init__(self, b):
        self.b, self.pos = b, 0

    def u(self, n):
        v = 0
        for _ in range(n):
            v = v << 1 | (self.b[self.pos >> 3] >> (7 - (self.pos & 7))) & 1
            self.pos += 1
        return v


def leb128(b, off):
    v = 0
    for i in range(8):
        byte = b[off + i]
        v |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return v, off + i + 1
    raise ValueError("leb128")


def av1c(seqhdr_obu, payload):
    """An AV1CodecConfigurationRecord for a sequence header OBU."""
    r = Bits(payload)
    profile = r.u(3)
    r.u(1)  # still_picture
    level, tier = 0, 0
    if r.u(1):  # reduced_still_picture_header
        level = r.u(5)
    else:
        if r.u(1):
            raise SystemExit("rtmp-pub: AV1 timing info is not handled")
        r.u(1)  # initial_display_delay_present_flag (0 assumed)
        r.u(5)  # operating_points_cnt_minus_1
        r.u(12)
        level = r.u(5)
        if level > 7:
            tier = r.u(1)
    return bytes([0x81, profile << 5 | level, tier << 7 | 0x0C, 0]) + \
        seqhdr_obu


def read_av1(path, fps):
    data = open(path, "rb").read()
    tus, cur, off, seq = [], [], 0, None
    while off < len(data):
        h = data[off]
        t, ext, has_size = (h >> 3) & 0xF, h >> 2 & 1, h >> 1 & 1
        p = off + 1 + ext
        if not has_size:
            raise SystemExit("rtmp-pub: AV1 OBU without a size field")
        size, p = leb128(data, p)
        obu, payload = data[off:p + size], data[p:p + size]
        off = p + size
        if t == 2:  # temporal delimiter: a new temporal unit, itself left out
            if cur:
                tus.append(cur)
            cur = []
            continue
        if t == 1 and seq is None:
            seq = (obu, payload)
        cur.append((t, obu))
    if cur:
        tus.append(cur)
    if seq is None:
        raise SystemExit("rtmp-pub: %s: no AV1 sequence header" % path)
    yield 0, "S", amf_str("onMetaData") + amf_ecma([
        ("videocodecid", amf_num(0x61763031)), ("framerate", amf_num(fps))])
    yield 0, "V", b"\x90av01" + av1c(*seq)
    ms = 0
    for i, tu in enumerate(tus):
        ms = round(i * 1000 / fps)
        key = any(t == 1 for t, _ in tu)
        yield ms, "V", bytes([0x80 | (1 if key else 2) << 4 | 1]) + b"av01" + \
            b"".join(o for _, o in tu)
    yield ms, "V", b"\x92av01"


def opus_ms(pkt):
    """An Opus packet's duration, from its TOC byte (RFC 6716)."""
    toc = pkt[0]
    cfg = toc >> 3
    if cfg < 12:
        size = (10, 20, 40, 60)[cfg % 4]
    elif cfg < 16:
        size = (10, 20)[cfg % 2]
    else:
        size = (2.5, 5, 10, 20)[cfg % 4]
    c = toc & 3
    frames = 1 if c == 0 else 2 if c < 3 else pkt[1] & 0x3F
    return size * frames


def read_opus(path):
    data, off, pkts, cur = open(path, "rb").read(), 0, [], b""
    while off + 27 <= len(data):
        if data[off:off + 4] != b"OggS":
            raise SystemExit("rtmp-pub: %s is not Ogg" % path)
        nseg = data[off + 26]
        lace = data[off + 27:off + 27 + nseg]
        p = off + 27 + nseg
        for n in lace:
            cur += data[p:p + n]
            p += n
            if n < 255:
                pkts.append(cur)
                cur = b""
        off = p
    if not pkts or pkts[0][:8] != b"OpusHead":
        raise SystemExit("rtmp-pub: %s: no OpusHead" % path)
    yield 0, "A", b"\x90Opus" + pkts[0]
    ms = 0.0
    for pkt in pkts[2:]:  # after OpusHead and OpusTags
        yield round(ms), "A", b"\x91Opus" + pkt
        ms += opus_ms(pkt)


def merge(*sources):
    """Tags of several readers in timestamp order (stable per reader)."""
    heads = []
    for i, s in enumerate(sources):
        it = iter(s)
        nxt = next(it, None)
        if nxt is not None:
            heads.append([nxt, i, it])
    while heads:
        heads.sort(key=lambda h: (h[0][0], h[1]))
        h = heads[0]
        yield h[0]
        h[0] = next(h[2], None)
        if h[0] is None:
            heads.pop(0)


def chain_flv(paths):
    """FLV files one after another on one timeline."""
    base = 0
    for path in paths:
        first = last = None
        for ts, kind, body in read_flv(path):
            if first is None:
                first = ts
            last = base + ts - first
            yield last, kind, body
        if last is not None:
            base = last + 40

# --------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("--flv", action="append", default=[])
    ap.add_argument("--hevc")
    ap.add_argument("--av1")
    ap.add_argument("--opus")
    ap.add_argument("--fps", type=float, default=25)
    ap.add_argument("--jump", action="append", default=[])
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--video-fourcc")
    ap.add_argument("--enhanced", action="store_true")
    a = ap.parse_args()

    sources = []
    if a.flv:
        sources.append(chain_flv(a.flv))
    if a.hevc:
        sources.append(read_hevc(a.hevc, a.fps))
    if a.av1:
        sources.append(read_av1(a.av1, a.fps))
    if a.opus:
        sources.append(read_opus(a.opus))
    if not sources:
        ap.error("nothing to send: --flv, --hevc, --av1 or --opus")
    jumps = sorted((float(j.split(":")[0]) * 1000, int(j.split(":")[1]))
                   for j in a.jump)

    r = Rtmp(a.url, a.enhanced or bool(a.hevc or a.av1 or a.opus))
    try:
        r.connect_publish()
    except (EOFError, OSError) as e:
        print("rtmp-pub: %s" % e, file=sys.stderr)
        return 1
    start, sent = time.monotonic(), 0
    try:
        for ms, kind, body in merge(*sources):
            if a.seconds and ms > a.seconds * 1000:
                break
            delay = start + ms / 1000 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if r.stopped():
                return 3
            shift = a.start + sum(d for at, d in jumps if ms >= at)
            if a.video_fourcc and kind == "V" and body[0] & 0x80:
                body = body[:1] + a.video_fourcc.encode()[:4] + body[5:]
            r.media(kind, ms + shift, body)
            sent += 1
        # what the server says about the last of it
        r.wait(r.stopped, 0.5)
        if r.stopped():
            return 3
        r.command("FCUnpublish", 6, b"\x05", amf_str(r.key))
        r.command("deleteStream", 7, b"\x05", amf_num(r.sid))
        time.sleep(0.2)
    except (EOFError, OSError) as e:
        print("rtmp-pub: %s after %d messages" % (e, sent), file=sys.stderr)
        return 3 if r.stopped() else 1
    print("rtmp-pub: sent %d messages" % sent, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
