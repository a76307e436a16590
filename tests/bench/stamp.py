#!/usr/bin/env python3
"""Raw video frames stamped with the time they were made, for glass-to-glass.

    tests/bench/stamp.py [--size 640x360] [--fps 30] [--seconds 60] \
        [--audio FIFO] | ffmpeg -f rawvideo -pix_fmt gray -s 640x360 -r 30 \
        -i - [-f s16le -ar 48000 -ac 1 -i FIFO] ...

Each frame is grey (a moving bar, so the encoder has work) with a row of
40 black or white 16x16 blocks across the top: the wall clock in
milliseconds modulo 2**32 (32 bits, most significant first) and the 8-bit
sum of its four bytes, so a misread block is caught.  The frame is made
and written at the moment the stamp says, paced to the frame rate.  A
reader (tests/browser/whep.mjs --stamp) takes the middle of each block,
white above 128.
"""
import argparse
import math
import sys
import threading
import time

BLOCK = 16
BITS = 40


def stamp_bits(ms):
    v = ms & 0xFFFFFFFF
    check = sum(v.to_bytes(4, "big")) & 0xFF
    word = (v << 8) | check
    return [(word >> (BITS - 1 - i)) & 1 for i in range(BITS)]


def audio(path, seconds):
    """A 440 Hz tone, 48 kHz mono s16le, written in real time in 10 ms
    pieces, as a camera's audio comes: steady, not in bursts."""
    rate, piece = 48000, 480
    out = open(path, "wb")
    start = time.time()
    n = 0
    while n * piece < seconds * rate:
        due = start + n * piece / rate
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        buf = bytearray()
        for k in range(piece):
            v = int(8000 * math.sin(2 * math.pi * 440 * (n * piece + k) / rate))
            buf += v.to_bytes(2, "little", signed=True)
        try:
            out.write(buf)
            out.flush()
        except BrokenPipeError:
            return
        n += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--fps", type=float, default=30)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--audio", metavar="FIFO",
                    help="also write a tone into FIFO (ffmpeg: -f s16le -ar 48000 -ac 1 -i FIFO)")
    a = ap.parse_args()
    if a.audio:
        threading.Thread(target=audio, args=(a.audio, a.seconds), daemon=True).start()
    w, h = (int(x) for x in a.size.split("x"))
    if w < BLOCK * BITS or h < BLOCK * 2:
        sys.exit("stamp.py: the frame must be at least %dx%d" % (BLOCK * BITS, BLOCK * 2))
    out = sys.stdout.buffer
    frame = bytearray(b"\x6e" * (w * h))
    grey = b"\x6e" * w
    period = 1.0 / a.fps
    start = time.time()
    n = 0
    while n < a.seconds * a.fps:
        due = start + n * period
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        x = int((n * 7) % (w - 24))
        for y in range(BLOCK * 2, h):
            row = y * w
            frame[row:row + w] = grey
            frame[row + x:row + x + 24] = b"\xc8" * 24
        ms = int(time.time() * 1000)
        line = b"".join((b"\xff" if bit else b"\x00") * BLOCK
                        for bit in stamp_bits(ms))
        line += b"\x80" * (w - len(line))
        for y in range(BLOCK):
            frame[y * w:(y + 1) * w] = line
            frame[(y + BLOCK) * w:(y + BLOCK + 1) * w] = b"\x80" * w
        try:
            out.write(frame)
            out.flush()
        except BrokenPipeError:
            return
        n += 1


if __name__ == "__main__":
    main()
