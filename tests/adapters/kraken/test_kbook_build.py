"""The optional C extension: built where CI says it must be, switched off by
``TICKWIRE_NO_EXTENSIONS``, and its CRC32 equal to zlib's."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import zlib

import pytest

from tickwire.adapters.kraken import book as book_module

PROBE = (
    "import tickwire.adapters.kraken.book as b, tickwire.adapters.kraken.client as c; "
    "print(b.EXTENSION is not None, c.fast_feed is not None)"
)


def probe(**env: str) -> str:
    """What a fresh interpreter with ``env`` added sees."""
    environment = {k: v for k, v in os.environ.items() if k != "TICKWIRE_NO_EXTENSIONS"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI must prove the extension was built")
def test_ci_built_the_extension() -> None:
    from tickwire.adapters.kraken import _kbook  # ImportError: the build failed silently

    assert probe() == "True True", _kbook.__file__


def test_the_environment_switch_forces_the_python_path() -> None:
    assert probe(TICKWIRE_NO_EXTENSIONS="1") == "False False"
    assert probe(TICKWIRE_NO_EXTENSIONS="0") == probe()


@pytest.mark.skipif(book_module.EXTENSION is None, reason="the C extension is not in use")
def test_the_switch_is_off_here_and_the_extension_is_in_use() -> None:
    assert probe() == "True True"


@pytest.mark.skipif(book_module.EXTENSION is None, reason="the C extension is not in use")
def test_crc32_equals_zlib() -> None:
    crc32 = book_module.EXTENSION.crc32  # type: ignore[union-attr]
    rng = random.Random(12)
    for size in [*range(200), 255, 256, 1000, 4096]:
        data = rng.randbytes(size)
        start = rng.randrange(2**32)
        assert crc32(data, start) == zlib.crc32(data, start)
        assert crc32(data) == zlib.crc32(data)


@pytest.mark.skipif(book_module.EXTENSION is None, reason="the C extension is not in use")
def test_the_book_type_refuses_what_it_cannot_mirror() -> None:
    from tickwire.adapters.kraken.book import KrakenBook

    Book = book_module.EXTENSION.Book  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        Book(KrakenBook("A/B", 10), 31, 2)
    with pytest.raises((TypeError, AttributeError)):  # not an OrderBook
        Book(object(), 2, 8)
    book = KrakenBook("A/B", 10, price_precision=2, qty_precision=8)
    assert book.c_book is not None and not book.c_book.valid
    assert book.c_book.load() is False  # not synced: nothing to mirror


@pytest.mark.skipif(book_module.EXTENSION is None, reason="the C extension is not in use")
def test_feed_leaves_what_is_not_a_kraken_book_to_the_python_path() -> None:
    from tickwire.core.book import OrderBook

    feed = book_module.EXTENSION.feed  # type: ignore[union-attr]
    frame = (
        b'{"channel":"book","type":"update","data":[{"symbol":"A/B","bids":[],"asks":[],'
        b'"checksum":0}]}'
    )
    pushed: list[object] = []
    activity: dict[object, int] = {}
    for books in ({}, {"A/B": OrderBook("kraken", "A/B")}, {"A/B": None}):
        assert feed(books, frame, 1, pushed.append, activity) is NotImplemented
    assert feed({}, bytearray(frame), 1, pushed.append, activity) is NotImplemented
    with pytest.raises(TypeError):
        feed({}, frame, 1, pushed.append)
    assert not pushed and not activity
