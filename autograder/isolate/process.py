"""What every process of a grading run shares: dying with its parent, adopting orphans,
and the one JSON-lines channel they speak.

A run is a tree of processes: the instructor's command, one grading worker per
core (:mod:`autograder.execute.worker`), each with its kernel zygote
(:mod:`autograder.isolate.zygote`), the kernels it forks, the sandbox's init
(:mod:`autograder.isolate.sandbox`) and the trusted-check process
(:mod:`autograder.check.trusted`). Each asks Linux to kill it when its parent dies
(``PR_SET_PDEATHSIG``), so ``kill -9`` of a run leaves nothing behind; the worker
adopts its zygote's double-forked kernels (``PR_SET_CHILD_SUBREAPER``).

Between them: one JSON object per line (:class:`JsonLines`), on pipes or a unix socket.
Standard library only: the zygote imports this before anything heavy.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
from typing import IO, Any, Iterator

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38


def prctl(option: int, value: int, *, strict: bool = False) -> bool:
    """Call Linux ``prctl``: True if it worked; False where it did not (``strict``: raise OSError)."""
    try:
        result = ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        if strict:
            raise
        return False
    if result != 0 and strict:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl: {os.strerror(err)}")
    return result == 0


def die_with_parent(*, strict: bool = False) -> None:
    """Ask Linux to SIGKILL this process when its parent dies (nothing elsewhere; ``strict``: or raise)."""
    if sys.platform.startswith("linux") or strict:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, strict=strict)


def become_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (the kernels its zygote forks)."""
    return sys.platform.startswith("linux") and prctl(PR_SET_CHILD_SUBREAPER, 1)


def protocol_pipes() -> tuple[IO[str], IO[str]]:
    """This process's stdin and stdout as its protocol channel; afterwards anything a library prints
    goes to stderr, so it cannot corrupt the protocol."""
    proto_in = os.fdopen(os.dup(0), "r")
    proto_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    return proto_in, proto_out


class JsonLines:
    """One JSON object per line, in both directions, over a pair of text streams."""

    def __init__(self, reader: IO[str] | None, writer: IO[str] | None):
        self.reader = reader
        self.writer = writer

    def send(self, obj: Any) -> None:
        assert self.writer is not None
        self.writer.write(json.dumps(obj) + "\n")
        self.writer.flush()

    def receive(self) -> Any:
        """The next object; None once the other side closed the channel."""
        assert self.reader is not None
        line = self.reader.readline()
        return json.loads(line) if line else None

    def __iter__(self) -> Iterator[Any]:
        """Every object until the other side closes the channel (blank lines skipped)."""
        assert self.reader is not None
        for line in self.reader:
            if line.strip():
                yield json.loads(line)
