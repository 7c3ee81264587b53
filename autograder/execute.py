"""nbgrader's ``Execute`` preprocessor, with warm kernels and a notebook that cannot lose its grade.

:class:`GuardedExecute` *is* nbgrader's ``Execute`` (same traits, same config, same
per-cell timeout and interrupt, same error outputs, hence the same scores), with
three additions an instructor notices:

* kernels come from the worker's warm zygote (:mod:`autograder.pool`);
* a per-notebook time limit (``GuardedExecute.notebook_timeout``) on top of the
  per-cell one: once it is spent, the kernel is killed;
* a kernel that dies (``os._exit``, a segfault, the out-of-memory killer) or
  overruns the notebook limit no longer aborts the whole autograde: the cell that
  was running and every later code cell get an error output that says why, so
  nbgrader's own ``SaveAutoGrades`` still records the tests that passed before it
  and zero for the rest. The outcome is kept in :data:`OUTCOMES` for the worker.
"""
from __future__ import annotations

import os
import signal
import time
from typing import Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer

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


class GuardedExecute(Execute):
    """nbgrader's Execute with warm kernels, a notebook time limit and crash-safe grading."""

    notebook_timeout = Integer(
        0, help="Seconds a whole notebook may run (0: no limit beyond the per-cell timeout)."
    ).tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any):
        from autograder.pool import WarmKernelManager

        kwargs.setdefault("kernel_manager_class", WarmKernelManager)
        super().__init__(*args, **kwargs)
        self._deadline: float | None = None
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
                         "reason": "", "cells_run": 0, "seconds": 0.0, "kernel_pid": None}
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

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.cell_type != "code":
            return cell, resources
        if self._abort is None and self._deadline is not None and time.monotonic() >= self._deadline:
            self._kill_kernel()
            self._stop("timed_out", "NotebookTimeout",
                       f"the notebook ran past its {self.notebook_timeout} s time limit")
        if self._abort is not None:
            self._mark(cell, "NotRun", f"not run: {self._abort[1]} in an earlier cell")
            return cell, resources
        try:
            result = super().preprocess_cell(cell, resources, index)
            self._outcome["cells_run"] += 1
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
