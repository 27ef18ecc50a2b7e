"""Errors of the recording format, all under :class:`~tickwire.core.errors.TickwireError`::

    TickwireError
     └── RecordingError                     a recording cannot be written or read
          ├── RecordingCorrupt(path, offset, reason)   damage found at a byte offset
          │    └── RecordingTruncated       the file ends inside a block (a crash, a copy
          │                                 taken while recording, a cut file)
          └── UnsupportedRecording          written by a newer format version

The reader raises them *after* yielding every record of the intact blocks before the
damage, so a replay stops exactly where the good data ends and says where that is.
"""

from __future__ import annotations

from pathlib import Path

from tickwire.core.errors import TickwireError

__all__ = [
    "RecordingCorrupt",
    "RecordingError",
    "RecordingTruncated",
    "UnsupportedRecording",
]


class RecordingError(TickwireError):
    """A recording could not be written or read."""


class RecordingCorrupt(RecordingError):
    """The file is damaged at ``offset`` (bytes from the start of ``path``).

    Every record before ``offset`` was delivered; nothing at or after it was.
    """

    def __init__(self, path: str | Path, offset: int, reason: str) -> None:
        self.path = Path(path)
        self.offset = offset
        self.reason = reason
        super().__init__(f"{self.path}: damaged at byte {offset}: {reason}")

    def __reduce__(self) -> tuple[type[RecordingCorrupt], tuple[Path, int, str]]:
        return (type(self), (self.path, self.offset, self.reason))


class RecordingTruncated(RecordingCorrupt):
    """The file ends inside a block: typically the unflushed tail of a crashed writer."""


class UnsupportedRecording(RecordingError):
    """The file was written by a newer, incompatible version of the format."""
