"""Line framing with a bounded buffer.

Stratum V1 is one JSON object per line. Lines end with "\\n"; a "\\r" before it
and blank lines are tolerated. A line longer than `max_line_length` bytes (every
byte but the final "\\n" counts) is reported once, as soon as the excess is seen,
and its remaining bytes are dropped up to the next newline. The framer thus holds
at most `max_line_length` bytes of an incomplete line plus the complete lines of
the last chunk that the caller has not taken yet.
"""

from __future__ import annotations

from collections import deque

from loka_stratum.protocol.errors import ProtocolErrorKind, RemoteProtocolError

DEFAULT_MAX_LINE_LENGTH = 16 * 1024
"""16 KiB: a notify with a full merkle branch and a large coinbase is well under 4 KiB."""


class LineFramer:
    """Splits received bytes into lines; the state is the unfinished tail and a queue."""

    __slots__ = ("_discarding", "_lines", "_max", "_queued", "_tail")

    def __init__(self, max_line_length: int = DEFAULT_MAX_LINE_LENGTH) -> None:
        if max_line_length < 1:
            raise ValueError(f"max_line_length must be positive, got {max_line_length}")
        self._max = max_line_length
        self._tail = b""
        self._lines: deque[bytes | None] = deque()  # None marks an over-long line
        self._queued = 0
        self._discarding = False

    @property
    def buffered_size(self) -> int:
        """Bytes held: queued complete lines plus the unfinished tail."""
        return self._queued + len(self._tail)

    def feed(self, data: bytes) -> None:
        """Take a chunk; complete lines are queued, the tail is kept (bounded)."""
        if self._tail:
            data = self._tail + data
        lines = data.split(b"\n")
        tail = lines.pop()
        for line in lines:
            if self._discarding:  # the end of an over-long line already reported
                self._discarding = False
            elif len(line) > self._max:
                self._lines.append(None)
            elif line and not line.isspace():
                self._lines.append(line)
                self._queued += len(line)
        if self._discarding or len(tail) <= self._max:
            self._tail = b"" if self._discarding else tail
            return
        self._lines.append(None)
        self._tail = b""
        self._discarding = True

    def finish(self) -> None:
        """End of stream: a last line without its newline still counts."""
        if self._tail and not self._discarding and not self._tail.isspace():
            self._lines.append(self._tail)
            self._queued += len(self._tail)
        self._tail = b""
        self._discarding = False

    def next_line(self) -> bytes | None:
        """The next complete line, or None when none is queued.

        Raises `RemoteProtocolError` (fatal, kind LINE_TOO_LONG) in place of an
        over-long line.
        """
        if not self._lines:
            return None
        line = self._lines.popleft()
        if line is None:
            raise RemoteProtocolError(
                ProtocolErrorKind.LINE_TOO_LONG,
                f"line longer than {self._max} bytes",
                fatal=True,
            )
        self._queued -= len(line)
        return line
