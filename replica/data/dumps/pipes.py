"""Client programs on pipes, nothing on disk: pg_dump read as a stream, psql fed one, a reader
thread over a pipe. Each says in one line why it failed, with its messages redacted."""
from __future__ import annotations

import os
import subprocess
import threading
from contextlib import contextmanager
from typing import BinaryIO, Callable, Iterator

from ...core.redact import Redactor
from ..errors import DataError, SourceError

STDERR_KEPT = 16 << 10  # the tail of a program's messages kept for its error (in memory)
SHOWN = 500


class _Tail(threading.Thread):
    """Read a program's stderr as it comes (a full pipe would stall it), keeping the tail."""

    def __init__(self, stream: BinaryIO):
        super().__init__(daemon=True)
        self.stream, self.data = stream, b""
        self.start()

    def run(self) -> None:
        while chunk := self.stream.read1(1 << 14):
            self.data = (self.data + chunk)[-STDERR_KEPT:]

    def text(self, redactor: Redactor) -> str:
        self.join()
        lines = self.data.decode(errors="replace").strip().splitlines()
        return redactor.text(" ".join(line.strip() for line in lines))[-SHOWN:]


class _Watched:
    """A readable stream that remembers whether its end was reached."""

    def __init__(self, raw: BinaryIO):
        self.raw, self.ended = raw, False

    def read(self, size: int = -1) -> bytes:
        data = self._seen(self.raw.read(size))
        self.ended = self.ended or size is None or size < 0  # read to the end
        return data

    def readline(self, size: int = -1) -> bytes:
        return self._seen(self.raw.readline(size))

    def _seen(self, data: bytes) -> bytes:
        self.ended = self.ended or not data
        return data


@contextmanager
def reading(command: list[str], env: dict[str, str], redactor: Redactor,
            what: str) -> Iterator[BinaryIO]:
    """Run a program whose stdout is read in the block; raise SourceError if it fails.

    When the block fails before the output ended, the program is stopped; when it fails because
    the output ended early, the program's own failure is the error reported."""
    proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=1 << 20)
    tail, out = _Tail(proc.stderr), _Watched(proc.stdout)
    try:
        yield out
    except BaseException:
        if not out.ended:
            proc.kill()
        if proc.wait() != 0 and out.ended:
            raise SourceError(f"{what} failed: {tail.text(redactor)}") from None
        raise
    finally:
        proc.stdout.close()
    if proc.wait() != 0:
        raise SourceError(f"{what} failed: {tail.text(redactor) or f'exit {proc.returncode}'}")


@contextmanager
def feeding(command: list[str], env: dict[str, str], redactor: Redactor,
            what: str) -> Iterator[BinaryIO]:
    """Run a program whose stdin the block writes; it sees the end of its input only when the
    block succeeds (a failed block kills it first: `psql --single-transaction` then commits
    nothing). Raise DataError if it fails."""
    proc = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, bufsize=1 << 20)
    tail = _Tail(proc.stderr)
    try:
        yield proc.stdin
        proc.stdin.close()
    except BrokenPipeError:  # it stopped reading: it failed, and its stderr says why
        proc.wait()
        raise DataError(f"{what} failed: {tail.text(redactor)}") from None
    except BaseException:
        proc.kill()
        proc.wait()
        _close_quietly(proc.stdin)
        raise
    if proc.wait() != 0:
        raise DataError(f"{what} failed: {tail.text(redactor) or f'exit {proc.returncode}'}")


class Tee:
    """A writable stream copying every write to several others."""

    def __init__(self, *sinks: BinaryIO):
        self.sinks = sinks

    def write(self, data: bytes) -> int:
        for sink in self.sinks:
            sink.write(data)
        return len(data)


class PipeReader(threading.Thread):
    """Run read(stream) on a thread over a pipe; `sink` is the pipe's writing end.

    If read fails, the rest is drained, so a writer never blocks on it; `result()` re-raises."""

    def __init__(self, read: Callable[[BinaryIO], object]):
        super().__init__(daemon=True)
        fd_in, fd_out = os.pipe()
        self.source = os.fdopen(fd_in, "rb", buffering=1 << 20)
        self.sink = os.fdopen(fd_out, "wb", buffering=0)
        self.read, self.value, self.error = read, None, None
        self.start()

    def run(self) -> None:
        try:
            self.value = self.read(self.source)
        except BaseException as error:  # noqa: BLE001 - handed to result()
            self.error = error
        while self.source.read(1 << 20):
            pass
        self.source.close()

    def stop(self) -> None:
        """Close the writing end and wait for the thread to end."""
        _close_quietly(self.sink)
        self.join()

    def result(self):
        """Close the writing end, wait for read to finish and return what it returned."""
        self.stop()
        if self.error is not None:
            raise self.error
        return self.value


def _close_quietly(stream: BinaryIO) -> None:
    try:
        stream.close()
    except OSError:
        pass
