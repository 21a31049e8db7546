"""Open an input for reading, decompressed when it is gzip or zstd: known by its first bytes, whatever its name."""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Callable
from typing import IO, Any, Protocol, cast

from ..errors import InputError

__all__ = [
    "DECOMPRESSION_ERRORS",
    "STDIN",
    "ZstdDamaged",
    "damaged",
    "decompressed",
    "open_input",
    "plain_name",
    "zstd_reader",
]

STDIN = "-"
"""The path that means standard input."""

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_COMPRESSED_SUFFIXES = (".gz", ".zst", ".zstd")


class ZstdDamaged(EOFError):
    """A zstd stream that is not whole: cut short, or not zstd after its first four bytes.

    An ``EOFError`` so that every reader that already names a damaged gzip file (``DECOMPRESSION_ERRORS``)
    names this one too."""


DECOMPRESSION_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)
"""What reading a damaged compressed file raises (``BadGzipFile`` is an ``OSError``: not the environment's
fault; ``ZstdDamaged`` is an ``EOFError``)."""


def damaged(display: str, exc: BaseException) -> InputError:
    """The one-line error for a compressed file that cannot be read to its end."""
    kind = "zstd" if isinstance(exc, ZstdDamaged) else "gzip"
    return InputError(display, None, f"not a readable {kind} file: {exc}")


def plain_name(path: str) -> str:
    """The name without a compression suffix, for what the suffix says of the format (``a.json.gz``)."""
    lower = path.lower()
    for suffix in _COMPRESSED_SUFFIXES:
        if lower.endswith(suffix):
            return path[: -len(suffix)]
    return path


def open_input(path: str) -> IO[bytes]:
    """A file (or ``-``, standard input) to read bytes from, decompressed when it is gzip or zstd (by its first
    bytes, whatever its name). ``OSError`` when it cannot be opened."""
    if path == STDIN:
        return decompressed(sys.stdin.buffer)
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] == GZIP_MAGIC:
        return cast(IO[bytes], gzip.open(path, "rb"))
    if head == ZSTD_MAGIC:
        return zstd_reader(open(path, "rb"))
    return open(path, "rb")


def decompressed(raw: IO[bytes]) -> IO[bytes]:
    """A stream that can be read only once (standard input, an object store's stream) decompressed when it is
    gzip or zstd, known by its first bytes (``raw.peek``: wrap it in ``io.BufferedReader`` first). The caller
    closes ``raw`` as well as what is returned (a gzip reader leaves it open)."""
    peek = getattr(raw, "peek", None)
    head = peek(4)[:4] if peek is not None else b""
    if head[:2] == GZIP_MAGIC:
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    if head == ZSTD_MAGIC:
        return zstd_reader(raw)
    return raw


# --- zstd ------------------------------------------------------------------------------------------------


class _Decompressor(Protocol):
    """What both zstd libraries' decompression objects offer (``compression.zstd`` and ``zstandard``)."""

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes) -> bytes: ...


_FEED = 2048
"""Compressed bytes handed to the decompressor at a time. zstd can expand 4 bytes into a 128 KiB block, so a
bomb could turn one 2 KiB feed into 64 MiB at most (the longest line we read anyway, ``MAX_LINE_BYTES``);
a text file gives a few KiB."""


def _zstd_library() -> tuple[Callable[[], _Decompressor], tuple[type[BaseException], ...]]:
    """A new decompression object, and the errors it raises: Python 3.14's own ``compression.zstd``, else the
    ``zstandard`` package (a dependency on older Pythons)."""
    try:
        from compression import zstd as stdlib_zstd  # type: ignore[import-not-found,unused-ignore]

        return cast(Callable[[], _Decompressor], stdlib_zstd.ZstdDecompressor), (stdlib_zstd.ZstdError,)
    except ImportError:
        pass
    from ..extras import require

    zstandard: Any = require("zstandard", "reading a zstd-compressed file", extra=None)
    return (lambda: zstandard.ZstdDecompressor().decompressobj()), (zstandard.ZstdError,)


class _ZstdRaw(io.RawIOBase):
    """A zstd stream (one frame or several, one after the other) decompressed as it is read.

    Written here rather than taken from ``zstandard.open``: that reader returns what it has when the file
    ends in the middle of a frame, and says nothing, so a file cut short in a copy would lose its last
    records silently. This one raises ``ZstdDamaged``.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self._new, self._errors = _zstd_library()
        self._decompressor = self._new()
        self._in_frame = False
        self._pending = b""
        self._out = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._out:
            if not self._fill():
                return 0
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _fill(self) -> bool:
        chunk = self._pending or self._raw.read(_FEED)
        self._pending = b""
        if not chunk:
            if self._in_frame:
                raise ZstdDamaged("the file ends in the middle of a zstd frame (cut short?)")
            return False
        try:
            out = self._decompressor.decompress(chunk)
        except self._errors as exc:
            raise ZstdDamaged(str(exc)) from None
        self._in_frame = True
        if self._decompressor.eof:  # the frame is whole: what follows is another one
            self._pending = self._decompressor.unused_data
            self._decompressor = self._new()
            self._in_frame = False
        self._out = memoryview(out)
        return True

    def close(self) -> None:
        if not self.closed and self._raw is not sys.stdin.buffer:
            self._raw.close()
        super().close()


def zstd_reader(raw: IO[bytes]) -> IO[bytes]:
    """``raw`` (zstd-compressed bytes) decompressed, buffered so that ``readline`` works."""
    return cast(IO[bytes], io.BufferedReader(_ZstdRaw(raw), buffer_size=1 << 16))
