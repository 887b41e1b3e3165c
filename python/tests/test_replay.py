"""depthbook.replay yields exactly the views `depthbook replay --emit` prints.

The CLI is the judge: DEPTHBOOK_BIN names its binary (.ci/run sets it); without it the test
runs it through `cargo run --release`.
"""

from decimal import Decimal

import pytest

import depthbook
from judge import CAPTURE, FAULTS, OKX, ROOT, cli


def as_cli(view):
    """A view with its decimals as the CLI writes them."""
    out = dict(view)
    for key in ("bid", "ask"):
        if key in out and out[key] is not None:
            out[key] = [str(out[key][0]), str(out[key][1])]
    for key in ("bids", "asks"):
        if key in out:
            out[key] = [[str(p), str(s)] for p, s in out[key]]
    return out


def test_top_of_book_views_are_the_cli_s_lines():
    expected, expected_counters = cli("replay", "--venue", "binance-spot", "--emit", "tob", CAPTURE)
    replay = depthbook.replay("binance-spot", [CAPTURE])
    views = list(replay)
    assert len(views) == len(expected) > 3000
    assert [as_cli(v) for v in views] == expected
    assert replay.counters == expected_counters


def test_prices_and_sizes_are_exact_decimals():
    view = next(iter(depthbook.replay("binance-spot", [CAPTURE])))
    price, size = view["bid"]
    assert isinstance(price, Decimal) and isinstance(size, Decimal)
    assert price == Decimal("61837.63")


def test_depth_views_and_symbols():
    expected, _ = cli(
        "replay", "--venue", "okx", "--emit", "depth:5", "--symbol", "BTC-USDT", OKX
    )
    views = list(depthbook.replay("okx", [OKX], symbols=["BTC-USDT"], emit="depth:5"))
    assert [as_cli(v) for v in views] == expected
    assert all(v["symbol"] == "BTC-USDT" and len(v["bids"]) <= 5 for v in views)


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="unknown venue"):
        depthbook.replay("nowhere", [CAPTURE])
    with pytest.raises(ValueError, match="depth:N"):
        depthbook.replay("okx", [OKX], emit="depth:0")
    with pytest.raises(ValueError, match="cannot read"):
        depthbook.replay("okx", [str(ROOT / "no/such/capture.txt")])
    assert "binance-spot" in depthbook.VENUES


def test_replay_table_holds_the_same_views_as_exact_strings():
    import pyarrow  # .ci/run installs it: a missing pyarrow fails here, never skips
    table = depthbook.replay_table("binance-spot", [CAPTURE])
    assert isinstance(table, pyarrow.Table)
    views = list(depthbook.replay("binance-spot", [CAPTURE]))
    assert table.num_rows == len(views)
    assert table.schema.field("bid_price").type == pyarrow.string()
    rows = table.to_pylist()
    for row, view in zip(rows, views):
        assert row["line"] == view["line"] and row["seq"] == view["seq"]
        assert (Decimal(row["bid_price"]), Decimal(row["bid_size"])) == view["bid"]
        assert (Decimal(row["ask_price"]), Decimal(row["ask_size"])) == view["ask"]
    depth = depthbook.replay_table("okx", [OKX], symbols=["BTC-USDT"], emit="depth:3")
    first = depth.to_pylist()[0]
    assert first["symbol"] == "BTC-USDT" and 0 < len(first["bids"]) <= 3


def test_state_changes_and_timestamps_when_asked():
    items = list(
        depthbook.replay("binance-spot", [CAPTURE], statuses=True, timestamps=True)
    )
    first = items[0]
    assert first["state"] == "live" and first["reason"] is None and first["generation"] == 1
    views = [i for i in items if "state" not in i]
    assert len(views) == len(list(depthbook.replay("binance-spot", [CAPTURE])))
    assert all(v["recv_ns"] > 1_600_000_000_000_000_000 for v in views)
    assert all(isinstance(v["exchange_ms"], int) for v in views)


def test_a_recording_with_faults_shows_each_stale_interval():
    # Two frames lost, then the connection cut: Stale with each reason until the resync's
    # snapshot, a new generation each time, and no view while Stale.
    expected, counters = cli("replay", "--venue", "binance-spot", "--emit", "tob", FAULTS)
    items = list(depthbook.replay("binance-spot", [FAULTS], statuses=True, timestamps=True))
    states = [(i["state"], i["reason"], i["generation"]) for i in items if "state" in i]
    assert states == [
        ("live", None, 1),
        ("stale", "gap", 1),
        ("live", None, 2),
        ("stale", "gap", 2),
        ("live", None, 3),
        ("stale", "disconnect", 3),
        ("live", None, 4),
    ]
    views = [as_cli(i) for i in items if "state" not in i]
    for view in views:
        del view["recv_ns"], view["exchange_ms"]
    assert views == expected
    assert (counters["gaps"], counters["resyncs"]) == (2, 3)
    # Nothing is published between a book going Stale and its next Live.
    live = True
    for item in items:
        if "state" in item:
            live = item["state"] == "live"
        else:
            assert live, item
