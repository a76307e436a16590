#!/usr/bin/env python3
"""What a viewer's FLV holds, for tests ffprobe 5.1 cannot do (issue 18):
it reads no enhanced FLV (HEVC, AV1, Opus by FourCC).

flv-tool.py summary FILE       one JSON object: the tags, codecs by FourCC,
                               sequence starts, keyframes, timestamps
flv-tool.py hevc FILE OUT      the hvc1 video as HEVC Annex B (the hvcC's
                               parameter sets, then every frame's NAL
                               units), for ffmpeg -f hevc to decode; prints
                               the frame count
flv-tool.py trim FILE          cuts FILE after its last whole tag (a
                               viewer stopped mid-tag), in place
flv-tool.py nals FILE          the NAL unit types in the AVC or HEVC
                               frames, counted: {"6": SEIs, "9": AUDs, ...}
flv-tool.py opus FILE OGG      whether the Opus in FILE is the Ogg file's:
                               the same OpusHead, and its packets one run of
                               the Ogg's packets, byte for byte; prints the
                               count

A file cut short (a viewer stopped by curl --max-time) ends at its last
whole tag.  Exit status 1 when FILE is not FLV or a check fails.
"""
import json
import struct
import sys


def tags(path):
    data = open(path, "rb").read()
    if data[:3] != b"FLV":
        sys.exit("flv-tool: %s is not FLV" % path)
    off = struct.unpack(">I", data[5:9])[0] + 4
    while off + 11 <= len(data):
        t = data[off] & 0x1F
        size = struct.unpack(">I", b"\0" + data[off + 1:off + 4])[0]
        ts = struct.unpack(">I", b"\0" + data[off + 4:off + 7])[0]
        ts |= data[off + 7] << 24
        body = data[off + 11:off + 11 + size]
        if len(body) < size:
            return
        off += 11 + size + 4
        yield t, ts, body


def video_info(b):
    """(fourcc, packet type, keyframe, payload) of a video tag body."""
    if not b:
        return None, None, False, b""
    if b[0] & 0x80:
        pkt = b[0] & 0x0F
        fcc = b[1:5].decode("latin-1")
        pay = b[5:]
        if pkt == 1 and fcc in ("hvc1", "avc1"):
            pay = pay[3:]  # composition time
        return fcc, pkt, (b[0] >> 4) & 7 == 1, pay
    codec = b[0] & 0x0F
    fcc = {7: "avc1", 12: "hvc1"}.get(codec, "legacy%d" % codec)
    pkt = b[1] if len(b) > 1 else 1
    return fcc, pkt, b[0] >> 4 == 1, b[5:]


def audio_info(b):
    if b and b[0] >> 4 == 9:
        return b[1:5].decode("latin-1"), b[0] & 0x0F, b[5:]
    fmt = b[0] >> 4 if b else -1
    if fmt == 10:
        return "mp4a", b[1], b[2:]
    return "legacy%d" % fmt, 1, b[1:]


def summary(path):
    s = {"tags": 0, "script": 0, "script_ts": [], "video": {}, "audio": {},
         "video_ts": [], "audio_ts": []}
    for t, ts, body in tags(path):
        s["tags"] += 1
        if t == 18:
            s["script"] += 1
            s["script_ts"].append(ts)
        elif t == 9:
            fcc, pkt, key, _ = video_info(body)
            v = s["video"].setdefault(fcc, {"seq_start": 0, "frames": 0,
                                            "keyframes": 0, "seq_end": 0,
                                            "other": 0})
            if pkt == 0:
                v["seq_start"] += 1
            elif pkt in (1, 3):
                v["frames"] += 1
                v["keyframes"] += key
                s["video_ts"].append(ts)
            elif pkt == 2:
                v["seq_end"] += 1
            else:
                v["other"] += 1
        elif t == 8:
            fcc, pkt, _ = audio_info(body)
            a = s["audio"].setdefault(fcc, {"seq_start": 0, "frames": 0})
            if pkt == 0:
                a["seq_start"] += 1
            elif pkt == 1:
                a["frames"] += 1
                s["audio_ts"].append(ts)
    for k in ("video", "audio"):
        ts = s.pop(k + "_ts")
        s[k + "_first_ts"] = ts[0] if ts else None
        s[k + "_last_ts"] = ts[-1] if ts else None
        s[k + "_backwards"] = sum(1 for a, b in zip(ts, ts[1:]) if b < a)
        s[k + "_max_step"] = max((b - a for a, b in zip(ts, ts[1:])),
                                 default=0)
    return s


def hevc(path, out):
    frames = 0
    with open(out, "wb") as f:
        for t, ts, body in tags(path):
            if t != 9:
                continue
            fcc, pkt, key, pay = video_info(body)
            if fcc != "hvc1":
                continue
            if pkt == 0:
                # hvcC: 22 bytes of fields, lengthSizeMinusOne, arrays
                n, off = pay[22], 23
                for _ in range(n):
                    cnt = struct.unpack(">H", pay[off + 1:off + 3])[0]
                    off += 3
                    for _ in range(cnt):
                        ln = struct.unpack(">H", pay[off:off + 2])[0]
                        f.write(b"\0\0\0\1" + pay[off + 2:off + 2 + ln])
                        off += 2 + ln
            elif pkt in (1, 3):
                off = 0
                while off + 4 <= len(pay):
                    ln = struct.unpack(">I", pay[off:off + 4])[0]
                    f.write(b"\0\0\0\1" + pay[off + 4:off + 4 + ln])
                    off += 4 + ln
                frames += 1
    print(frames)
    return 0


def trim(path):
    data = open(path, "rb").read()
    if data[:3] != b"FLV":
        sys.exit("flv-tool: %s is not FLV" % path)
    off = end = struct.unpack(">I", data[5:9])[0] + 4
    while off + 11 <= len(data):
        size = struct.unpack(">I", b"\0" + data[off + 1:off + 4])[0]
        if off + 11 + size + 4 > len(data):
            break
        off += 11 + size + 4
        end = off
    with open(path, "r+b") as f:
        f.truncate(end)
    return 0


def nals(path):
    counts = {}
    for t, ts, body in tags(path):
        if t != 9:
            continue
        fcc, pkt, key, pay = video_info(body)
        if fcc not in ("avc1", "hvc1") or pkt not in (1, 3):
            continue
        off = 0
        while off + 5 <= len(pay):
            ln = struct.unpack(">I", pay[off:off + 4])[0]
            b = pay[off + 4]
            nt = b & 0x1F if fcc == "avc1" else (b >> 1) & 0x3F
            counts[str(nt)] = counts.get(str(nt), 0) + 1
            off += 4 + ln
    print(json.dumps(counts))
    return 0


def ogg_packets(path):
    data, off, pkts, cur = open(path, "rb").read(), 0, [], b""
    while off + 27 <= len(data) and data[off:off + 4] == b"OggS":
        nseg = data[off + 26]
        p = off + 27 + nseg
        for n in data[off + 27:off + 27 + nseg]:
            cur += data[p:p + n]
            p += n
            if n < 255:
                pkts.append(cur)
                cur = b""
        off = p
    return pkts


def opus(path, ogg):
    want = ogg_packets(ogg)
    head, got = None, []
    for t, ts, body in tags(path):
        if t != 8:
            continue
        fcc, pkt, pay = audio_info(body)
        if fcc != "Opus":
            continue
        if pkt == 0 and head is None:
            head = pay
        elif pkt == 1:
            got.append(pay)
    if not want or head != want[0]:
        print("flv-tool: the OpusHead differs (or none)", file=sys.stderr)
        return 1
    audio = want[2:]
    if not got or got[0] not in audio:
        print("flv-tool: no Opus packet of the Ogg file", file=sys.stderr)
        return 1
    i = audio.index(got[0])
    if audio[i:i + len(got)] != got:
        print("flv-tool: the Opus packets differ from the Ogg's",
              file=sys.stderr)
        return 1
    print(len(got))
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "summary":
        print(json.dumps(summary(sys.argv[2])))
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "trim":
        return trim(sys.argv[2])
    if len(sys.argv) == 3 and sys.argv[1] == "nals":
        return nals(sys.argv[2])
    if len(sys.argv) == 4 and sys.argv[1] == "hevc":
        return hevc(sys.argv[2], sys.argv[3])
    if len(sys.argv) == 4 and sys.argv[1] == "opus":
        return opus(sys.argv[2], sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
