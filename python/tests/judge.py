"""The judge every test compares with: the `depthbook` command line.

DEPTHBOOK_BIN names its binary (.ci/run sets it); without it the CLI runs through
`cargo run --release`.
"""

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = str(ROOT / "fixtures/binance_spot/hftbacktest_spot_btcusdt_20240808.gz")
OKX = str(ROOT / "fixtures/okx/cryptofeed_OKX.ws.1.0.txt")
# `depthbook live` recorded against the loopback exchange with frames lost and the connection
# cut (fixtures/README.md): Stale three times.
FAULTS = str(ROOT / "fixtures/binance_spot/depthbook_live_btcusdt_faults_20261207.txt.gz")


def run(*args):
    """Runs the CLI; returns the finished process (its output as text)."""
    binary = os.environ.get("DEPTHBOOK_BIN")
    command = [binary] if binary else ["cargo", "run", "--release", "--quiet", "--"]
    return subprocess.run(
        command + list(args), cwd=ROOT, capture_output=True, text=True, check=True
    )


def cli(*args):
    """Runs the CLI; returns its JSON lines and its counters line."""
    done = run(*args)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    counters = json.loads(done.stderr.strip().splitlines()[-1])
    return lines, counters


class Served:
    """`depthbook serve --port 0`: the loopback exchange replaying a capture; `addr` is its
    host:port. Stopped on leaving the `with` block."""

    def __init__(self, venue, capture, *faults):
        binary = os.environ.get("DEPTHBOOK_BIN")
        command = [binary] if binary else ["cargo", "run", "--release", "--quiet", "--"]
        self.process = subprocess.Popen(
            command + ["serve", "--port", "0", "--venue", venue, *faults, capture],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = self.process.stderr.readline()
        if "ws://" not in first:
            self.process.kill()
            raise RuntimeError(f"serve did not start: {first!r}")
        self.addr = first.split("ws://")[1].split()[0]

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.process.kill()
        self.process.wait()
