#!/usr/bin/env python3
"""Seeds fuzz/corpus/engine and fuzz/corpus/fast_path from the real captures in fixtures/, and
fuzz/corpus/capture_mutations.

Each `engine` corpus file is one venue byte (its index in `Venue::ALL`) followed by up to eight
consecutive frames of that venue's capture, one a line, as the `engine` target reads them.

Each `fast_path` corpus file is one venue byte followed by one frame of that venue's captures
(the target splits at newlines too): every kind of frame each capture holds, a few of each.

Each `capture_mutations` corpus file is one feed byte (its index in testkit's REFERENCE_FEEDS,
whose captures that target loads itself), a 2-byte base line and 6-byte mutations at offsets
from it: the clean feed, then each kind of mutation once at a few places, then a fault followed
by a healing snapshot.
Run from anywhere: `python3 fuzz/seed_corpus.py`.
"""
import gzip
import hashlib
import os
import re
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Index = position in depthbook_venues::Venue::ALL.
CAPTURES = [
    (0, "binance_spot/cryptofeed_BINANCE.ws.1.0.txt"),
    (0, "binance_spot/hftbacktest_spot_btcusdt_20240808.gz"),
    (1, "binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz"),
    (2, "okx/cryptofeed_OKX.ws.1.0.txt"),
    (3, "kraken/kraken_v2_btcusd_depth10.ndjson"),
    (4, "kraken/cryptofeed_KRAKEN.ws.50.0.txt"),
    (5, "bybit/bybit_derived_from_binance_spot_btcusdt_20240808.txt.gz"),
    (5, "bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt"),
    (6, "coinbase/coinbase_advanced_derived_from_exchange_20210417.txt.gz"),
    (7, "coinbase/cryptofeed_COINBASE.ws.28.0.txt.gz"),
    (8, "bitfinex/cryptofeed_BITFINEX.ws.11.0.txt"),
    (9, "deribit/cryptofeed_DERIBIT.ws.1.0.txt"),
    (10, "gateio/cryptofeed_GATEIO.ws.1.0.txt"),
    (11, "bitget/cryptofeed_BITGET.ws.1.0.txt.gz"),
    (12, "htx/cryptofeed_HUOBI.ws.44.0.txt.gz"),
]
PER_CAPTURE = 60
FRAMES_PER_SEED = 8


def lines(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.splitlines()


def payload(line):
    """The frame a capture line carries, or None for lines that are not server frames."""
    if line[:1] in (b"{", b"["):
        return line
    head, _, rest = line.partition(b" ")
    if re.fullmatch(rb"\d{19}", head) and rest[:1] in (b"{", b"["):
        return rest
    if head.endswith(b":") and rest[:1] in (b"{", b"["):
        return rest
    if head.endswith(b":") and rest.startswith(b"b'"):
        try:
            return eval(rest)  # a Python bytes literal written by cryptofeed
        except Exception:
            return None
    return None


def main():
    out = os.path.join(ROOT, "fuzz", "corpus", "engine")
    os.makedirs(out, exist_ok=True)
    written = 0
    for venue, rel in CAPTURES:
        frames = [f for f in (payload(l) for l in lines(os.path.join(ROOT, "fixtures", rel))) if f]
        step = max(1, len(frames) // PER_CAPTURE)
        for start in range(0, len(frames), step):
            seed = bytes([venue]) + b"\n".join(frames[start : start + FRAMES_PER_SEED])
            name = hashlib.sha1(seed).hexdigest()
            with open(os.path.join(out, name), "wb") as f:
                f.write(seed)
            written += 1
    print(f"{written} seeds in {out}")
    fast_path_seeds()
    mutation_seeds()


def fast_path_seeds():
    """One frame a seed, from every capture; at most four frames of each shape (the text up to
    the first level), so the fast path's shapes and all the others are there."""
    out = os.path.join(ROOT, "fuzz", "corpus", "fast_path")
    os.makedirs(out, exist_ok=True)
    written = 0
    for venue, rel in CAPTURES:
        shapes = {}
        for frame in (payload(l) for l in lines(os.path.join(ROOT, "fixtures", rel))):
            if not frame:
                continue
            shape = re.sub(rb"\d+", b"0", frame[:80])
            if shapes.get(shape, 0) >= 4:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            seed = bytes([venue]) + frame
            with open(os.path.join(out, hashlib.sha1(seed).hexdigest()), "wb") as f:
                f.write(seed)
            written += 1
    print(f"{written} seeds in {out}")


# testkit's REFERENCE_FEEDS; mutation kinds as capture_mutations decodes them (byte % 7).
FEEDS = 14
DROP, DUPLICATE, SWAP, TRUNCATE, CORRUPT, SPLICE, INJECT = range(7)


def mutation(kind, offset, param):
    """One 6-byte mutation: kind, line offset from the input's base line, parameter."""
    return bytes([kind, offset]) + struct.pack("<I", param)


def seed(feed, base, *mutations):
    return bytes([feed]) + struct.pack("<H", base) + b"".join(mutations)


def mutation_seeds():
    out = os.path.join(ROOT, "fuzz", "corpus", "capture_mutations")
    os.makedirs(out, exist_ok=True)
    seeds = []
    for feed in range(FEEDS):
        seeds.append(seed(feed, 0))
        for kind in range(7):
            for base in (0, 40, 90, 150):
                seeds.append(seed(feed, base, mutation(kind, 3, 0x05000000 + base * 7919)))
        for base in (60, 120):
            # A lost line, then a healing snapshot of every instrument a little later.
            heal = [mutation(INJECT, 12, i) for i in range(4)]
            seeds.append(seed(feed, base, mutation(DROP, 0, 0), *heal))
    for data in seeds:
        with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds in {out}")


if __name__ == "__main__":
    main()
