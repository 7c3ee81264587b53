"""Grade a class: plan -> execute (local | dask) -> record -> summary.

:func:`grade` reads the run's options (:class:`autograder.core.options.Autograder`: the
course's ``c.Autograder.*`` config, then the arguments given), plans what to grade
and why (:mod:`autograder.plan.planner`), runs the plan on an executor
(:mod:`autograder.executors.local`, or :mod:`autograder.executors.dask` with a
scheduler), each of which hands every result to the recorder (:mod:`autograder.record.runlog`:
run log, summary, progress), and returns the :class:`~autograder.core.results.Summary`.

Every kernel runs in :mod:`autograder.isolate.sandbox` (refused where the machine cannot
sandbox, unless ``sandbox=False``: ``--unsandboxed``); each result says how it ran.
After Ctrl-C or ``kill -9`` the same call grades what is missing (see :mod:`autograder.plan.planner`).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from autograder.core.coursedir import Course, CourseError
from autograder.core.options import Autograder, default_workers, parse_size  # noqa: F401 - public names
from autograder.core.results import Job, Result, Status, Summary  # noqa: F401 - public names
from autograder.record.runlog import OnResult, RunLog, past_timings  # public names too

if TYPE_CHECKING:
    from autograder.executors.local import Workers


#: ``on_plan(jobs, workers, past)``: the run's jobs and workers, and each assignment's seconds per
#: graded submission in earlier runs (:func:`autograder.record.runlog.past_timings`).
OnPlan = Callable[[list[Job], int, dict[str, list[float]]], None]


def check_sandbox(options: Autograder) -> None:
    """Refuse to grade unsandboxed unless asked to (``--unsandboxed``), saying why."""
    from autograder.isolate import sandbox

    if options.unsandboxed:
        return
    ok, why = sandbox.available(cold=options.cold)
    if not ok:
        raise CourseError(
            f"Cannot sandbox student code on this machine: {why}.\n"
            "Unsandboxed, a submission runs with your rights: it can read the hidden tests in source/, "
            "change gradebook.db and other students' files, and leave processes behind.\n"
            "Pass --unsandboxed to grade anyway (only submissions you trust), or grade on Linux as root.")


def _may_need_a_worker(course: Course, assignments: list[str], students: list[str] | None, force: bool) -> bool:
    """Cheaply, before planning: is some submission probably going to be graded?"""
    for assignment in assignments:
        done = RunLog(course, assignment).latest()
        for student in course.submitted_students(assignment):
            if students and student not in students:
                continue
            record = done.get(student)
            if force or record is None or record.status == Status.FAILED:
                return True
    return False


def grade(course: Course, assignments: list[str], *, students: list[str] | None = None,
          workers: int | None = None, notebook_timeout: int | None = None,
          memory_limit: int | str | None = None, force: bool = False, warm: bool | None = None,
          threads: int | None = None, on_result: OnResult | None = None,
          on_start: Callable[[Job], None] | None = None, retries: int | None = None,
          sandbox: bool | None = None, output_limit: int | str | None = None,
          scheduler: Any = None, options: Autograder | None = None,
          on_plan: OnPlan | None = None, started: "Workers | None" = None) -> Summary:
    """Autograde every submission of ``assignments`` not graded yet; return a :class:`Summary`.

    Arguments left at None come from the course's ``c.Autograder.*`` config (then the
    defaults); ``options`` replaces both. With a ``scheduler`` (``tcp://HOST:8786``, a
    ``distributed.Client`` or a cluster object; or ``c.Autograder.scheduler``) the plan
    runs on a Dask cluster (``workers`` is then the cluster's), with the same run log,
    results and summary.

    ``on_plan(jobs, workers, past)`` is called once the run is planned (``past``: each
    assignment's seconds per submission in earlier runs), ``on_result(result, done, total)`` as each
    submission is recorded (the CLI draws its progress and projected class time from them),
    ``on_start(job)`` as one is handed to a worker.
    KeyboardInterrupt stops the workers at once; what finished is in the run log and
    the gradebook, the rest is graded next time. ``sandbox=False`` runs student code
    with the grader's own rights (for trusted submissions only). ``started``: workers
    :func:`start_early` started for this run (used if their setup is this run's, else stopped).
    """
    from autograder.execute.setup import grader_setup
    from autograder.plan.planner import make_plan

    cluster = None if isinstance(scheduler, (str, type(None))) else scheduler
    if options is None:
        options = Autograder.resolve(
            course.config, workers=workers, notebook_timeout=notebook_timeout, memory_limit=memory_limit,
            threads=threads, retries=retries, output_limit=output_limit,
            scheduler=scheduler if isinstance(scheduler, str) else None,
            cold=None if warm is None else not warm, unsandboxed=None if sandbox is None else not sandbox)
    assignments = list(assignments)
    if cluster is not None or options.scheduler:
        from autograder.executors.dask import run_dask

        if started is not None:
            started.close(interrupted=True)
        plan = make_plan(course, assignments, students, force)
        return run_dask(course, plan, options, scheduler=cluster or options.scheduler,
                        on_result=on_result, on_start=on_start, on_plan=on_plan)

    from autograder.executors.local import Workers, run_local

    setup = {**grader_setup([p for a in assignments for p in course.source_notebooks(a)], options),
             "course": str(course.root)}
    early = None
    if started is not None and (started.setup, started.threads) == (setup, options.threads) and started.pool:
        early, started = started, None
    elif started is not None:
        started.close(interrupted=True)  # started with other settings (a config it could not see)
    if early is None and _may_need_a_worker(course, assignments, students, force):
        check_sandbox(options)
        early = Workers(setup, options.threads)
        early.grow(1)  # it imports nbgrader and TensorFlow while the run is planned
    try:
        plan = make_plan(course, assignments, students, force)
        if plan.jobs:
            check_sandbox(options)
    except BaseException:
        if early is not None:
            early.close(interrupted=True)
        raise
    if on_plan and plan.jobs:
        on_plan(list(plan.jobs), options.worker_count(len(plan.jobs)), past_timings(course, plan.assignments))
    return run_local(course, plan, options, setup, on_result=on_result, on_start=on_start, workers=early)


def grade_on_dask(course: Course, assignments: list[str], *, scheduler: Any, **kwargs: Any) -> Summary:
    """Autograde on a Dask cluster what is not graded yet: :func:`grade` with a ``scheduler``
    (an address such as ``tcp://HOST:8786``, a ``distributed.Client`` or a cluster object)."""
    return grade(course, assignments, scheduler=scheduler, **kwargs)


def start_early(root: Path, assignments: list[str], **given: Any) -> "Workers | None":
    """Start the first grading worker of a local run before the course's nbgrader config is
    loaded (importing nbgrader takes seconds): its zygote imports TensorFlow meanwhile.

    Reads only the course's ``nbgrader_config.py`` (traitlets, no nbgrader) and the
    standard folder layout; :func:`grade` checks the setup against the full config and
    starts afresh if it differs. None when the run will not need a local worker.
    """
    from traitlets.config import PyFileConfigLoader

    from autograder.execute.setup import grader_setup
    from autograder.executors.local import Workers
    from autograder.isolate import sandbox

    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    except Exception:  # noqa: BLE001
        return None
    options = Autograder.resolve(config, **given)
    if options.scheduler or (not options.unsandboxed and not sandbox.available(cold=options.cold)[0]):
        return None
    folders = config.CourseDirectory
    source, submitted = root / folders.get("source_directory", "source"), root / folders.get("submitted_directory", "submitted")
    notebooks = [p for a in assignments for p in sorted((source / a).glob("*.ipynb")) if not p.name.startswith(".")]
    if not notebooks or not any((s / a).is_dir() for a in assignments for s in
                                (submitted.iterdir() if submitted.is_dir() else [])):
        return None
    try:
        options.memory_bytes, options.output_bytes  # noqa: B018 - a bad size is explained later, by grade()
    except CourseError:
        return None
    workers = Workers({**grader_setup(notebooks, options), "course": str(root)}, options.threads)
    workers.grow(1)
    return workers
