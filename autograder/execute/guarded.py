"""nbgrader's ``Execute`` preprocessor, with warm kernels and a notebook that cannot lose its grade.

:class:`GuardedExecute` *is* nbgrader's ``Execute`` (same traits, same config, same
per-cell timeout and interrupt, same error outputs, hence the same scores), with
three additions an instructor notices:

* kernels come from the worker's warm zygote (:mod:`autograder.isolate.kernels`);
* a per-notebook time limit (``GuardedExecute.notebook_timeout``) on top of the
  per-cell one: once it is spent, the kernel is killed;
* a kernel that dies (``os._exit``, a segfault, the out-of-memory killer) or
  overruns the notebook limit no longer aborts the whole autograde: the cell that
  was running and every later code cell get an error output that says why, so
  nbgrader's own ``SaveAutoGrades`` still records the tests that passed before it
  and zero for the rest. The outcome is kept in :data:`OUTCOMES` for the worker;
* trusted checks (:mod:`autograder.check.trusted`): in a course lesson, each graded test cell
  that follows the course's convention gets its verdict from the worker's trusted
  process, on answers the kernel exported as data before the cell ran; a cell the trusted
  process could not score (instructor material missing) makes the outcome ``failed``.
"""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from autograder.check import trusted

#: The custom MIME type in which the kernel returns exported answers (course.answers.MIME).
ANSWERS_MIME = "application/vnd.course.answers+json"

#: One entry per executed notebook since the worker last cleared it.
OUTCOMES: list[dict[str, Any]] = []


def describe_exit(code: int | None) -> str:
    """"exit code 3", "killed by SIGKILL" ... for a kernel's return code."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{hint}"
    return f"exit code {code}"


def _worker_zygote() -> Any:
    """The grading worker's warm zygote (the trusted process is forked from it), or None."""
    try:
        from autograder.isolate.kernels import WarmKernels

        return WarmKernels.zygote
    except ImportError:
        return None


class GuardedExecute(Execute):
    """nbgrader's Execute with warm kernels, a notebook time limit and crash-safe grading."""

    notebook_timeout = Integer(
        0, help="Seconds a whole notebook may run (0: no limit beyond the per-cell timeout)."
    ).tag(config=True)
    trusted_checks = Bool(
        True, help="Grade a course lesson's convention test cells with trusted checks."
    ).tag(config=True)
    notebook_config = Unicode(
        "", help="The settings graded notebooks read, as an nbgrader_config.py's text: the trusted checks read them too."
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any):
        from autograder.isolate.kernels import WarmKernelManager

        kwargs.setdefault("kernel_manager_class", WarmKernelManager)
        super().__init__(*args, **kwargs)
        self._deadline: float | None = None
        self._timed_out: tuple[int, float] | None = None  # (limit, when) of the running cell's timeout
        self.timeout_func = self._cell_timeout
        # The kernel is thrown away after one notebook: no need to wait for a polite exit.
        self.shutdown_kernel = "immediate"

    def _cell_timeout(self, cell: NotebookNode) -> int | None:
        timeout = self.timeout
        if self._deadline is not None:
            remaining = max(1, int(self._deadline - time.monotonic() + 0.999))
            timeout = remaining if not timeout or timeout < 0 else min(timeout, remaining)
        return timeout

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None):
        self._deadline = time.monotonic() + self.notebook_timeout if self.notebook_timeout else None
        self._abort: tuple[str, str] | None = None
        self._outcome = {"notebook": (resources or {}).get("unique_key"), "status": "ok",
                         "reason": "", "cells_run": 0, "seconds": 0.0, "kernel_pid": None,
                         "trusted_cells": 0, "trusted_seconds": 0.0, "trusted_by_cell": {}}
        self._trusted_cells = self._trusted_plan(resources)
        start = time.monotonic()
        try:
            return super().preprocess(nb, resources, km)
        finally:
            self._outcome["seconds"] = round(time.monotonic() - start, 3)
            OUTCOMES.append(self._outcome)

    def _kernel_exit(self) -> int | None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is None:
            return None
        for _ in range(50):  # the kernel may still be on its way out
            code = process.poll()
            if code is not None:
                return code
            time.sleep(0.02)
        return None

    def _kill_kernel(self) -> None:
        provisioner = getattr(self.km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        if process is None:
            return
        try:
            os.killpg(provisioner.pgid, signal.SIGKILL)
        except (OSError, TypeError):
            try:
                process.kill()
            except OSError:
                pass

    def _trusted_plan(self, resources: Any) -> dict[str, trusted.TestCell]:
        """The test cells of this notebook's *source* (never the submission) that trusted checks grade."""
        info = (resources or {}).get("nbgrader", {})
        assignment, notebook = info.get("assignment"), info.get("notebook")
        if not (self.trusted_checks and assignment and notebook):
            return {}
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment)) / f"{notebook}.ipynb"
        cells = trusted.plan(source)
        if cells:
            trusted.checks().read_settings(self.notebook_config)
            trusted.checks().start(zygote=_worker_zygote())
        return cells

    def _ask_kernel(self, code: str, cell: NotebookNode, what: str = "the reply") -> dict:
        """Evaluate ``code`` as a user expression in the kernel (no cell, no history, no output);
        return the JSON it answered in the answers MIME type, or {"error": reason}. The wait counts
        against the cell's and the notebook's time limits; a reply longer than the client's
        ``reply_limit`` is refused as it arrives (``what`` names it in the message)."""
        from jupyter_core.utils import run_sync

        timeout = self._cell_timeout(cell) or 60
        try:
            if not run_sync(self.km.is_alive)():
                return {"error": "the kernel is no longer running"}
        except Exception:  # noqa: BLE001 - a manager without is_alive: just ask
            pass
        try:
            reply = run_sync(self._reply)(code, timeout)
        except TimeoutError:
            try:
                run_sync(self.km.interrupt_kernel)()
            except Exception:  # noqa: BLE001
                pass
            self._record_timeout("a check's call into the notebook", self._timeout_text(timeout, time.monotonic()))
            return {"error": f"the notebook did not answer within {timeout} s and was stopped"}
        if reply is None:
            return {"error": self._refused_text(what)}
        result = reply.get("content", {}).get("user_expressions", {}).get("r", {})
        if result.get("status") != "ok":
            return {"error": f"{result.get('ename', 'error')}: {result.get('evalue', '')}"[:300]}
        data = result.get("data", {}).get(ANSWERS_MIME)
        return data if isinstance(data, dict) else {"error": "the notebook sent no answers"}

    async def _reply(self, code: str, timeout: float) -> dict | None:
        """The kernel's shell reply to ``code`` as a silent user expression; None when the reply was
        refused for its size (the client then connects again, so later cells run); TimeoutError after
        ``timeout`` seconds."""
        from queue import Empty

        kc = self.kc
        self._fresh_shell()
        msg_id = kc.execute("", silent=True, store_history=False, user_expressions={"r": code},
                            allow_stdin=False)
        deadline = time.monotonic() + timeout
        refused = getattr(kc, "reply_refused", lambda: False)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            try:
                msg = await kc.shell_channel.get_msg(timeout=min(0.1, remaining))
            except Empty:
                if refused():
                    kc.reconnect_shell()
                    if not await self.km.is_alive():
                        return {"content": {"user_expressions": {"r": {
                            "status": "error", "ename": "DeadKernel", "evalue": "the kernel died while answering"}}}}
                    return None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg

    def _fresh_shell(self) -> None:
        """A new shell connection if the kernel's last reply was refused for its size (a cell's own
        reply can be made that long too): ZeroMQ does not reconnect by itself after that."""
        if getattr(self.kc, "reply_refused", lambda: False)():
            self.kc.reconnect_shell()

    def _refused_text(self, what: str) -> str:
        """What the student reads when a reply was refused for its size: what, the bound, what to do."""
        limit = getattr(self.kc, "reply_limit", 0)
        size = f"{limit / 2**20:.0f} MB" if limit >= 2**20 else f"{limit} bytes"
        return (f"{what} took more than {size}, the most the grader reads from a notebook, so nothing "
                f"of it was graded. Keep in the exercise's variables only what it asks for (every answer "
                f"of this course takes less than 1 MB), then run the notebook again.")

    def _kernel_call(self, cell: NotebookNode, call: dict) -> dict:
        """Run a student's function in the kernel on inputs the trusted process chose."""
        reply = self._ask_kernel(trusted.request_code("call", json.dumps(call)), cell, "its result")
        if isinstance(reply.get("error"), str):
            reply = {"error": {"type": "RuntimeError", "builtin": True,
                               "message": f"the grader could not call the function: {reply['error']}"}}
        return reply

    def _trusted_export(self, cell: NotebookNode) -> tuple[trusted.TestCell, dict] | None:
        """Before a convention test cell runs: the answers its checks read, exported by the kernel."""
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        test = self._trusted_cells.get(grade_id) if grade_id else None
        if test is None or self._abort is not None:
            return None
        start = time.monotonic()
        names = trusted.checks().names(test)
        if names is None:
            return None
        export = self._ask_kernel(trusted.request_code("export", names), cell,
                                  "the answers " + ", ".join(f"`{name}`" for name in names))
        seconds = time.monotonic() - start
        self._outcome["trusted_seconds"] += seconds
        self._outcome["trusted_by_cell"][grade_id] = [round(seconds, 3)]
        return test, export

    def _trusted_verdict(self, cell: NotebookNode, pending: tuple[trusted.TestCell, dict]) -> None:
        """Replace the cell's outputs by the trusted process's verdict."""
        from autograder.core.results import CellStatus

        start = time.monotonic()
        test, export = pending
        verdict = trusted.checks().run(test, export, lambda call: self._kernel_call(cell, call))
        cell.outputs = trusted.outputs(verdict)
        self._outcome["trusted_cells"] += 1
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        # The worker reads each cell's verdict (its problems) from here, not from the cell's text.
        self._outcome.setdefault("verdicts", {})[grade_id] = verdict
        if verdict.status is CellStatus.NOT_GRADED and self._outcome["status"] == "ok":
            # Not a wrong answer: the submission is recorded as failed (flagged, graded again next run).
            text = verdict.text.strip()
            self._outcome.update(status="failed", reason=f"{grade_id}: {text.splitlines()[0] if text else 'not graded'}")
        self._outcome["trusted_by_cell"].setdefault(grade_id, []).append(round(time.monotonic() - start, 3))
        self._outcome["trusted_seconds"] = round(self._outcome["trusted_seconds"] + time.monotonic() - start, 3)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.cell_type != "code":
            return cell, resources
        pending = self._trusted_export(cell)
        if pending is None:
            return self._preprocess_code_cell(cell, resources, index)
        # A convention test cell holds only check calls, which change nothing later cells use:
        # its verdict comes from the trusted process alone, so the kernel does not run it too.
        self._check_deadline()
        if self._abort is None:
            self._trusted_verdict(cell, pending)
        else:
            self._mark(cell, "NotRun", f"not run: {self._abort[1]} in an earlier cell")
        return cell, resources

    def _check_deadline(self) -> None:
        """Past the notebook's time limit: stop its kernel and mark every remaining cell."""
        if self._abort is None and self._deadline is not None and time.monotonic() >= self._deadline:
            self._kill_kernel()
            self._stop("timed_out", "NotebookTimeout",
                       f"the notebook ran past its {self.notebook_timeout} s time limit")

    async def _async_handle_timeout(self, timeout: int, cell: NotebookNode | None = None):
        """nbclient's per-cell timeout (the kernel is interrupted): remember it, to say so."""
        self._timed_out = (timeout, time.monotonic())
        return await super()._async_handle_timeout(timeout, cell)

    def _timeout_text(self, timeout: int, at: float) -> str:
        """What stopped a cell at ``at``: the notebook's time limit, or the per-cell one."""
        if self._deadline is not None and at >= self._deadline - 0.5:
            return (f"this cell was still running when the notebook reached its "
                    f"{self.notebook_timeout} s time limit, and was stopped")
        return f"this cell ran longer than {timeout} s and was stopped"

    def _record_timeout(self, where: str, text: str) -> None:
        """A cell stopped by a time limit makes the submission ``timed_out`` (the summary, the run log,
        the formgrader flag). The cell's own error output stays as stock nbgrader writes it."""
        if self._outcome["status"] == "ok":
            self._outcome.update(status="timed_out", reason=f"{where}: {text}")

    def _preprocess_code_cell(self, cell: NotebookNode, resources: Any, index: int):
        self._check_deadline()
        if self._abort is not None:
            self._mark(cell, "NotRun", f"not run: {self._abort[1]} in an earlier cell")
            return cell, resources
        self._timed_out = None
        self._fresh_shell()
        try:
            result = super().preprocess_cell(cell, resources, index)
            self._outcome["cells_run"] += 1
            if self._timed_out is not None:
                self._record_timeout(f"cell {index + 1}", self._timeout_text(*self._timed_out))
            return result
        except DeadKernelError:
            exit_text = describe_exit(self._kernel_exit())
            self._stop("crashed", "DeadKernelError", f"the kernel died ({exit_text})")
            self._mark(cell, "DeadKernelError", f"the kernel died while running this cell ({exit_text})")
        except CellTimeoutError:
            # The kernel ignored the interrupt and is still busy: it cannot run anything else.
            self._kill_kernel()
            self._stop("timed_out", "CellTimeoutError",
                       "a cell ignored the interrupt after its time limit; the kernel was stopped")
            self._mark(cell, "CellTimeoutError",
                       "this cell did not finish in time and ignored the interrupt")
        return cell, resources

    def _stop(self, status: str, ename: str, reason: str) -> None:
        self._abort = (ename, reason)
        self._outcome.update(status=status, reason=reason)

    @staticmethod
    def _mark(cell: NotebookNode, ename: str, evalue: str) -> None:
        cell.outputs = list(cell.get("outputs", [])) + [NotebookNode(
            output_type="error", ename=ename, evalue=evalue,
            traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"])]
