"""Stub of the optional C extension ``tickwire.adapters.kucoin._kucoin`` (issue 12): the
KuCoin level2 increment path in C (sources in ``adapters/kucoin/csrc``; the loader is
:data:`tickwire.adapters.kucoin.book.EXTENSION`)."""

from collections.abc import Callable, Mapping
from typing import Any

def handler(
    fallback: Callable[[Any, bytes, int], None],
    socket: object,
    shard: object,
    taps: object,
    books: Mapping[str, Any],
    events: object,
    /,
) -> Callable[[bytes, int], None]:
    """A shard socket's ``on_frame``. A ``trade.l2update`` push in KuCoin's shape for a
    book of ``books`` (a dict, native symbol → KucoinBook) that is synced, with no refused
    increment pending, whose increment starts right after the book's sequence, on the
    shard's primary socket with no tap installed: recorded in ``socket.session.activity``,
    applied to the book and its BookUpdate pushed to ``events.push``, as
    RoutedSocket.on_frame, KucoinClient._on_level2 and SequencedBook.apply would. Any
    other frame, or an odd one (nothing touched): ``fallback(socket, frame, received)``
    (``RoutedSocket.on_frame`` itself)."""
