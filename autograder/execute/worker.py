"""A grading worker: one long-lived process that autogrades submissions one by one.

The worker imports nbgrader once, starts its zygote (warm TensorFlow, see
:mod:`autograder.isolate.zygote`), then for each job runs nbgrader's own autograde
(``NbGraderAPI.autograde``: the same sanitize and autograde preprocessors as
``nbgrader autograde``) with :class:`autograder.execute.guarded.GuardedExecute` in place
of ``Execute``. It answers with the per-cell scores nbgrader saved in the
gradebook and, for each failed test, the first line of its message (and the problems of its
trusted verdict, :class:`autograder.core.results.CellResult`). A job that carries a
``"gradebook"`` (the course's gradebook is a server) is recorded into this worker's
own scratch SQLite gradebook instead, and the reply carries what was recorded
(:mod:`autograder.record.gradebook_batch`): the instructor's side writes it, a batch at a time.

With ``"sandbox": true`` in its setup, every kernel runs in :mod:`autograder.isolate.sandbox`
(the worker first gives itself a private scratch tmpfs for the kernels' copies).

Protocol, one JSON object per line: a setup object (:func:`autograder.execute.setup.grader_setup`),
then jobs ``{"id", "assignment", "student"}``; replies ``{"ready": ...}`` then one
result per job (:meth:`autograder.core.results.Result.to_dict`). Started by both executors
as ``python -m autograder.execute.worker`` (:mod:`autograder.executors.grader`).
"""
from __future__ import annotations

import os
import resource
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:
    from traitlets.config import Config

    from autograder.core.results import CellResult, Problem, Verdict

EXECUTE_NAMES = {"Execute", "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.execute.Execute"}


def worker_config(config: Config, notebook_timeout: int, *, sandbox_course: str = "",
                  limits: dict | None = None) -> Config:
    """The course config with GuardedExecute in nbgrader's autograde pipeline, its kernels
    from :class:`autograder.isolate.kernels.WarmKernelManager`, sandboxed under ``sandbox_course`` if set."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    from autograder.core.options import notebook_config_text
    from autograder.execute.guarded import GuardedExecute

    config = Config(config)
    configured = config.Autograde.get("autograde_preprocessors")
    pipeline = list(configured if isinstance(configured, (list, tuple))
                    else Autograde.class_traits()["autograde_preprocessors"].default())
    swapped = [GuardedExecute if (pp is Execute or (isinstance(pp, str) and pp in EXECUTE_NAMES)) else pp
               for pp in pipeline]
    config.Autograde.autograde_preprocessors = swapped
    config.GuardedExecute.notebook_timeout = int(notebook_timeout or 0)
    settings = notebook_config_text(config)  # what graded notebooks (and so the trusted checks) may read
    config.GuardedExecute.notebook_config = settings
    limits = dict(limits or {})
    config.WarmKernelManager.output_limit = int(limits.get("output") or 0)
    if limits.get("writable"):  # sandboxed or not, one reply is bounded by the kernel's budget
        from autograder.isolate.kernels import reply_bound

        config.WarmKernelManager.reply_limit = reply_bound(int(limits["writable"]))
    if sandbox_course:
        config.WarmKernelManager.sandbox_course = sandbox_course
        config.WarmKernelManager.sandbox_limits = limits
        config.WarmKernelManager.sandbox_home_config = settings
    url = config.CourseDirectory.get("db_url", "")
    if url.startswith("sqlite") and "?" not in url:
        # Several workers write to one sqlite gradebook: wait for the lock, do not fail.
        config.CourseDirectory.db_url = url + "?timeout=120"
    return config


def first_line(text: str) -> str:
    from nbconvert.filters import strip_ansi

    text = strip_ansi(text or "").strip()
    return text.splitlines()[0][:300] if text else ""


def read_back(api, course, assignment: str, student: str, flagged: bool,
              verdicts: Mapping[tuple[str, str], Verdict] | None = None,
              earlier: Iterable[Mapping[str, Any]] = ()) -> list[CellResult]:
    """Flag (or unflag) the submission's notebooks, so the formgrader shows crashed and
    timed-out ones to the instructor; return one :class:`CellResult` per graded cell: points,
    max points, status and, when it failed, its message and the problems of its trusted verdict
    (``verdicts``: {(notebook, grade_id): Verdict}; or the problems of the ``earlier`` cells, as
    JSON, of the same grading elsewhere). One gradebook session, through the worker's config
    (so with its sqlite busy timeout)."""
    import nbformat
    from nbgrader.api import MissingEntry

    from autograder.core.results import CellResult, CellStatus, cell_message

    problems: dict[tuple[str, str], list[Problem]] = {key: v.problems for key, v in (verdicts or {}).items()}
    for data in earlier:
        cell = CellResult.from_json(data)
        problems.setdefault((cell.notebook, cell.cell), cell.problems)
    messages: dict[tuple[str, str], str] = {}
    folder = course.folder("autograded") / student / assignment
    for path in folder.glob("*.ipynb"):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:  # noqa: BLE001
            continue
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id:
                messages[(path.stem, grade_id)] = cell_message(cell.get("outputs", []))
    rows = []
    with api.gradebook as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return []
        for nb in submission.notebooks:
            nb.flagged = flagged
        gb.db.commit()
        for nb in submission.notebooks:
            for grade in nb.grades:
                score = grade.score
                passed = score is not None and float(score) >= float(grade.max_score)
                key = (nb.name, grade.name)
                verdict = (verdicts or {}).get(key)
                status = (CellStatus.PASSED if passed else verdict.status if verdict is not None
                          and verdict.status is not CellStatus.PASSED else CellStatus.FAILED)
                rows.append(CellResult(
                    notebook=nb.name, cell=grade.name, points=None if score is None else float(score),
                    max_points=float(grade.max_score), status=status,
                    message="" if passed else messages.get(key, ""),
                    autograded=grade.cell_type == "code" and not grade.needs_manual_grade,
                    problems=[] if passed else problems.get(key, [])))
    return rows


def grade_job(api, course, job: dict, sandboxed: bool, scratch=None) -> dict:
    """Autograde one submission with nbgrader's API; its :class:`autograder.core.results.Result` as JSON.

    With a ``scratch`` (:class:`autograder.record.gradebook_batch.Scratch`, which ``api`` records into),
    the reply also carries under ``"gradebook"`` what nbgrader's autograde recorded there (None
    if it failed), for the instructor's side to write into the course's gradebook.
    """
    from autograder.core.results import Result, Status
    from autograder.execute import guarded as execute
    from autograder.isolate.kernels import WarmKernels

    assignment, student = job["assignment"], job["student"]
    start = time.monotonic()
    sqlite = api.coursedir.db_url.startswith("sqlite")
    for attempt in range(6):
        execute.OUTCOMES.clear()
        WarmKernels.take_skipped()
        result = api.autograde(assignment, student, force=True, create=True)
        text = (result.get("error") or "") + (result.get("log") or "")
        # Several workers share one SQLite file: past its busy timeout, try again. (A server
        # gradebook such as PostgreSQL locks rows, not the database: never retried.)
        if result.get("success") or not sqlite or "database is locked" not in text:
            break
        time.sleep(0.5 * (attempt + 1))
    outcomes = list(execute.OUTCOMES)
    # each notebook's trusted verdicts, by cell (objects of this process: not part of the JSON reply)
    verdicts = {(str(o.get("notebook")), grade_id): verdict
                for o in outcomes for grade_id, verdict in o.pop("verdicts", {}).items()}
    bad = [o for o in outcomes if o["status"] != "ok"]
    if not result.get("success"):
        status = Status.FAILED
        reason = first_line(_nbgrader_error(result))
    elif bad:
        status = Status.of(bad[0]["status"])
        reason = f"{bad[0]['notebook']}: {bad[0]['reason']}"
    else:
        status, reason = Status.GRADED, ""
    try:
        # Flagged for the formgrader: a crash, a timeout, or a cell the grader could not score.
        flagged = status in (Status.CRASHED, Status.TIMED_OUT) or (status == Status.FAILED and bool(result.get("success")))
        cells = read_back(api, course, assignment, student, flagged=flagged, verdicts=verdicts)
    except Exception as exc:  # noqa: BLE001 - the grade is in the gradebook; do not lose the job over a summary
        cells = []
        reason = reason or f"could not read back the scores: {exc}"
    reply = Result(
        assignment, student, status=status, reason=reason, seconds=round(time.monotonic() - start, 3),
        cells=cells, notebooks=outcomes, score=sum(c.points or 0 for c in cells),
        max_score=sum(c.max_points for c in cells), worker=os.getpid(),
        log="" if status == Status.GRADED else (result.get("log") or "")[-4000:],
        isolation="sandboxed" if sandboxed else "unsandboxed",
        not_copied_back=WarmKernels.take_skipped()[:20],
    ).to_dict()
    if scratch is not None:  # (a failed autograde leaves the course's earlier grades as they are)
        reply["gradebook"] = scratch.recorded([(assignment, student)]).get((assignment, student)) \
            if result.get("success") else None
    return reply


class ScratchGradebooks:
    """This worker's own scratch gradebook, for jobs that say so (the course's gradebook is a
    server): a copy of the run's template in a private folder (the worker's tmpfs when
    sandboxed: no kernel sees it; else ``worker-<pid>`` beside the template, in the run's own
    folder, which the next run removes if this one is killed), and an NbGraderAPI that records into it."""

    def __init__(self, config: Config, folder: Path | None):
        self.config = config
        self.folder = folder
        self.template = ""
        self.api = None
        self.scratch = None

    def get(self, spec: dict):
        """(api, scratch) for a job's ``"gradebook"`` spec, the submission prepared as the course has it."""
        import shutil

        from nbgrader.apps import NbGraderAPI
        from traitlets.config import Config

        from autograder.record.gradebook_batch import Scratch

        if spec["template"] != self.template:
            if self.folder is None:
                self.folder = Path(spec["template"]).parent / f"worker-{os.getpid()}"
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = self.folder / "gradebook.db"
            shutil.copyfile(spec["template"], path)
            config = Config(self.config)
            config.CourseDirectory.db_url = "sqlite:///" + str(path)
            self.api = NbGraderAPI(config=config)
            self.scratch = Scratch(config.CourseDirectory.db_url, spec["course_id"])
            self.template = spec["template"]
        return self.api, self.scratch

    def close(self) -> None:
        import shutil

        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def reap_orphans(zyg) -> None:
    """As the kernels' subreaper, this worker also adopts what a student's code left behind
    (a process it started, orphaned when its kernel was killed): collect their exit statuses."""
    keep = {zyg.proc.pid} if zyg is not None else set()
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except (ChildProcessError, OSError, AttributeError):
            return
        if info is None or info.si_pid in keep:
            return
        try:
            os.waitpid(info.si_pid, os.WNOHANG)
        except ChildProcessError:
            return


def _nbgrader_error(result: dict) -> str:
    log = result.get("log") or ""
    for line in log.splitlines():
        if "ERROR" in line or "Error" in line:
            return line
    return result.get("error") or log or "nbgrader autograde failed"


def main() -> int:
    from autograder.isolate.process import JsonLines, die_with_parent, protocol_pipes

    channel = JsonLines(*protocol_pipes())
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    reply = channel.send
    setup = channel.receive()
    sandboxed = bool(setup.get("sandbox"))
    private = None
    if sandboxed:
        from autograder.isolate import sandbox

        writable = (setup.get("limits") or {}).get("writable") or sandbox.Limits.writable
        # before any thread: a tmpfs that dies with this worker
        private = sandbox.private_scratch(sandbox.scratch_size(writable))
    from autograder.isolate.zygote import Zygote  # (the standard library only: nothing heavy before the zygote starts)

    zyg = None
    warning = ""
    if setup.get("warm", True):
        try:  # the zygote imports TensorFlow while this process imports nbgrader
            zyg = Zygote(setup.get("preload", []), setup.get("forget", []), memory_limit=setup.get("memory_limit"))
        except Exception as exc:  # noqa: BLE001
            warning = f"warm kernels unavailable, using stock kernels: {exc}"
    from autograder.core.coursedir import Course, working_directory

    course = Course(Path(setup["course"]))
    os.chdir(course.root)
    config = worker_config(course.config, setup.get("notebook_timeout", 0),
                           sandbox_course=str(course.root) if sandboxed else "", limits=setup.get("limits"))
    from nbgrader.apps import NbGraderAPI

    from autograder.isolate.kernels import WarmKernels, remove_socket_folders

    api = NbGraderAPI(config=config)
    info: dict[str, Any] = {"ready": True, "pid": os.getpid(), "warm": False,
                            "isolation": "sandboxed" if sandboxed else "unsandboxed"}
    if zyg is not None:
        try:
            if zyg.usable:
                WarmKernels.use(zyg)
                info.update(warm=True, zygote=zyg.info)
            else:
                warning = f"warm kernels unavailable here, using stock kernels ({zyg.info})"
                zyg.close()
                zyg = None
        except Exception as exc:  # noqa: BLE001
            warning = f"warm kernels unavailable, using stock kernels: {exc}"
            zyg.close()
            zyg = None
    if warning:
        info["warning"] = warning
    scratches = ScratchGradebooks(config, private / "gradebook" if private else None)
    reply(info)
    for job in channel:
        if job.get("command") == "stats":
            reply({"stats": True, "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                   "zygote_peak_rss": zyg.peak_rss() if zyg else 0,
                   "kernel_peak_rss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024})
            continue
        try:
            with working_directory(course.root):
                if job.get("gradebook"):  # a server gradebook: record into this worker's scratch
                    scratch_api, scratch = scratches.get(job["gradebook"])
                    scratch.prepare(job["assignment"], job["student"], job["gradebook"]["state"])
                    reply(grade_job(scratch_api, course, job, sandboxed, scratch))
                else:
                    reply(grade_job(api, course, job, sandboxed))
            reap_orphans(zyg)
        except Exception:  # noqa: BLE001
            reply({"id": job.get("id"), "assignment": job.get("assignment"), "student": job.get("student"),
                   "status": "failed", "reason": first_line(traceback.format_exc().splitlines()[-1]),
                   "log": traceback.format_exc(), "cells": [], "notebooks": []})
    if zyg is not None:
        zyg.close()
    scratches.close()
    remove_socket_folders()
    if "autograder.check.trusted" in sys.modules:  # its settings folder: os._exit runs no atexit
        sys.modules["autograder.check.trusted"].checks().close()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Every grade is committed and every reply sent: skip the interpreter's teardown of
    # nbgrader, SQLAlchemy and jupyter_client (a second or more, paid at the end of every run).
    os._exit(code)
