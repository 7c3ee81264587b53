"""The options of a grading run, as nbgrader-style configuration.

Every option is a trait of :class:`Autograder`, so it can live in the course's
``nbgrader_config.py`` (``c.Autograder.workers = 4``,
``c.Autograder.scheduler = "tcp://HOST:8786"``); the ``autograder grade`` flags are
traitlets aliases of these traits (:data:`ALIASES`, :data:`FLAGS`; see
:mod:`autograder.cli.apps`), ``--Autograder.retries=2`` sets any of them, and a value
given on the command line beats the config file, which beats the default. The
trait types below check a command-line value as it is parsed, so a bad one is
explained in one line before anything runs.
"""
from __future__ import annotations

import os
from typing import Any

from traitlets import Bool, Integer, List, TraitError, Unicode, Union
from traitlets.config import Config, Configurable

from autograder.core.coursedir import CourseError

DEFAULT_NOTEBOOK_TIMEOUT = 600
#: RAM-backed writable space of one sandboxed kernel without ``--memory-limit`` (with it: a
#: quarter of the limit, 64 MB to 1 GB). Half is its /tmp, /var/tmp and /dev/shm, half the
#: worker's scratch that holds its copy of the submission folder (autograder.isolate.sandbox).
DEFAULT_WRITABLE = 512 * 2**20
#: What one grading worker holds besides its kernel: itself, its zygote and trusted process,
#: its scratch's sockets and gradebook copy.
WORKER_OVERHEAD = 768 * 2**20


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def machine_memory() -> int:
    """This machine's physical memory in bytes (0 if unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 0


def parse_size(text: str | int | None) -> int | None:
    """'4G', '512M', '0' (no limit) -> bytes."""
    if text in (None, "", 0, "0", "none"):
        return None
    if isinstance(text, int):
        return text
    units = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
    text = text.strip().lower().rstrip("b")
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise CourseError(f"Not a memory size: {text!r} (use e.g. 4G or 512M).") from None


class Count(Integer):
    """A whole number; on the command line (``--workers 2``) it must be 1 or more."""

    def from_string(self, s: str) -> int:
        try:
            value = int(s)
        except ValueError:
            raise TraitError(f"expected a whole number, got {s!r}") from None
        if value < 1:
            raise TraitError(f"expected 1 or more, got {value}")
        return value


class Seconds(Integer):
    """A time limit in seconds, 0 for none; the command line takes any number (``1.5`` -> 1)."""

    def __init__(self, default_value: Any = 0, **kwargs: Any) -> None:
        super().__init__(default_value, min=0, **kwargs)

    def from_string(self, s: str) -> int | None:
        if self.allow_none and s == "None":
            return None
        try:
            value = int(float(s))
        except ValueError:
            raise TraitError(f"expected seconds, got {s!r}") from None
        if value < 0:
            raise TraitError("a time limit cannot be negative (0 means none)")
        return value


class Size(Union):
    """A size in bytes, or text such as ``4G`` or ``512M``; ``0`` is no limit."""

    def __init__(self, default_value: str, **kwargs: Any) -> None:
        super().__init__([Integer(), Unicode()], default_value=default_value, **kwargs)

    def from_string(self, s: str) -> str:
        try:
            parse_size(s)
        except CourseError as exc:
            raise TraitError(str(exc)) from None
        return s


class Autograder(Configurable):
    """``autograder grade`` options (``c.Autograder.<name>`` in nbgrader_config.py)."""

    workers = Count(0, min=0, help="Parallel grading workers on this machine (default 0: one per core; "
                                   "never more than submissions to grade).").tag(config=True)
    threads = Count(1, min=1, help="TensorFlow threads per worker.").tag(config=True)
    scheduler = Unicode("", help="Grade on this Dask scheduler's workers (tcp://HOST:8786); "
                                 "empty: workers on this machine.").tag(config=True)
    notebook_timeout = Seconds(DEFAULT_NOTEBOOK_TIMEOUT, help="Seconds one notebook may run in total "
                               "(0: only nbgrader's per-cell Execute.timeout).").tag(config=True)
    memory_limit = Size("0", help="Address-space limit per kernel, e.g. 4G (0: none).").tag(config=True)
    output_limit = Size("16M", help="Outputs one notebook may print before they are cut "
                                    "(0: no limit).").tag(config=True)
    cold = Bool(False, help="Start every kernel from scratch, like stock nbgrader.").tag(config=True)
    unsandboxed = Bool(False, help="Run student code without the sandbox, with your own rights "
                                   "(trusted submissions only).").tag(config=True)
    retries = Integer(1, min=0, help="Tries more for a submission whose worker died or overran.").tag(config=True)
    notebook_config = List(Unicode(), help="Sections (CourseQuiz) or single settings (CourseQuiz.mode) of "
                           "nbgrader_config.py that graded notebooks read: the sandbox hides the course's config "
                           "file, so a kernel's home gets an nbgrader_config.py holding just these.").tag(config=True)

    @classmethod
    def resolve(cls, config: Config | None = None, **given: Any) -> "Autograder":
        """The options from ``config`` (the course's), then every ``given`` value that is not None."""
        options = cls(config=config or Config())
        for name, value in given.items():
            if value is not None:
                setattr(options, name, value)
        return options

    # -- derived values --------------------------------------------------------------
    def worker_count(self, jobs: int) -> int:
        """Workers for ``jobs`` submissions: as asked (one per core), never more than submissions,
        and with ``--memory-limit`` never more than this machine's memory holds (see :meth:`worker_budget`)."""
        wanted = self._wanted_workers(jobs)
        budget, memory = self.worker_budget(), machine_memory()
        return min(wanted, max(1, memory // budget)) if budget and memory else wanted

    def _wanted_workers(self, jobs: int) -> int:
        """As asked (default one per core), never more than submissions."""
        return max(1, min(self.workers or default_workers(), jobs))

    def worker_budget(self) -> int | None:
        """Bytes one worker may take with ``--memory-limit``: the kernel's memory, its writable space
        (RAM-backed, outside that limit) and the worker's own share; None without a limit."""
        memory = self.memory_bytes
        return memory + self.writable_bytes + WORKER_OVERHEAD if memory else None

    def workers_note(self, jobs: int) -> str:
        """Why fewer workers than asked run ("" when as many as asked)."""
        wanted = self._wanted_workers(jobs)
        count, budget = self.worker_count(jobs), self.worker_budget()
        if count >= wanted or not budget:
            return ""
        return (f"{count} of {wanted} workers: each may take {budget / 2**30:.1f} GB (--memory-limit, "
                f"{self.writable_bytes / 2**20:.0f} MB of writable space, the worker) and this machine "
                f"has {machine_memory() / 2**30:.1f} GB")

    @property
    def writable_bytes(self) -> int:
        """RAM-backed writable space of one sandboxed kernel: a quarter of ``--memory-limit``
        (64 MB to 1 GB), else :data:`DEFAULT_WRITABLE`."""
        memory = self.memory_bytes
        return min(max(memory // 4, 64 * 2**20), 2**30) if memory else DEFAULT_WRITABLE

    @property
    def memory_bytes(self) -> int | None:
        return parse_size(self.memory_limit)

    @property
    def output_bytes(self) -> int:
        return parse_size(self.output_limit) or 0

    def hard_limit(self, notebooks: int) -> float:
        """Seconds after which a worker busy with one submission of ``notebooks`` notebooks is killed."""
        return (self.notebook_timeout or DEFAULT_NOTEBOOK_TIMEOUT) * max(1, notebooks) + 120


#: ``autograder grade`` option that takes a value -> its trait (``--workers 2``, ``--workers=2``).
ALIASES = {"workers": "workers", "threads": "threads", "scheduler": "scheduler",
           "notebook-timeout": "notebook_timeout", "memory-limit": "memory_limit",
           "output-limit": "output_limit"}
#: ``autograder grade`` switch -> the Bool trait it sets to True (``--cold``).
FLAGS = {"cold": "cold", "unsandboxed": "unsandboxed"}


def notebook_config_text(config: Config) -> str:
    """The ``nbgrader_config.py`` a sandboxed kernel's home gets: the course config's sections
    named by ``c.Autograder.notebook_config``, as plain assignments ("" when there are none).
    Only these reach the kernel: never the gradebook's address or any other setting."""
    lines = []
    for name in Autograder(config=config).notebook_config:
        section, _, only = name.partition(".")  # "CourseQuiz" or one setting, "CourseQuiz.mode"
        for key, value in sorted(dict(config[section]).items() if section in config else []):
            if (not only or key == only) and isinstance(value, (str, int, float, bool, list, dict, tuple, type(None))):
                lines.append(f"c.{section}.{key} = {value!r}")
    return "c = get_config()  # noqa: F821\n" + "\n".join(lines) + "\n" if lines else ""
