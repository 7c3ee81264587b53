"""autograder.outputs.selfcheck: a learner's own score from the visible tests, and what it means."""
from __future__ import annotations

import json

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.core.results import CellStatus


def test_self_check_scoring_rules():
    from autograder.outputs.selfcheck import score_notebook

    def test_cell(gid, points, outputs):
        cell = new_code_cell("assert x")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": gid, "points": points,
                                     "locked": True, "schema_version": 3}
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
        return cell

    def answer(source):
        cell = new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": "a" + source[:3],
                                     "locked": False, "schema_version": 3}
        return cell

    error = {"output_type": "error", "ename": "AssertionError", "evalue": "wrong", "traceback": []}
    stderr = {"output_type": "stream", "name": "stderr", "text": "Warning: noise\n"}
    nb = new_notebook(cells=[
        answer("x = 1"), test_cell("ok", 2, []),
        answer("x = 2"), test_cell("bad", 1, [error]),
        answer("raise NotImplementedError()"), test_cell("todo", 3, [error]),
        answer("y = 3"), test_cell("noisy", 1, [stderr]),
    ])
    result = score_notebook(nb)
    assert [(t.cell, t.points, t.status) for t in result.tests] == [
        ("ok", 2, CellStatus.PASSED), ("bad", 0, CellStatus.FAILED), ("todo", 0, CellStatus.NOT_ATTEMPTED),
        ("noisy", 0, CellStatus.FAILED)]
    # `autograder check --json`: the same, with each test's name and status as text
    shown = json.loads(json.dumps(result.as_dict()))
    assert [(t["name"], t["status"], t["passed"]) for t in shown["tests"]] == [
        ("ok", "passed", True), ("bad", "failed", False), ("todo", "not attempted", False), ("noisy", "failed", False)]
    assert result.tests[1].message == "AssertionError: wrong"
    assert result.tests[3].message == "wrote to stderr: Warning: noise"
    assert (result.score, result.max_score) == (2, 7)


def test_self_check_tells_a_learner_what_hidden_tests_mean_for_them(capsys):
    from autograder.outputs.selfcheck import CheckResult, print_result

    print_result(CheckResult(notebook="01_input_data.ipynb"))
    said = " ".join(capsys.readouterr().out.split())
    assert "your instructor" not in said
    assert "visible tests" in said and "same skills on other data" in said and "studying on your own" in said
