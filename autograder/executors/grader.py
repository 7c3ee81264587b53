"""A grading worker process (``python -m autograder.execute.worker``), as both executors drive it.

The process is started by a thread of its own, which then reads its replies (one
JSON object per line): the worker dies with the thread that started it
(``PR_SET_PDEATHSIG``), and that thread lives exactly as long as the process. The
``{"ready": ...}`` reply also fills :attr:`GraderProcess.info`; every reply, and
``None`` when the process exits, goes to the ``replies`` queue as ``(grader, reply)``.
"""
from __future__ import annotations

import collections
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from autograder.core.results import Job
from autograder.isolate.process import JsonLines


def grader_env(threads: int, *, force: bool = False) -> dict[str, str]:
    """The grader's environment: ``threads`` TensorFlow/BLAS threads (``force``: whatever the
    environment says, as on a Dask worker), quiet TensorFlow, this interpreter's scripts on PATH."""
    env = os.environ.copy()
    env["COURSE_TF_THREADS"] = str(threads)
    for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
                 "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        if force:
            env[name] = str(threads)
        else:
            env.setdefault(name, str(threads))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONUNBUFFERED"] = "1"
    scripts = os.path.dirname(sys.executable)  # nbgrader runs alembic
    env["PATH"] = os.pathsep.join([scripts, env.get("PATH", "")])
    return env


class GraderProcess:
    """One ``python -m autograder.execute.worker`` and the thread that started it and reads its replies."""

    def __init__(self, setup: dict, env: dict[str, str], replies: "queue.Queue[tuple[GraderProcess, dict | None]]",
                 *, cwd: Path | None = None, log: Path | None = None):
        self.replies = replies
        self.ready = threading.Event()
        self.info: dict[str, Any] = {}
        self.proc: subprocess.Popen | None = None
        self.job: Job | None = None
        self.started = 0.0
        self.log = log
        self._spawned = threading.Event()
        self._args = (setup, env, cwd)
        #: Without a log file: the last lines the grader wrote to stderr (why it could not start).
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._stderr_reader: threading.Thread | None = None
        threading.Thread(target=self._run, daemon=True, name="autograder-grader").start()
        self._spawned.wait()

    def _run(self) -> None:
        setup, env, cwd = self._args
        err: IO | int = open(self.log, "ab") if self.log else subprocess.PIPE
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "autograder.execute.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=err, text=True, bufsize=1, env=env, cwd=cwd,
                start_new_session=True)  # Ctrl-C in the terminal reaches the run, not its workers
        except OSError:
            self._spawned.set()
            self.ready.set()
            self.replies.put((self, None))
            return
        finally:
            if not isinstance(err, int):
                err.close()
        self._spawned.set()
        if self.proc.stderr is not None:
            self._stderr_reader = threading.Thread(target=self._keep_stderr_tail, args=(self.proc.stderr,),
                                                   daemon=True, name="autograder-grader-stderr")
            self._stderr_reader.start()
        try:
            self.send(setup)
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                try:
                    message = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if message.get("ready"):
                    self.info = message
                    self.ready.set()
                self.replies.put((self, message))
        except OSError:
            pass
        try:  # this thread ends only with the process (its end would kill it: PR_SET_PDEATHSIG)
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        self.ready.set()
        self.replies.put((self, None))  # the grader exited

    def send(self, obj: dict) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        JsonLines(None, self.proc.stdin).send(obj)

    def start(self, job: Job, **extra: Any) -> None:
        """Send ``job`` (with ``extra`` fields); its result arrives on the replies queue."""
        self.job = job
        self.started = time.monotonic()
        self.send({**job.message(), **extra})

    def ask(self, job: Job, timeout: float) -> tuple[dict | None, str]:
        """Grade ``job`` and wait (the replies queue must be this grader's own): (its result, "")
        or (None, why there is none)."""
        if not self.ready.wait(300) or not self.alive() or not self.info:
            try:
                code = self.proc.wait(timeout=10) if self.proc else None
            except subprocess.TimeoutExpired:
                code = None
            return None, f"the grader did not start (exit code {code}){self.last_words()}"
        try:
            self.start(job)
        except OSError as exc:
            return None, f"the grader is gone ({exc})"
        try:
            reply = self._next_reply(timeout)
        except queue.Empty:
            self.kill()
            return None, f"killed after the hard time limit of {timeout:.0f} s"
        finally:
            self.job = None
        if reply is None:
            return None, f"the grader died (exit code {self.proc.wait() if self.proc else None})"
        return reply, ""

    def stats(self, timeout: float = 5.0) -> dict:
        """Peak memory figures of an idle grader (own replies queue), {} if it does not answer."""
        if not self.alive():
            return {}
        try:
            self.send({"command": "stats"})
            reply = self._next_reply(timeout)
        except (OSError, queue.Empty):
            return {}
        return reply or {}

    def _next_reply(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while True:
            _, reply = self.replies.get(timeout=max(0.0, deadline - time.monotonic()))
            if reply is None or not reply.get("ready"):
                return reply

    def _keep_stderr_tail(self, stream: IO) -> None:
        for line in stream:
            if line.strip():
                self._stderr_tail.append(line.rstrip())

    def last_words(self) -> str:
        """The last line the grader wrote to its log or stderr (why it could not start)."""
        if self._stderr_reader is not None and not self.alive():
            self._stderr_reader.join(timeout=2)  # what it wrote before exiting
        try:
            lines = ([l for l in self.log.read_text(errors="replace").splitlines() if l.strip()] if self.log
                     else list(self._stderr_tail))
        except OSError:
            return ""
        return f": {lines[-1][:300]}" if lines else ""

    def exit_code(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()

    def close(self) -> None:
        """Let the grader finish (its zygote and trusted process with it), or kill it after 10 s."""
        if self.proc is None:
            return
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            self.kill()
