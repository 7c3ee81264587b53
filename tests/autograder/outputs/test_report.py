"""The class report says what the class got wrong: the course's problems counted from the run log."""
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.core.results import CellResult, CellStatus, Problem, Result, cell_message
from autograder.outputs.report import failure_counts, hardest_cell, problem_lines, render, score_bins
from course.feedback import CheckFailed, NotAttempted


def error_output(exception: BaseException) -> dict:
    return {"output_type": "error", "ename": type(exception).__name__, "evalue": str(exception),
            "traceback": []}


def failed_cell(failure: CheckFailed, cell: str = "test_hidden") -> CellResult:
    """A graded cell as the worker records it from a trusted verdict: the message's first line and
    the check's problems as data."""
    return CellResult("hw", cell, 0.0, 1.0, CellStatus.FAILED, cell_message([error_output(failure)]),
                      problems=[Problem(p.kind, p.text) for p in failure.details])


def test_a_course_check_failure_is_counted_by_its_problems_not_its_headline():
    failed = CheckFailed("Exercise 1 · Hidden layer", ["the layer has 32 units; stage 3 expects 64.",
                                                      "the activation is 'sigmoid'; stage 3 uses ReLU."])
    assert str(failed).startswith("✘ Exercise 1 · Hidden layer: 2 problems to fix")
    assert problem_lines(failed_cell(failed)) == [
        "the layer has 32 units; stage 3 expects 64.", "the activation is 'sigmoid'; stage 3 uses ReLU."]
    # problems are read as data: a problem whose text looks like a numbered list stays one problem
    odd = CheckFailed("Exercise 2 · Output", ["the output layer uses 'relu':\n  2. not a second problem"])
    assert problem_lines(failed_cell(odd)) == ["the output layer uses 'relu':\n  2. not a second problem"]
    other = CellResult("hw", "test_x", 0.0, 1.0, CellStatus.FAILED,
                       cell_message([error_output(AssertionError("units == 8\nmore"))]))
    assert problem_lines(other) == ["AssertionError: units == 8"]
    todo = problem_lines(failed_cell(NotAttempted("Exercise 3", "`model` is not defined yet.")))
    assert todo == ["not attempted yet: `model` is not defined yet."]
    noisy = [{"output_type": "stream", "name": "stderr", "text": "W0000 noise\nmore"}]
    assert problem_lines(CellResult("hw", "t", 0.0, 1.0, CellStatus.FAILED, cell_message(noisy))) == [
        "wrote to stderr: W0000 noise"]
    assert problem_lines(CellResult("hw", "t", 1.0, 1.0, CellStatus.PASSED)) == []


def graded_notebook(outputs_by_cell: dict) -> nbformat.NotebookNode:
    cells = []
    for grade_id, outputs in outputs_by_cell.items():
        cell = new_code_cell("ex.q1.check()")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id, "points": 1,
                                     "locked": True, "schema_version": 3}
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
        cells.append(cell)
    return new_notebook(cells=cells)


def test_failure_counts_read_the_problems_from_the_run_log(tmp_path):
    units = "the layer has 32 units; stage 3 expects 64."
    log = {}
    for student, problems in {"ann": [units, "the activation is 'sigmoid'; stage 3 uses ReLU."],
                              "bob": [units], "cy": []}.items():
        folder = tmp_path / "autograded" / student / "hw"
        folder.mkdir(parents=True)
        outputs = [error_output(CheckFailed("Exercise 1", problems))] if problems else []
        nbformat.write(graded_notebook({"test_hidden": outputs}), str(folder / "hw.ipynb"))
        cell = failed_cell(CheckFailed("Exercise 1", problems)) if problems else \
            CellResult("hw", "test_hidden", 1.0, 1.0, CellStatus.PASSED)
        log[student] = Result("hw", student, cells=[cell])
    # graded by stock nbgrader: no run log record, so its autograded notebook's message counts
    folder = tmp_path / "autograded" / "dan" / "hw"
    folder.mkdir(parents=True)
    nbformat.write(graded_notebook({"test_hidden": [error_output(AssertionError("boom\nmore"))]}),
                   str(folder / "hw.ipynb"))
    course = SimpleNamespace(folder=lambda kind: tmp_path / kind)
    counts = failure_counts(course, "hw", log)
    assert counts.most_common(1) == [(("test_hidden", units), 2)]
    assert counts[("test_hidden", "the activation is 'sigmoid'; stage 3 uses ReLU.")] == 1
    assert counts[("test_hidden", "AssertionError: boom")] == 1
    assert sum(counts.values()) == 4
    assert not any("problem" in message and "to fix" in message for _, message in counts)


def test_hardest_cell_is_never_one_everybody_passed():
    cells = [("nb", "test_a"), ("nb", "test_b"), ("nb", "test_c")]
    assert hardest_cell(cells, {cells[0]: 1.0, cells[1]: 1.0, cells[2]: None}) is None
    assert hardest_cell(cells, {cells[0]: 1.0, cells[1]: 0.75, cells[2]: 0.75})["cell"] == "test_b"
    assert hardest_cell(cells, {cells[0]: 0.9, cells[1]: 0.2, cells[2]: 1.0})["rate"] == 0.2


@pytest.mark.parametrize("max_score", [1, 3, 7, 10, 24, 60, 100])
def test_score_bins_line_up_with_whole_scores(max_score):
    edges = score_bins(max_score)
    assert edges[0] < 0 and edges[-1] > max_score
    widths = {round(b - a, 9) for a, b in zip(edges, edges[1:])}
    assert len(widths) == 1 and float(widths.pop()).is_integer()  # equal bins, whole scores each
    for score in range(max_score + 1):  # every whole score sits inside a bar, never on an edge
        assert not any(abs(score - edge) < 1e-9 for edge in edges)
    if max_score <= 24:
        assert len(edges) - 1 == max_score + 1  # one bar per possible score


def report_data(pass_rate: dict, failures: list) -> dict:
    return {"assignment": "03_dense_layers", "totals": {"ann": 3.0, "bob": 1.0}, "max_score": 3,
            "cells": list(pass_rate), "pass_rate": pass_rate, "failures": failures,
            "statuses": {"graded": 2}, "seconds": [1.5, 2.5], "rejected": {}}


def test_report_page_shows_problems_and_no_fully_passed_hardest_cell():
    everybody = {("nb", "test_a"): 1.0, ("nb", "test_b"): 1.0}
    page = render([report_data(everybody, [])], "demo <course>")
    assert "100% pass" not in page and "every graded cell passed by all" in page
    assert "demo &lt;course&gt;" in page  # autoescaped
    problem = "the layer has 32 units; stage 3 expects 64 <really>."
    page = render([report_data({("nb", "test_a"): 1.0, ("nb", "test_b"): 0.5},
                               [(("test_b", problem), 1)])], "demo")
    assert "test_b (50% pass)" in page
    assert "the layer has 32 units; stage 3 expects 64 &lt;really&gt;." in page
    for alt in ("score histogram", "pass rate per graded cell", "most frequent failure messages"):
        assert f"alt='{alt}'" in page
