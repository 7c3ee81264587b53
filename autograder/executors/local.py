"""The ``local`` executor: grade a plan with warm grading workers on this machine.

Each worker is a ``python -m autograder.execute.worker`` process (:mod:`autograder.execute.worker`)
that imports nbgrader once and forks every kernel from its warm zygote. Jobs go to
whichever worker is free; a worker that dies or passes the hard time limit is
replaced and its submission tried ``retries`` more times before it is recorded as
failed. KeyboardInterrupt stops the workers at once: what finished is in the run
log and the gradebook, the rest is graded next time.

With a SQLite gradebook each worker's nbgrader writes the grades into it. With a
server gradebook (PostgreSQL) each worker records into a scratch SQLite gradebook of
its own and this side writes the results into the course's gradebook a batch per
transaction (:class:`autograder.record.gradebook_batch.Batches`), before their run log lines.
"""
from __future__ import annotations

import queue
import time
from collections import Counter
from typing import Callable

from autograder.core.coursedir import Course, CourseError
from autograder.core.options import Autograder
from autograder.core.results import Job, Result, Status, Summary
from autograder.executors.grader import GraderProcess, grader_env
from autograder.plan.planner import Plan
from autograder.record.gradebook_batch import Batches, is_server
from autograder.record.runlog import OnResult, Recorder


class Workers:
    """Grading workers on this machine, started as soon as the run knows it needs them."""

    def __init__(self, setup: dict, threads: int):
        self.setup = setup
        self.threads = threads
        self.env = grader_env(threads)
        self.replies: "queue.Queue[tuple[GraderProcess, dict | None]]" = queue.Queue()
        self.pool: list[GraderProcess] = []

    def grow(self, count: int) -> None:
        """Start workers until there are ``count`` (they warm up in parallel)."""
        while len(self.pool) < count:
            self.pool.append(GraderProcess(self.setup, self.env, self.replies))

    def replace(self, worker: GraderProcess) -> GraderProcess:
        worker.kill()
        fresh = GraderProcess(self.setup, self.env, self.replies)
        self.pool[self.pool.index(worker)] = fresh
        return fresh

    def close(self, interrupted: bool) -> list[dict]:
        """Stop every worker; the idle ones are first asked for their memory figures (all at once)."""
        idle = [w for w in self.pool if not interrupted and w.job is None and w.alive() and w.info]
        for worker in self.pool:
            if worker not in idle:
                worker.kill()
        asked = set()
        for worker in idle:
            try:
                worker.send({"command": "stats"})
                asked.add(worker)
            except OSError:
                pass
        deadline = time.monotonic() + 5
        while asked and time.monotonic() < deadline:
            try:
                got, message = self.replies.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if got in asked and message and message.get("stats"):
                message.pop("stats", None)
                got.info.update(message)
                asked.discard(got)
        for worker in idle:
            worker.close()
        infos, self.pool = [w.info for w in self.pool], []
        return infos


def run_local(course: Course, plan: Plan, options: Autograder, setup: dict, *,
              on_result: OnResult | None = None, on_start: Callable[[Job], None] | None = None,
              workers: Workers | None = None) -> Summary:
    """Grade ``plan`` with grading workers on this machine (``workers``: already started ones)."""
    summary = plan.summary()
    start = time.monotonic()
    jobs = list(plan.jobs)
    if not jobs:
        if workers is not None:
            workers.close(interrupted=True)
        return summary
    workers = workers or Workers(setup, options.threads)
    workers.grow(options.worker_count(len(jobs)))
    count = options.worker_count(len(jobs))
    note = options.workers_note(len(jobs))
    summary.executor = f"this machine ({note or f'{count} worker' + ('s' if count != 1 else '')})"
    notebooks = {a: len(course.source_notebooks(a)) for a in plan.assignments}
    recorder = Recorder(course, summary, len(jobs), on_result)
    attempts: Counter = Counter()
    sandboxed = bool(setup.get("sandbox"))
    batches = None
    if is_server(course.db_url):
        try:
            batches = Batches(course)
        except BaseException:
            workers.close(interrupted=True)
            raise

    def record(job: Job, result: Result, rows: dict | None = None) -> None:
        """Into the run log now (SQLite: the worker wrote the grades), or with the next batch."""
        if batches is None:
            recorder.record(job, result, attempts[job.id])
            return
        batches.add(job, result, rows, attempts[job.id])
        if batches.due() or len(summary.results) + len(batches.pending) >= recorder.total:
            batches.flush(recorder.record)

    def hard_limit(job: Job) -> float:
        return options.hard_limit(notebooks[job.assignment])

    def dispatch(worker: GraderProcess) -> None:
        """The next job to ``worker``, if it is ready and idle."""
        if jobs and worker.job is None and worker.alive() and worker.ready.is_set() and worker.info:
            job = jobs.pop(0)
            attempts[job.id] += 1
            if batches is None:
                worker.start(job)
            else:
                worker.start(job, gradebook=batches.job_gradebook(job, jobs))
            if on_start:
                on_start(job)

    def lost(worker: GraderProcess, status: Status, why: str) -> None:
        """The worker died or overran: retry its job in a fresh worker, or record it as ``status``."""
        job, seconds = worker.job, time.monotonic() - worker.started
        workers.replace(worker)
        if job is not None:
            if attempts[job.id] <= options.retries:
                jobs.insert(0, job)
            else:
                record(job, Result.failure(job, status, why, sandboxed=sandboxed, seconds=seconds))

    try:
        while not recorder.done:
            for worker in list(workers.pool):
                dispatch(worker)
            if batches is not None and batches.due():
                batches.flush(recorder.record)
            try:
                worker, message = workers.replies.get(timeout=1.0 if batches is None else 0.5)
            except queue.Empty:
                for worker in list(workers.pool):
                    if worker.job and time.monotonic() - worker.started > hard_limit(worker.job):
                        lost(worker, Status.TIMED_OUT,
                             f"killed after the hard time limit of {hard_limit(worker.job):.0f} s")
                continue
            if worker not in workers.pool:
                continue  # a reply from a worker already replaced
            if message is None:
                if worker.job is not None:
                    lost(worker, Status.FAILED, f"the grading worker died (exit code {worker.exit_code()})")
                elif not worker.info:
                    raise CourseError(f"A grading worker failed to start (exit code {worker.exit_code()})"
                                      f"{worker.last_words()}. Try `autograder check` on one notebook.")
                continue
            if message.get("ready"):
                dispatch(worker)
                continue
            if "stats" in message or worker.job is None:
                continue
            job, worker.job = worker.job, None
            if batches is None:
                recorder.record(job, Result.from_dict(message), attempts[job.id])
                dispatch(worker)
            else:
                rows = message.pop("gradebook", None)
                dispatch(worker)  # (before a batch is written)
                record(job, Result.from_dict(message), rows)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        if batches is not None:  # what arrived is committed, then logged (also on Ctrl-C)
            try:
                batches.flush(recorder.record)
            finally:
                batches.close()
        summary.workers = workers.close(summary.interrupted)
        summary.wall_seconds = time.monotonic() - start
    return summary
