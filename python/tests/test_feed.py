"""depthbook.Feed: the facade's feeds from Python, judged by the CLI (judge.py).

A replayed feed's update stream is exactly `depthbook replay --emit tob`'s lines and its
counters the CLI's; a live feed against the loopback exchange (`depthbook serve`) holds Live,
checksum-verified books that other Python threads read while the stream is consumed.
"""

import _thread
import threading
from decimal import Decimal

import pytest

import depthbook
from judge import CAPTURE, OKX, Served, cli

TWO = ["BTC-USDT", "BTC-USD-220527"]


def as_cli(pair):
    return None if pair is None else [str(pair[0]), str(pair[1])]


def test_replayed_feed_streams_the_cli_s_views_and_counters():
    expected, cli_counters = cli("replay", "--venue", "okx", "--emit", "tob", OKX)
    books = depthbook.Feed.replay("okx", TWO, [OKX]).start()
    assert (books.venue, books.symbols) == ("okx", TWO)
    updates = list(books.updates())
    counters = books.wait()
    views = [u for u in updates if "bid" in u]
    statuses = [u for u in updates if "state" in u]
    wanted = [line for line in expected if line["symbol"] in TWO]
    assert len(views) == len(wanted) > 100
    for view, line in zip(views, wanted):
        assert view["symbol"] == line["symbol"]
        assert [as_cli(view["bid"]), as_cli(view["ask"])] == [line["bid"], line["ask"]]
        assert (view["seq"], view["integrity"]) == (line["seq"], line["integrity"])
        assert isinstance(view["bid"][0], Decimal)
    assert [(s["symbol"], s["state"]) for s in statuses] == [
        ("BTC-USD-220527", "live"),
        ("BTC-USDT", "live"),
    ]
    assert counters["checksums_verified"] == counters["applied"] > 100
    assert counters["checksum_failures"] == cli_counters["checksum_failures"] == 0


def test_readers_hold_each_book_s_last_view_and_depth():
    expected, _ = cli("replay", "--venue", "okx", "--emit", "depth:5", OKX)
    books = depthbook.Feed.replay("okx", TWO, [OKX]).with_depth().start()
    books.wait()
    for symbol in TWO:
        last = [line for line in expected if line["symbol"] == symbol][-1]
        top = books.top(symbol)
        assert (top["state"], top["tradeable"], top["generation"]) == ("live", True, 1)
        assert as_cli(top["bid"]) == last["bids"][0]
        assert as_cli(top["ask"]) == last["asks"][0]
        depth = books.depth(symbol, 5)
        assert [as_cli(level) for level in depth["bids"]] == last["bids"]
        assert [as_cli(level) for level in depth["asks"]] == last["asks"]


def test_live_feed_against_the_loopback_exchange():
    with Served("okx", OKX) as server:
        feed = depthbook.Feed.live("okx", TWO, url=f"ws://{server.addr}/ws/v5/public")
        with feed.with_depth().start() as books:
            # Another thread reads the cells while this one consumes the stream: reads never
            # wait for the loop, nor for this thread's waits (the GIL is released in both).
            reads = []
            done = threading.Event()

            def reader():
                while not done.is_set():
                    reads.append(books.top("BTC-USDT"))
                    done.wait(0.001)

            thread = threading.Thread(target=reader)
            thread.start()
            views = []
            for update in books.updates(timeout=20):
                if "bid" in update:
                    views.append(update)
                if len(views) >= 100:
                    break
            done.set()
            thread.join()
            assert len(views) >= 100
            assert all(v["integrity"] == "checksummed" and v["recv_ns"] > 0 for v in views)
            assert reads and all(r["state"] in ("live", "awaiting_snapshot") for r in reads)
            top = books.top("BTC-USDT")
            assert top["state"] == "live" and top["bid"][0] < top["ask"][0]
            counters = books.stop()
        assert counters["checksum_failures"] == 0
        assert counters["checksums_verified"] >= 100
        # Stopped: nothing more to stop on leaving the block, and no second stop.
        with pytest.raises(depthbook.Error, match="already ended"):
            books.stop()


def test_a_wait_on_a_live_feed_is_interrupted_by_ctrl_c():
    # A live feed runs until stopped: Ctrl-C (here its simulation) ends the wait, not the feed.
    with Served("okx", OKX) as server:
        books = depthbook.Feed.live("okx", TWO, url=f"ws://{server.addr}/ws/v5/public").start()
        timer = threading.Timer(0.5, _thread.interrupt_main)
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            books.wait()
        timer.join()
        assert not books.is_finished()
        assert books.stop()["checksum_failures"] == 0


def test_errors_are_exceptions_with_the_rust_message():
    with pytest.raises(ValueError, match="unknown venue"):
        depthbook.Feed.replay("nowhere", TWO, [OKX])
    with pytest.raises(ValueError, match="unknown market"):
        depthbook.Feed.live("gateio", ["BTC_USDT"], market="options")
    with pytest.raises(depthbook.Error, match="cannot open"):
        depthbook.Feed.replay("okx", TWO, ["no/such/capture.txt"]).start()
    with pytest.raises(depthbook.Error, match="no symbols"):
        depthbook.Feed.replay("okx", [], [OKX]).start()
    books = depthbook.Feed.replay("binance-spot", ["BTCUSDT"], [CAPTURE]).start()
    with pytest.raises(KeyError, match="ETHUSDT"):
        books.top("ETHUSDT")
    with pytest.raises(ValueError, match="with_depth"):
        books.depth("BTCUSDT")
    assert books.wait()["published"] > 3000
    assert books.is_finished()
