"""Mid price, spread and Stale intervals of a book replayed from a capture, drawn as a PNG.

    python python/examples/spread.py                      # a bundled Binance spot recording
    python python/examples/spread.py CAPTURE VENUE SYMBOL [--out spread.png]

Needs `pip install ./python matplotlib`. Every point is a view depthbook published while the
book was Live; the shaded spans are the times it was Stale (a gap, a checksum mismatch, a
disconnect), when depthbook publishes nothing rather than a book it cannot vouch for.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import depthbook  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# A recording of `depthbook live` against the loopback exchange replaying the real Binance
# capture with two frames lost and the connection cut once (fixtures/README.md): three Stale
# intervals, each until the resync's REST snapshot arrived.
DEFAULT = ROOT / "fixtures/binance_spot/depthbook_live_btcusdt_faults_20261207.txt.gz"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", nargs="?", default=str(DEFAULT))
    parser.add_argument("venue", nargs="?", default="binance-spot")
    parser.add_argument("symbol", nargs="?", default="BTCUSDT")
    parser.add_argument("--out", default=str(Path(__file__).with_name("spread.png")))
    args = parser.parse_args()

    times, mids, spreads, stale, views = [], [], [], [], 0
    start = None
    stale_since, reason = None, None
    for item in depthbook.replay(
        args.venue, [args.capture], symbols=[args.symbol], statuses=True, timestamps=True
    ):
        t = item["recv_ns"] / 1e9
        start = t if start is None else start
        if "state" in item:
            if item["state"] == "stale" and stale_since is None:
                stale_since, reason = t - start, item["reason"]
                # A break in the lines: nothing is drawn while the book is Stale.
                times.append(t - start)
                mids.append(float("nan"))
                spreads.append(float("nan"))
            elif item["state"] == "live" and stale_since is not None:
                stale.append((stale_since, t - start, reason))
                stale_since = None
            continue
        if item["bid"] is None or item["ask"] is None:
            continue
        views += 1
        bid, ask = item["bid"][0], item["ask"][0]
        times.append(t - start)
        mids.append(float((bid + ask) / 2))  # floats for the plot only
        spreads.append(float(ask - bid))
    if stale_since is not None and times:
        stale.append((stale_since, times[-1], reason))

    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(10, 6), height_ratios=[3, 1])
    top.plot(times, mids, lw=0.8, color="tab:blue")
    top.set_ylabel("mid price")
    bottom.step(times, spreads, lw=0.8, color="tab:orange", where="post")
    bottom.set_ylabel("spread")
    bottom.set_xlabel("seconds of receive time")
    for axis in (top, bottom):
        for begin, end, _ in stale:
            axis.axvspan(begin, end, color="tab:red", alpha=0.2, lw=0)
        axis.grid(alpha=0.3)
    for begin, end, reason in stale:
        top.annotate(
            f"Stale: {reason}",
            xy=((begin + end) / 2, 1),
            xycoords=("data", "axes fraction"),
            xytext=(0, -12),
            textcoords="offset points",
            ha="center",
            fontsize=8,
            color="tab:red",
        )
    note = f"{len(stale)} Stale interval(s) shaded" if stale else "Live throughout: no Stale interval"
    top.set_title(f"{args.venue} {args.symbol}: {views} views ({note})")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}: {views} views, {len(stale)} Stale intervals")


if __name__ == "__main__":
    main()
