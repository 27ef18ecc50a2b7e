"""Recording: an append-only, compressed, crash-safe log of the raw frames a client got.

A recording keeps what a replay needs to run the same adapter code again: every raw
frame with its socket and local receive time, and the boundaries around them
(connects, subscriptions, REST snapshots, disconnects, status notes)::

    from tickwire.core.recording import RecordingWriter, read_recording

    with RecordingWriter("rec/", venue="kucoin", config=config) as rec:
        rec.connect("public", url)                  # the token in the query is dropped
        rec.frame("public", received_ns, raw_bytes) # the hot path: appends in memory
    for record in read_recording("rec/"):           # every rotated file, in order
        match record:
            case Frame(session, received, data, text): ...

Files are sequences of zstandard-compressed, CRC-checked blocks (layout drawn in
``_format``); records are MessagePack arrays (schemas and the JSON-vs-MessagePack choice
in ``_records``); writer design (hot path, writer thread, crash safety) in
``_writer``, file rotation in ``_files``; damage handling in ``_reader``. Needs the ``record`` extra
(``pip install 'tickwire[record]'``) for ``zstandard``.

Normalized events export to Parquet through :mod:`tickwire.core.recording.parquet`
(the ``parquet`` extra); it is not imported here, so recording never needs pyarrow.
"""

from tickwire.core.recording._errors import *  # noqa: F403
from tickwire.core.recording._errors import __all__ as _errors_all
from tickwire.core.recording._format import SUFFIX, file_name
from tickwire.core.recording._reader import *  # noqa: F403
from tickwire.core.recording._reader import __all__ as _reader_all
from tickwire.core.recording._records import *  # noqa: F403
from tickwire.core.recording._records import __all__ as _records_all
from tickwire.core.recording._writer import *  # noqa: F403
from tickwire.core.recording._writer import __all__ as _writer_all

__all__ = ["SUFFIX", "file_name", *_errors_all, *_reader_all, *_records_all, *_writer_all]
