"""depthbook: exact L2 order books from exchange feeds, replayed from recorded captures."""

from decimal import Decimal
from os import PathLike
from typing import TYPE_CHECKING, Iterator, Optional, Sequence, Tuple, Union

if TYPE_CHECKING:
    import pyarrow

Level = Tuple[Decimal, Decimal]
View = dict

VENUES: list[str]

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
