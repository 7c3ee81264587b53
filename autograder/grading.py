"""Grade a class in parallel, resumably, and say what happened to every student.

:func:`grade` hands each (assignment, student) submission to a pool of worker
processes (:mod:`autograder.worker`), shows a progress bar with one line per
student, and ends with a summary: graded, crashed, timed out, failed, and why.

Every kernel runs in :mod:`autograder.sandbox` (refused where the machine cannot
sandbox, unless ``sandbox=False``: ``--unsandboxed``); each result says how it ran.

Nothing is lost: every finished submission is appended to the run log
``.autograder/<assignment>.jsonl`` (with a fingerprint of the submitted files)
right after nbgrader has written its grades to the gradebook. Running the same
command again, after Ctrl-C or ``kill -9``, grades every submission whose grade
is missing from the gradebook, that is not in the log, whose last attempt failed
or that was re-submitted, and says why; nbgrader's gradebook keeps exactly one
submission per student and assignment, so a submission graded twice is not
duplicated. Submitted files that differ from the fingerprint recorded when they
were imported (or first graded) were changed by someone else: they are reported
and not graded until re-imported (or ``force``).
A worker that dies or exceeds the hard time limit is replaced and its submission
tried once more in a fresh worker before it is recorded as failed.
"""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from autograder.coursedir import Course, CourseError

STATUSES = ("graded", "crashed", "timed_out", "failed")
DEFAULT_NOTEBOOK_TIMEOUT = 600


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


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


# -- the run log -----------------------------------------------------------------
from autograder.submissions import fingerprint, known_fingerprints, record_fingerprints  # noqa: E402


class RunLog:
    """``.autograder/<assignment>.jsonl``: one line per graded submission, appended and fsynced."""

    def __init__(self, course: Course, assignment: str):
        self.path = course.state_dir / f"{assignment}.jsonl"

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        records = []
        for line in self.path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut short by kill -9
                continue
        return records

    def latest(self) -> dict[str, dict]:
        """The last record per student."""
        return {r["student"]: r for r in self.records()}

    def append(self, record: dict) -> None:
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


# -- workers ---------------------------------------------------------------------
class Worker:
    """A ``python -m autograder.worker`` process and a thread that reads its replies."""

    def __init__(self, setup: dict, env: dict[str, str], replies: "queue.Queue[tuple[Worker, dict | None]]"):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1, env=env,
            start_new_session=True,  # Ctrl-C in the terminal reaches the parent only
        )
        self.replies = replies
        self.job: dict | None = None
        self.started = 0.0
        self.info: dict = {}
        self.ready = threading.Event()
        self.send(setup)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            if message.get("ready"):
                self.info = message
                self.ready.set()
            else:
                self.replies.put((self, message))
        self.ready.set()
        self.replies.put((self, None))  # the worker exited

    def send(self, obj: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def start(self, job: dict) -> None:
        self.job = job
        self.started = time.monotonic()
        self.send(job)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()

    def close(self) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:
            self.kill()


# -- the run ---------------------------------------------------------------------
@dataclass
class Summary:
    """What a grading run did: one result per submission, plus import problems."""

    results: list[dict] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    wall_seconds: float = 0.0
    workers: list[dict] = field(default_factory=list)
    interrupted: bool = False
    planned: list[dict] = field(default_factory=list)   # {assignment, student, reason}: why graded
    tampered: list[dict] = field(default_factory=list)  # {assignment, student, reason}: not graded

    def counts(self) -> Counter:
        return Counter(r["status"] for r in self.results)

    def isolation(self) -> Counter:
        """How many submissions ran sandboxed / unsandboxed."""
        return Counter(r.get("isolation", "unsandboxed") for r in self.results)

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(r["status"] != "failed" for r in self.results)


def _worker_env(threads: int) -> dict[str, str]:
    env = os.environ.copy()
    env["COURSE_TF_THREADS"] = str(threads)
    for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        env.setdefault(name, str(threads))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def graded_in_gradebook(course: Course, assignment: str) -> set[str]:
    """Students whose submission of ``assignment`` the gradebook holds, fully autograded."""
    from nbgrader.api import MissingEntry

    graded = set()
    with course.gradebook() as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            return graded
        names = {nb.name for nb in record.notebooks}
        for submission in record.submissions:
            notebooks = {nb.name: nb for nb in submission.notebooks}
            if set(notebooks) != names:
                continue
            if all(g.auto_score is not None or g.needs_manual_grade or g.cell_type != "code"
                   for nb in notebooks.values() for g in nb.grades):
                graded.add(submission.student.id)
    return graded


def plan_jobs(course: Course, assignments: Iterable[str], students: list[str] | None,
              force: bool) -> tuple[list[dict], list[tuple[str, str]], list[dict]]:
    """The submissions to grade (each with the reason), those already graded, and those whose
    files changed since they were imported (reported, not graded unless ``force``).

    A submission is graded when the run log has no record of it, its last attempt failed,
    it was re-submitted since (new fingerprint, recorded by import), or its grade is missing
    from the gradebook (deleted, or a run killed mid-way): the gradebook is checked, not only
    the log.
    """
    jobs, skipped, tampered = [], [], []
    for assignment in assignments:
        done = RunLog(course, assignment).latest()
        in_book = graded_in_gradebook(course, assignment)
        trusted = known_fingerprints(course, assignment)
        first_seen: dict[str, str] = {}
        accepted: dict[str, str] = {}
        for student in course.submitted_students(assignment):
            if students and student not in students:
                continue
            stamp = fingerprint(course, assignment, student)
            known = trusted.get(student)
            if known is None:
                first_seen[student] = stamp
            elif known["fingerprint"] != stamp:
                if not force:
                    tampered.append({"assignment": assignment, "student": student, "reason": (
                        f"submitted files changed since they were recorded ({known.get('source', 'import')}, "
                        f"{known.get('time', '?')}) by something other than `autograder import`: not graded; "
                        "re-import the student's submission, or pass --force to grade the files as they are")})
                    continue
                accepted[student] = stamp
            record = done.get(student)
            if force:
                reason = "regrade requested (--force)"
            elif record is None:
                reason = "not graded yet" if student not in in_book else "graded outside autograder (not in its run log)"
            elif record["status"] == "failed":
                reason = f"the last attempt failed ({record.get('reason', '')})".replace(" ()", "")
            elif record.get("fingerprint") != stamp:
                reason = "re-submitted since it was graded"
            elif student not in in_book:
                reason = "its grade is missing from the gradebook"
            else:
                skipped.append((assignment, student))
                continue
            jobs.append({"id": f"{assignment}/{student}", "assignment": assignment,
                         "student": student, "fingerprint": stamp, "why": reason})
        record_fingerprints(course, assignment, first_seen, "first grading")
        record_fingerprints(course, assignment, accepted, "accepted with --force")
    return jobs, skipped, tampered


def grade(course: Course, assignments: list[str], *, students: list[str] | None = None,
          workers: int | None = None, notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT,
          memory_limit: int | None = None, force: bool = False, warm: bool = True,
          threads: int = 1, on_result: Callable[[dict, int, int], None] | None = None,
          on_start: Callable[[dict], None] | None = None, retries: int = 1,
          sandbox: bool = True, output_limit: int | None = None,
          scheduler: object | None = None) -> Summary:
    """Autograde every submission of ``assignments`` not graded yet; return a :class:`Summary`.

    With a ``scheduler`` (``tcp://HOST:8786``, a ``distributed.Client`` or a cluster object)
    the same plan runs on a Dask cluster (:mod:`autograder.executors.dask`; ``workers`` is
    then the cluster's), with the same run log, results and summary.

    ``on_result(result, done, total)`` is called as each submission finishes (the
    CLI draws its progress from it). KeyboardInterrupt stops the workers at once;
    what finished is in the run log and the gradebook, the rest is graded next time.
    With ``sandbox`` (the default) every kernel is sandboxed, and a machine that
    cannot do it raises :class:`CourseError`; ``sandbox=False`` runs student code
    with the grader's own rights (for trusted submissions only).
    """
    if scheduler is not None:
        from autograder.executors.dask import grade_on_dask

        return grade_on_dask(course, assignments, scheduler=scheduler, students=students,
                             notebook_timeout=notebook_timeout, memory_limit=memory_limit, force=force,
                             warm=warm, threads=threads, on_result=on_result, on_start=on_start,
                             retries=retries, sandbox=sandbox, output_limit=output_limit)
    from autograder import sandbox as _sandbox
    from autograder.pool import plan_preload

    for assignment in assignments:
        course.ensure_gradebook(assignment)
    jobs, skipped, tampered = plan_jobs(course, assignments, students, force)
    summary = Summary(skipped=skipped, tampered=tampered,
                      planned=[{k: j[k] for k in ("assignment", "student", "why")} for j in jobs])
    start = time.monotonic()
    if not jobs:
        return summary
    if sandbox:
        ok, why = _sandbox.available(cold=not warm)
        if not ok:
            raise CourseError(
                f"Cannot sandbox student code on this machine: {why}.\n"
                "Unsandboxed, a submission runs with your rights: it can read the hidden tests in source/, "
                "change gradebook.db and other students' files, and leave processes behind.\n"
                "Pass --unsandboxed to grade anyway (only submissions you trust), or grade on Linux as root.")
    limits = _sandbox.Limits(memory=memory_limit)
    if output_limit is not None:
        limits.output = output_limit

    sources = {a: course.source_notebooks(a) for a in assignments}
    preload, forget = plan_preload([p for paths in sources.values() for p in paths])
    from dataclasses import asdict

    setup = {"course": str(course.root), "notebook_timeout": notebook_timeout, "warm": warm,
             "preload": preload, "forget": forget, "memory_limit": memory_limit,
             "sandbox": sandbox, "limits": asdict(limits)}
    count = max(1, min(workers or default_workers(), len(jobs)))
    env = _worker_env(threads)
    replies: "queue.Queue[tuple[Worker, dict | None]]" = queue.Queue()
    pending = list(jobs)
    attempts: Counter = Counter()
    pool = [Worker(setup, env, replies) for _ in range(count)]
    logs = {a: RunLog(course, a) for a in assignments}
    total = len(jobs)

    def hard_limit(job: dict) -> float:
        per_notebook = notebook_timeout or DEFAULT_NOTEBOOK_TIMEOUT
        return per_notebook * max(1, len(sources[job["assignment"]])) + 120

    def dispatch(worker: Worker) -> None:
        if pending and worker.alive():
            job = pending.pop(0)
            attempts[job["id"]] += 1
            worker.start(job)
            if on_start:
                on_start(job)

    def finish(job: dict, result: dict) -> None:
        result = {**result, "fingerprint": job["fingerprint"], "finished": time.time(),
                  "attempt": attempts[job["id"]], "why": job.get("why", "")}
        logs[job["assignment"]].append(result)
        summary.results.append(result)
        if on_result:
            on_result(result, len(summary.results), total)

    def lost(worker: Worker, status: str, why: str) -> Worker:
        """The worker died or overran: retry its job once in a fresh worker, or record it as ``status``."""
        job = worker.job
        worker.kill()
        if job is not None:
            if attempts[job["id"]] <= retries:
                pending.insert(0, job)
            else:
                finish(job, {"id": job["id"], "assignment": job["assignment"], "student": job["student"],
                             "status": status, "reason": why, "seconds": round(time.monotonic() - worker.started, 3),
                             "cells": [], "notebooks": [], "score": 0.0, "max_score": 0.0,
                             "isolation": "sandboxed" if sandbox else "unsandboxed"})
        fresh = Worker(setup, env, replies)
        pool[pool.index(worker)] = fresh
        fresh.ready.wait(300)
        dispatch(fresh)
        return fresh

    try:
        for worker in pool:
            worker.ready.wait(300)
            if not worker.info:
                raise CourseError("A grading worker failed to start (try `autograder check`).")
            dispatch(worker)
        while len(summary.results) < total:
            try:
                worker, message = replies.get(timeout=1.0)
            except queue.Empty:
                for worker in list(pool):
                    if worker.job and time.monotonic() - worker.started > hard_limit(worker.job):
                        lost(worker, "timed_out", f"killed after the hard time limit of {hard_limit(worker.job):.0f} s")
                continue
            if worker not in pool:
                continue  # a reply from a worker already replaced
            if message is None:
                if worker.job is not None:
                    lost(worker, "failed", f"the grading worker died (exit code {worker.proc.poll()})")
                continue
            if "stats" in message or worker.job is None:
                continue
            job, worker.job = worker.job, None
            finish(job, message)
            dispatch(worker)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        for worker in pool:
            if summary.interrupted or worker.job is not None:
                worker.kill()
            else:
                try:
                    worker.send({"command": "stats"})
                    deadline = time.monotonic() + 5
                    while time.monotonic() < deadline:
                        got, message = replies.get(timeout=deadline - time.monotonic())
                        if got is worker and message and message.get("stats"):
                            worker.info.update(message)
                            break
                except Exception:
                    pass
                worker.close()
        summary.workers = [w.info for w in pool]
        summary.wall_seconds = time.monotonic() - start
    return summary
