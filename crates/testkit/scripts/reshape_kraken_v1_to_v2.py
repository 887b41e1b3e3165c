#!/usr/bin/env python3
"""Rewrites the Kraken v1 capture as Kraken WebSocket v2 messages (fixtures/README.md).

No long real v2 `book` recording exists in the samples (the real one has 4 messages), so the
v1 capture (10 pairs, depth 1000, 4269 checksummed updates) is reshaped, keeping every book
change and every checksum:

- each pair's `instrument` precisions are the decimals its v1 levels are written with, so a
  v2 checksum (numbers spelled at the instrument's precision) equals the v1 one (numbers as
  sent): the CRCs carry over unchanged;
- numbers become JSON numbers in their shortest form (`152.72`, `0.005`, `0`), as Kraken v2
  sends them, so a client must spell them at the precision to verify;
- `subscriptionStatus` becomes the v2 `book` subscribe ack (with the depth), preceded by one
  `instrument` snapshot; `heartbeat` and `systemStatus` become their v2 forms; a v1 update
  split over two objects (asks, then bids with the checksum) becomes one v2 update.

Usage (from the repository root):
  python3 crates/testkit/scripts/reshape_kraken_v1_to_v2.py < fixtures/kraken/cryptofeed_KRAKEN.ws.50.0.txt \
    | gzip -9n > fixtures/kraken/kraken_v2_derived_from_v1_20210417.txt.gz
"""

import json
import sys
from datetime import datetime, timezone


def shortest(text):
    """A decimal string in its shortest form, as a JSON number token."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def iso(secs):
    whole, _, frac = secs.partition(".")
    stamp = datetime.fromtimestamp(int(whole), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{(frac + '000000')[:6]}Z"


def decimals(text):
    return len(text.partition(".")[2])


def levels(rows):
    return "[" + ",".join(
        f'{{"price":{shortest(r[0])},"qty":{shortest(r[1])}}}' for r in rows
    ) + "]"


def main():
    lines = sys.stdin.read().splitlines()
    # First pass: each pair's precisions, from its snapshot.
    precision = {}
    for line in lines:
        head, sep, body = line.partition(": ")
        if not sep or not body.startswith("["):
            continue
        msg = json.loads(body)
        for part in msg[1:-2]:
            if "as" in part or "bs" in part:
                rows = part.get("as", []) + part.get("bs", [])
                precision.setdefault(
                    msg[-1], (max(decimals(r[0]) for r in rows), max(decimals(r[1]) for r in rows))
                )
    instrument_sent = False
    out = []
    for line in lines:
        if " <-> " in line:
            url, _, ts = line.partition(" <-> ")
            out.append(f"{url}/v2 <-> {ts}")
            continue
        if " <- " in line:
            continue
        ts, sep, body = line.partition(": ")
        if not sep:
            continue
        msg = json.loads(body)
        if isinstance(msg, dict):
            event = msg.get("event")
            if event == "heartbeat":
                out.append(f'{ts}: {{"channel":"heartbeat"}}')
            elif event == "systemStatus":
                data = {"version": "2.0.0", "system": msg["status"], "api_version": "v2",
                        "connection_id": msg["connectionID"]}
                out.append(f"{ts}: " + json.dumps(
                    {"channel": "status", "type": "update", "data": [data]}, separators=(",", ":")))
            elif event == "subscriptionStatus" and msg.get("status") == "subscribed":
                if not instrument_sent:
                    pairs = [{"symbol": s, "price_precision": p, "qty_precision": q}
                             for s, (p, q) in precision.items()]
                    out.append(f"{ts}: " + json.dumps(
                        {"channel": "instrument", "type": "snapshot",
                         "data": {"assets": [], "pairs": pairs}}, separators=(",", ":")))
                    instrument_sent = True
                result = {"channel": "book", "depth": msg["subscription"]["depth"],
                          "snapshot": True, "symbol": msg["pair"]}
                out.append(f"{ts}: " + json.dumps(
                    {"method": "subscribe", "result": result, "success": True,
                     "time_in": iso(ts), "time_out": iso(ts)}, separators=(",", ":")))
            continue
        pair = msg[-1]
        asks, bids, checksum, snapshot, stamps = [], [], None, False, []
        for part in msg[1:-2]:
            snapshot |= "as" in part or "bs" in part
            asks += part.get("as", []) + part.get("a", [])
            bids += part.get("bs", []) + part.get("b", [])
            checksum = part.get("c", checksum)
        stamps = [r[2] for r in asks + bids]
        entry = f'{{"symbol":{json.dumps(pair)},"bids":{levels(bids)},"asks":{levels(asks)}'
        if checksum is not None:
            entry += f',"checksum":{int(checksum)}'
        entry += f',"timestamp":"{iso(max(stamps, key=float) if stamps else ts)}"}}'
        kind = "snapshot" if snapshot else "update"
        out.append(f'{ts}: {{"channel":"book","type":"{kind}","data":[{entry}]}}')
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
