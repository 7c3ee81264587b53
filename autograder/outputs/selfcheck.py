"""``autograder check NOTEBOOK``: a learner's own score on the visible tests, offline.

Runs the notebook top to bottom in a fresh kernel (as ``nbgrader validate``
does: ``NBGRADER_EXECUTION=validate``, errors do not stop the run), then scores
every autograded test cell with nbgrader's own rule (``determine_grade``: an
error or anything on stderr is zero, otherwise full or the cell's partial value)
and prints a table::

    test            points  result
    test_build       0 / 2  failed: AssertionError: expected 2 layers, found 3
    test_train       0 / 3  not attempted: the answer above still raises NotImplementedError
    visible score    0 / 5

A test is *not attempted* when the error itself is ``NotImplementedError`` or a
check's ``NotAttempted``, or when it fails because an answer cell above it (since
the previous test) still has its ``raise NotImplementedError()`` stub, unless the
course's check gave its own verdict (``CheckFailed``: e.g. a quiz question answered
wrongly in the widget); the check's own message is shown when it has one. No
gradebook, no network.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.core.coursedir import CourseError
from autograder.core.results import CellResult, CellStatus, cell_message, error_name

#: What an answer cell holds until the learner writes it (nbgrader's ``ClearSolutions`` stub).
STUB = "raise NotImplementedError()"
#: A course check's own "wrong" verdict: the check has told attempted from not attempted itself
#: (it raises ``NotAttempted`` for the latter), e.g. a quiz answer given in the widget while the
#: answer cell below it still holds its stub is answered, and wrong.
VERDICTS = {"CheckFailed"}


#: How many lines of a failed test's message the table shows (course checks list every mismatch).
MESSAGE_LINES = 12


@dataclass
class CheckResult:
    notebook: str
    tests: list[CellResult] = field(default_factory=list)
    error: str = ""

    @property
    def score(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_points for t in self.tests)

    @property
    def all_passed(self) -> bool:
        return not self.error and all(t.passed for t in self.tests)

    def as_dict(self) -> dict:
        """``autograder check --json``: each test as a CellResult, also under its earlier key ``name``."""
        return {"notebook": self.notebook, "error": self.error, "score": self.score, "max_score": self.max_score,
                "tests": [{"name": t.cell, **t.to_json()} for t in self.tests]}


def _course_timeout(path: Path) -> int | None:
    from autograder.core.coursedir import find_course_root, load_config

    try:
        config = load_config(find_course_root(path.parent))
    except Exception:  # noqa: BLE001
        return None
    value = config.Execute.get("timeout")
    return value if isinstance(value, int) else None


def _is_stub(cell) -> bool:
    if STUB in cell.source:
        return True
    return any(o.get("output_type") == "error" and o.get("ename") == "NotImplementedError"
               for o in cell.get("outputs", []))


def score_notebook(nb: nbformat.NotebookNode, name: str = "") -> CheckResult:
    """Score an executed notebook's autograded test cells the way nbgrader does."""
    from nbgrader.utils import determine_grade, is_grade, is_solution

    result = CheckResult(notebook=name)
    pending_answers: list = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code" and not meta.get("grade"):
            pending_answers.append(cell)
            continue
        if not (cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)):
            continue
        points, max_points = determine_grade(cell)
        points = float(points or 0.0)
        outputs = cell.get("outputs", [])
        message, ename = cell_message(outputs, lines=MESSAGE_LINES), error_name(outputs)
        if points >= max_points:
            status = CellStatus.PASSED
        elif ("NotImplementedError" in ename or "NotAttempted" in ename or (
                ename not in VERDICTS and pending_answers and any(_is_stub(a) for a in pending_answers))):
            status = CellStatus.NOT_ATTEMPTED
            if not message or ename.endswith(("NameError", "NotImplementedError")):
                # the course's own "not attempted" message says more than a NameError
                message = "the answer above still raises NotImplementedError: write it first"
        else:
            status = CellStatus.FAILED
        result.tests.append(CellResult(name, meta.get("grade_id", f"cell {len(result.tests) + 1}"), points,
                                       float(max_points), status, message))
        pending_answers = []
    return result


def self_check(path: Path | str, timeout: int | None = None) -> CheckResult:
    """Run ``path`` in a fresh kernel and score its visible tests."""
    from nbclient import NotebookClient

    path = Path(path)
    if not path.exists():
        raise CourseError(f"No notebook at {path}.")
    if path.suffix != ".ipynb":
        raise CourseError(f"{path} is not a notebook (.ipynb).")
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # noqa: BLE001
        raise CourseError(f"{path} cannot be read as a notebook: {exc}") from None
    timeout = timeout or _course_timeout(path) or 120
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, interrupt_on_timeout=True,
                            kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    old = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "validate"
    error = ""
    try:
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's own start-up chatter
    except Exception as exc:  # noqa: BLE001 - the kernel died or hung: score what ran
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    finally:
        if old is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = old
    result = score_notebook(nb, path.name)
    result.error = error
    return result


#: What a learner's local score means, for self-study learners and students in a class alike.
HIDDEN_TESTS_NOTE = ("This score covers the visible tests, the ones you see in the notebook. When a class is "
                     "graded, hidden tests also re-check the same skills on other data; studying on your own, "
                     "the visible score is the whole of your score, and passing it means the skills work on "
                     "the course data.")


def print_result(result: CheckResult) -> None:
    from rich.table import Table

    from autograder.outputs.progress import console as make_console

    console = make_console()
    style = {CellStatus.PASSED: "green", CellStatus.FAILED: "red", CellStatus.NOT_ATTEMPTED: "yellow"}
    table = Table(title=f"visible tests of {result.notebook}", title_justify="left")
    table.add_column("test")
    table.add_column("points", justify="right")
    table.add_column("result")
    for test in result.tests:
        text = test.status.value + (f": {test.message}" if test.message and not test.passed else "")
        table.add_row(test.cell, f"{test.points:g} / {test.max_points:g}", f"[{style[test.status]}]{text}[/]")
    table.add_section()
    table.add_row("[bold]visible score[/]", f"[bold]{result.score:g} / {result.max_score:g}[/]", "")
    console.print(table)
    if not result.tests:
        console.print("This notebook has no autograded test cells.")
    if result.error:
        console.print(f"[red]The run stopped early:[/] {result.error}")
    console.print(HIDDEN_TESTS_NOTE)
