"""The ``dask`` executor: grade a class on a ``dask.distributed`` cluster.

The run is planned as with the local executor (:mod:`autograder.plan.planner`: what is
not graded yet, and why), then each submission becomes one Dask task
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
from asyncio import CancelledError
from collections import Counter
from typing import Any, Callable

from autograder.core.coursedir import Course, CourseError
from autograder.core.options import Autograder
from autograder.core.results import Job, Result, Status, Summary
from autograder.execute.setup import grader_setup
from autograder.executors import bundle
from autograder.plan.planner import Plan
from autograder.record import faults
from autograder.record.runlog import OnResult, Recorder, past_timings

#: Results recorded in one gradebook transaction at most (those that arrived while the last batch was recorded).
MAX_BATCH = 64
#: Submitted files above this size are not sent (nbgrader would grade them; they are reported).
MAX_SUBMISSION_BYTES = 64 * 2**20


def configured_scheduler(course: Course) -> str | None:
    """``c.Autograder.scheduler`` from the course's ``nbgrader_config.py``, if set."""
    return Autograder(config=course.config).scheduler or None


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


def run_dask(course: Course, plan: Plan, options: Autograder, *, scheduler: Any,
             on_result: OnResult | None = None, on_start: Callable[[Job], None] | None = None,
             on_plan: Callable[[list[Job], int, dict[str, list[float]]], None] | None = None) -> Summary:
    """Grade ``plan`` on the Dask cluster at ``scheduler``; the same results and summary as ``local``.

    The sandbox is checked by each worker (the grader refuses to run unsandboxed
    kernels unless ``--unsandboxed``), not on this machine.
    """
    from autograder.executors.plugin import (
        PLUGIN_NAME,
        GraderPlugin,
        alembic_version,
        course_root_files,
        describe_worker,
        grade_submission,
        scratch_gradebook,
    )
    from autograder.executors.replay import Recording

    summary = plan.summary()
    start = time.monotonic()
    if not plan.jobs:
        return summary
    assignments = plan.assignments
    sources = {a: bundle.pack(course.folder("source") / a)[0] for a in assignments}
    config_text = (course.root / "nbgrader_config.py").read_text()
    setup = grader_setup([p for a in assignments for p in course.source_notebooks(a)], options)
    hard_limit = options.hard_limit(max(len(course.source_notebooks(a)) for a in assignments))
    book = scratch_gradebook(config_text, sources, alembic_version(course), course_root_files(course))
    plugin = GraderPlugin(config_text, setup, sources, book, threads=options.threads, hard_limit=hard_limit)
    recording = Recording(course, book)

    client = connect(scheduler)
    owns_client = client is not scheduler
    recorder = Recorder(course, summary, len(plan.jobs), on_result, executor="dask")
    attempts: Counter = Counter()
    live: dict[str, tuple[Any, Job]] = {}  # future key -> (future, job)
    arrived: "queue.Queue[Any]" = queue.Queue()
    announced: list[Job] = list(plan.jobs)
    sandboxed = not options.unsandboxed
    cluster_lost = False
    known: set[str] = set()  # the Dask workers seen, and those said to have left
    told: set[str] = set()
    relost: set[str] = set()  # the jobs whose result was said lost with its worker (said once)

    def submit(job: Job) -> None:
        attempts[job.id] += 1
        folder = course.folder("submitted") / job.student / job.assignment
        files, left_out = bundle.pack(folder, max_bytes=MAX_SUBMISSION_BYTES)
        payload = {**job.message(), "files": files, "left_out": left_out}
        key = f"autograde-{job.assignment}-{job.student}-{uuid.uuid4().hex[:8]}"
        future = client.submit(grade_submission, payload, key=key, pure=False)
        live[future.key] = (future, job)
        future.add_done_callback(arrived.put)

    def announce(count: int = 1) -> None:
        for _ in range(count):
            if announced and on_start:
                on_start(announced.pop(0))

    def finish(job: Job, result: Result) -> None:
        if recorder.record(job, result, attempts[job.id]):
            announce()

    def workers_left(fresh: bool = False) -> None:
        """Say once for each Dask worker that left the cluster (killed, its machine gone) what follows.
        While grading it reads the client's own copy of the cluster, refreshed every 2 s (the public
        scheduler_info() waits, without end, while the client reconnects to a restarted scheduler);
        ``fresh`` asks the scheduler, once the run is over."""
        if client.status != "running":
            return  # (the scheduler is gone or being reconnected to: noticed by the loop)
        try:
            info = client.scheduler_info() if fresh else getattr(client, "_scheduler_identity", None)
        except Exception:  # noqa: BLE001
            return
        now = set((info or {}).get("workers", {}))
        if not now:
            return
        for gone in sorted(known - now - told):
            told.add(gone)
            faults.notice(f"the Dask worker {gone} left the cluster (killed, or its machine gone): what it was "
                          "grading, and results it held that were not recorded yet, are graded again by the "
                          "other workers; each submission is recorded once")
        known.update(now)

    def where_held(finished: list[Any]) -> dict | None:
        """The workers holding each finished result (one question to the scheduler); None if unknown."""
        if not finished:
            return {}
        if client.status != "running":
            return None
        try:
            return client.who_has(finished)
        except Exception:  # noqa: BLE001 - the scheduler is gone: noticed below
            return None

    def record_batch(batch: list[tuple[Job, dict]]) -> None:
        """Record the results that arrived, in one gradebook transaction."""
        if not batch:
            return
        try:
            recorded = [Result.from_dict(r) for r in recording.record([remote for _, remote in batch])]
        except faults.GradingStopped:  # the gradebook server did not come back: log the batch as not saved
            for job, _ in batch:
                finish(job, Result.failure(job, Status.FAILED, f"not saved: the gradebook server did not "
                                           f"answer; {faults.RERUN}", sandboxed=sandboxed))
            raise
        except Exception as exc:  # noqa: BLE001 - the grades may be missing: the next run grades them again
            recorded = [Result.failure(job, Status.FAILED, f"recording failed: {type(exc).__name__}: {exc}",
                                       sandboxed=sandboxed) for job, _ in batch]
        for (job, _), result in zip(batch, recorded):
            finish(job, result)

    def lose_the_rest(what: str) -> None:
        """The cluster is gone: every submission not recorded yet is logged as not graded, and why."""
        nonlocal cluster_lost
        cluster_lost = True
        left = [job for job in plan.jobs if job.id not in recorder.recorded]
        live.clear()
        faults.notice(f"{what}. {len(summary.results)} of {recorder.total} submissions were recorded; the "
                      f"{len(left)} others are listed as not graded, and the next run (the same command, once "
                      "the scheduler and its workers are back) grades them")
        for job in left:
            finish(job, Result.failure(job, Status.FAILED, f"not graded: {what}; {faults.RERUN}",
                                       sandboxed=sandboxed))

    try:
        client.register_plugin(plugin, name=PLUGIN_NAME)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        address = client.scheduler_info().get("address", scheduler)
        summary.executor = f"dask (scheduler {address}, {workers} worker{'s' if workers != 1 else ''})"
        if on_plan:
            on_plan(list(plan.jobs), workers, past_timings(course, assignments))
        for job in plan.jobs:
            submit(job)
        announce(workers)
        known.update(client.scheduler_info().get("workers", {}))
        while not recorder.done:
            workers_left()
            try:
                arrivals = [arrived.get(timeout=1.0)]
            except queue.Empty:
                if client.status != "running" or any(f.key not in client.futures for f, _ in live.values()):
                    # the scheduler is gone, or restarted (its tasks, and the workers it had, with it)
                    lose_the_rest(f"the connection to the Dask scheduler at {address} was lost (it stopped or "
                                  "restarted, and its workers with it)")
                    break
                continue
            while len(arrivals) < MAX_BATCH:  # record what has arrived meanwhile in one transaction
                try:
                    arrivals.append(arrived.get_nowait())
                except queue.Empty:
                    break
            batch: list[tuple[Job, dict]] = []
            lost_scheduler = None
            holders = where_held([f for f in arrivals if f.key in live and f.status == "finished"])
            for future in arrivals:
                entry = live.get(future.key)
                if entry is None:
                    continue
                if client.status != "running" or future.key not in client.futures:
                    lost_scheduler = future  # the scheduler went, or restarted without this task
                    continue
                if future.status in ("pending", "lost") or (holders is not None and not holders.get(future.key)):
                    # its result was lost with the worker that held it (killed before this side fetched
                    # it): the scheduler computes it again (fetching it waits for that)
                    job = entry[1]
                    if job.id not in relost:
                        relost.add(job.id)
                        faults.notice(f"the Dask worker holding {job.student}'s result of {job.assignment} was lost "
                                      "before the result was recorded: the cluster grades it again, and it is "
                                      "recorded once")
                    if future.status != "finished":
                        future.add_done_callback(arrived.put)  # it arrives once more when done
                        continue
                live.pop(future.key)
                _, job = entry
                remote, exc = None, None
                try:  # (a result lost while it is fetched is computed again, and fetched then)
                    remote = future.result() if future.status == "finished" else None
                    exc = None if remote is not None else future.exception()
                except (Exception, CancelledError) as error:  # noqa: BLE001 - the task raised or was cancelled
                    exc = error
                if remote is not None:
                    if remote.get("retry") and attempts[job.id] <= options.retries:
                        submit(job)
                    else:
                        batch.append((job, remote))
                    continue
                if getattr(exc, "reason", None) == "scheduler-connection-lost" or client.status != "running":
                    lost_scheduler = exc
                    continue
                # the task raised, was lost too often (KilledWorker) or cancelled elsewhere
                why = f"{type(exc).__name__}: {exc}".strip()
                if attempts[job.id] <= options.retries:
                    submit(job)
                    continue
                finish(job, Result.failure(job, Status.FAILED, f"the Dask task failed ({why})"[:500],
                                           sandboxed=sandboxed))
            if lost_scheduler is not None:
                record_batch(batch)  # what arrived before the scheduler went is recorded
                lose_the_rest(f"the connection to the Dask scheduler at {address} was lost (it stopped or "
                              f"restarted, and its workers with it)")
                break
            record_batch(batch)
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        for future, _ in live.values():
            future.cancel()
        if not cluster_lost:
            workers_left(fresh=True)
        if recorder.done and not cluster_lost:  # every worker idle: ask each for its grader's figures
            try:
                infos = client.run(describe_worker, wait=True)
                summary.workers = [{"address": address, **info} for address, info in infos.items()]
            except Exception:  # noqa: BLE001
                pass
        try:
            if not cluster_lost:
                client.unregister_worker_plugin(PLUGIN_NAME)
        except Exception:  # noqa: BLE001
            pass
        if owns_client:
            client.close()
        recording.close()
        summary.wall_seconds = time.monotonic() - start
    return summary


def __getattr__(name: str) -> Any:
    """``grade_on_dask`` moved to :func:`autograder.grading.grade_on_dask`; this alias goes in the next release."""
    if name == "grade_on_dask":
        from autograder.grading import grade_on_dask  # the one allowed upward import (tests/autograder/test_layers.py)

        return grade_on_dask
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
