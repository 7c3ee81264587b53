"""The ``dask`` executor: grade a class on a ``dask.distributed`` cluster.

The run is planned as with the local executor (:func:`autograder.grading.plan_jobs`:
what is not graded yet, and why), then each submission becomes one Dask task
carrying the assignment's source files and the submission's files as bytes. Every
Dask worker grades with its own warm grader (:mod:`autograder.executors.plugin`),
in a scratch copy of the course, and sends back the autograded files. Only this
machine writes into the course: as each task finishes, nbgrader's own autograde
records it (:mod:`autograder.executors.replay`) and the run log gets its line, so
progress, summary and resume after Ctrl-C or ``kill -9`` behave as with ``local``.

A Dask worker lost mid-task (its process killed) is noticed by the scheduler,
which runs the task again on another worker; a grader that died or overran the
hard limit is retried ``retries`` times. Each submission is recorded once: the
first result to arrive for it.
"""
from __future__ import annotations

import queue
import time
import uuid
from collections import Counter
from typing import Any, Callable

from autograder.coursedir import Course, CourseError
from autograder.executors import bundle

DEFAULT_NOTEBOOK_TIMEOUT = 600
#: Submitted files above this size are not sent (nbgrader would grade them; they are reported).
MAX_SUBMISSION_BYTES = 64 * 2**20


def configured_scheduler(course: Course) -> str | None:
    """``c.Autograder.scheduler`` from the course's ``nbgrader_config.py``, if set."""
    value = course.config.get("Autograder", {}).get("scheduler")
    return str(value) if value else None


def connect(scheduler: Any, timeout: float = 30.0):
    """A ``distributed.Client`` for ``scheduler`` (an address such as ``tcp://HOST:8786``,
    a cluster object from dask-jobqueue or Dask Gateway, or a Client, returned as is)."""
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler
    try:
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except OSError as exc:
        raise CourseError(f"Cannot reach the Dask scheduler at {scheduler}: {exc}.\n"
                          "Start one with `dask scheduler` and workers with `dask worker ADDRESS --nthreads 1`.") from None


def grade_on_dask(course: Course, assignments: list[str], *, scheduler: Any,
                  students: list[str] | None = None, notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT,
                  memory_limit: int | None = None, force: bool = False, warm: bool = True,
                  threads: int = 1, on_result: Callable[[dict, int, int], None] | None = None,
                  on_start: Callable[[dict], None] | None = None, retries: int = 1,
                  sandbox: bool = True, output_limit: int | None = None):
    """Autograde on a Dask cluster what is not graded yet; return a :class:`autograder.grading.Summary`.

    Same arguments and results as :func:`autograder.grading.grade`, plus ``scheduler``.
    The sandbox is checked by each worker (the grader refuses to run unsandboxed
    kernels unless ``sandbox=False``), not on this machine.
    """
    from dataclasses import asdict

    from autograder import sandbox as _sandbox
    from autograder.grading import RunLog, Summary, plan_jobs
    from autograder.pool import plan_preload
    from autograder.executors.plugin import (PLUGIN_NAME, GraderPlugin, alembic_version, describe_worker,
                                             grade_submission, scratch_gradebook)
    from autograder.executors.replay import record

    for assignment in assignments:
        course.ensure_gradebook(assignment)
    jobs, skipped, tampered = plan_jobs(course, assignments, students, force)
    summary = Summary(skipped=skipped, tampered=tampered,
                      planned=[{k: j[k] for k in ("assignment", "student", "why")} for j in jobs])
    start = time.monotonic()
    if not jobs:
        return summary

    sources = {a: bundle.pack(course.folder("source") / a)[0] for a in assignments}
    config_text = (course.root / "nbgrader_config.py").read_text()
    preload, forget = plan_preload([p for a in assignments for p in course.source_notebooks(a)])
    limits = _sandbox.Limits(memory=memory_limit)
    if output_limit is not None:
        limits.output = output_limit
    setup = {"notebook_timeout": notebook_timeout, "warm": warm, "preload": preload, "forget": forget,
             "memory_limit": memory_limit, "sandbox": sandbox, "limits": asdict(limits)}
    per_notebook = notebook_timeout or DEFAULT_NOTEBOOK_TIMEOUT
    hard_limit = per_notebook * max(len(course.source_notebooks(a)) for a in assignments) + 120
    plugin = GraderPlugin(config_text, setup, sources,
                          scratch_gradebook(config_text, sources, alembic_version(course)),
                          threads=threads, hard_limit=hard_limit)

    client = connect(scheduler)
    owns_client = client is not scheduler
    logs = {a: RunLog(course, a) for a in assignments}
    total = len(jobs)
    attempts: Counter = Counter()
    live: dict[str, tuple[Any, dict]] = {}  # future key -> (future, job)
    arrived: "queue.Queue[Any]" = queue.Queue()
    announced: list[dict] = list(jobs)
    recorded: set[str] = set()

    def submit(job: dict) -> None:
        attempts[job["id"]] += 1
        folder = course.folder("submitted") / job["student"] / job["assignment"]
        files, left_out = bundle.pack(folder, max_bytes=MAX_SUBMISSION_BYTES)
        payload = {"id": job["id"], "assignment": job["assignment"], "student": job["student"],
                   "files": files, "left_out": left_out}
        key = f"autograde-{job['assignment']}-{job['student']}-{uuid.uuid4().hex[:8]}"
        future = client.submit(grade_submission, payload, key=key, pure=False)
        live[future.key] = (future, job)
        future.add_done_callback(arrived.put)

    def announce(count: int = 1) -> None:
        for _ in range(count):
            if announced and on_start:
                on_start(announced.pop(0))

    def finish(job: dict, result: dict) -> None:
        if job["id"] in recorded:
            return
        recorded.add(job["id"])
        result = {**result, "fingerprint": job["fingerprint"], "finished": time.time(),
                  "attempt": attempts[job["id"]], "why": job.get("why", ""), "executor": "dask"}
        logs[job["assignment"]].append(result)
        summary.results.append(result)
        if on_result:
            on_result(result, len(summary.results), total)
        announce()

    def failed(job: dict, status: str, reason: str) -> dict:
        return {"id": job["id"], "assignment": job["assignment"], "student": job["student"],
                "status": status, "reason": reason, "seconds": 0.0, "cells": [], "notebooks": [],
                "score": 0.0, "max_score": 0.0, "isolation": "sandboxed" if sandbox else "unsandboxed"}

    try:
        client.register_plugin(plugin, name=PLUGIN_NAME)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        for job in jobs:
            submit(job)
        announce(workers)
        while len(summary.results) < total:
            try:
                future = arrived.get(timeout=1.0)
            except queue.Empty:
                continue
            entry = live.pop(future.key, None)
            if entry is None:
                continue
            _, job = entry
            if future.status == "finished":
                remote = future.result()
                if remote.get("retry") and attempts[job["id"]] <= retries:
                    submit(job)
                    continue
                try:
                    result = record(course, remote)
                except Exception as exc:  # the grade may be missing: the next run grades it again
                    result = failed(job, "failed", f"recording failed: {type(exc).__name__}: {exc}")
                finish(job, result)
            else:  # the task raised, was lost too often (KilledWorker) or cancelled elsewhere
                try:
                    exc = future.exception()
                except BaseException as cancelled:  # CancelledError
                    exc = cancelled
                why = f"{type(exc).__name__}: {exc}".strip()
                if attempts[job["id"]] <= retries:
                    submit(job)
                    continue
                finish(job, failed(job, "failed", f"the Dask task failed ({why})"[:500]))
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        for future, _ in live.values():
            future.cancel()
        if len(summary.results) == total:  # every worker idle: ask each for its grader's figures
            try:
                infos = client.run(describe_worker, wait=True)
                summary.workers = [{"address": address, **info} for address, info in infos.items()]
            except Exception:
                pass
        try:
            client.unregister_worker_plugin(PLUGIN_NAME)
        except Exception:
            pass
        if owns_client:
            client.close()
        summary.wall_seconds = time.monotonic() - start
    return summary
