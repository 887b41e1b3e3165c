"""depthbook: exact L2 order books from exchange feeds, live or replayed from recorded captures."""

from decimal import Decimal
from os import PathLike
from typing import TYPE_CHECKING, Iterator, Optional, Sequence, Tuple, Union, final

if TYPE_CHECKING:
    import pyarrow

Level = Tuple[Decimal, Decimal]
View = dict

VENUES: list[str]

@final
class Replay(Iterator[View]):
    """An iterator over a replay's views; `counters` is complete once it is exhausted."""

    def __iter__(self) -> "Replay": ...
    def __next__(self) -> View: ...
    @property
    def counters(self) -> dict[str, int]:
        """The CLI's counters line: lines, frames, skipped, events, applied, gaps, ..."""

def replay(
    venue: str,
    paths: Sequence[Union[str, PathLike]],
    symbols: Optional[Sequence[str]] = None,
    depth: Optional[int] = None,
    emit: str = "tob",
    statuses: bool = False,
    timestamps: bool = False,
) -> Replay:
    """Replays captures through depthbook's engine; yields one dict per view the CLI's
    `--emit` prints: line (and file with several paths), venue, symbol, seq, bid/ask (a pair of
    Decimal, or None) or bids/asks with emit="depth:N", integrity, crossed. With
    statuses=True also each state change (state "live"/"stale", reason, generation); with
    timestamps=True views carry recv_ns and exchange_ms, state changes recv_ns."""

def replay_table(
    venue: str,
    paths: Sequence[Union[str, PathLike]],
    symbols: Optional[Sequence[str]] = None,
    depth: Optional[int] = None,
    emit: str = "tob",
) -> "pyarrow.Table":
    """replay()'s views as a pyarrow.Table, one row a view; prices and sizes as exact decimal
    strings (bid_price, bid_size, ask_price, ask_size; or bids/asks lists with depth:N).
    Raises ImportError without pyarrow."""

class Error(Exception):
    """A feed that cannot start or that failed: the Rust error's message, with its causes."""

@final
class Feed:
    """A feed not started yet: a venue, its symbols, live or recorded. `start()` runs it."""

    @staticmethod
    def live(
        venue: str,
        symbols: Sequence[str],
        *,
        url: Optional[str] = None,
        rest_url: Optional[str] = None,
        depth: Optional[int] = None,
        market: str = "spot",
        channel: str = "default",
    ) -> "Feed":
        """The venue's live feed of `symbols`. `url`/`rest_url` connect elsewhere (a testnet,
        `depthbook serve`); `depth` is the subscribed depth where the venue asks for one;
        `market` "spot" or "usdt-futures"; `channel` "default", "mbp" (HTX) or "full" (Bybit)."""
    @staticmethod
    def replay(
        venue: str,
        symbols: Sequence[str],
        paths: Sequence[Union[str, PathLike]],
        *,
        depth: Optional[int] = None,
    ) -> "Feed":
        """A replay of recorded captures through the same engine and readers, as fast as the
        loop goes."""
    def with_depth(self) -> "Feed":
        """The same feed, also keeping each symbol's best 20 levels a side for
        `Books.depth`."""
    def updates(self, capacity: int = 4096, policy: str = "drop_newest") -> "Feed":
        """The same feed with `Books.updates()`'s capacity in views and its slow-consumer
        policy: "drop_newest" or "keep_latest". State changes are never dropped."""
    def start(self) -> "Books":
        """Starts the ingest loop on a thread of its own. Raises Error with the Rust error's
        message."""

@final
class Books:
    """A started feed: lock-free readers per symbol and the stream of updates. A `with`
    block stops the loop on leaving it."""

    @property
    def venue(self) -> str: ...
    @property
    def symbols(self) -> list[str]: ...
    def top(self, symbol: str) -> dict:
        """The latest top of book, read with the GIL released: venue, symbol, state ("live",
        "stale", "awaiting_snapshot"), reason, resync_in_flight, tradeable, then the last view
        published while Live (generation, seq, bid, ask as (Decimal, Decimal) or None,
        integrity, crossed, recv_ns, exchange_ms). Trade only on `tradeable`. KeyError for a
        symbol the feed does not track."""
    def depth(self, symbol: str, n: int = 20) -> dict:
        """The best `n` (at most 20) levels a side, read with the GIL released: state, reason,
        resync_in_flight, generation, seq, recv_ns, integrity, crossed, bids, asks. Needs
        `Feed.with_depth()` (ValueError otherwise)."""
    def updates(self, timeout: Optional[float] = None) -> "Updates":
        """Views (symbol, seq, bid, ask, integrity, crossed, recv_ns, exchange_ms, generation)
        and state changes (state, reason, generation) in order; waits with the GIL released;
        ends when the loop has ended and all was read, or after `timeout` seconds without an
        update."""
    def is_finished(self) -> bool: ...
    def wait(self) -> dict[str, int]:
        """Waits for a replay's end; returns the counters. Raises Error if the loop failed;
        Ctrl-C interrupts it (a live feed runs until stopped)."""
    def stop(self) -> dict[str, int]:
        """Stops the loop (a live feed disconnects); returns the counters."""
    def __enter__(self) -> "Books": ...
    def __exit__(self, exc_type: object, exc_value: object, traceback: object) -> bool: ...

@final
class Updates(Iterator[dict]):
    """`Books.updates()`: views and state changes as dicts, in order."""

    def __iter__(self) -> "Updates": ...
    def __next__(self) -> dict: ...
