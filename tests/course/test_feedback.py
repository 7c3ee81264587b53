"""course.feedback: the three outcomes a student sees, rendered as before, with their problems as data."""
from __future__ import annotations

import pytest

from course.exercise import Exercise, Notebook, verdicts_held
from course.feedback import (
    ANSWER_ERROR,
    CHECK_ERROR,
    MISMATCH,
    MISSING,
    CheckFailed,
    Correct,
    NotAttempted,
    Problem,
    Problems,
    passed,
)


def test_correct_renders_the_tick_line_and_passed_prints_it(capsys):
    assert Correct("Exercise 2 · Dense layers").render() == "✔ Exercise 2 · Dense layers: correct."
    assert Correct("Question 1", "answer recorded", "C").render() == "✔ Question 1: answer recorded. C"
    assert passed("Exercise 1", "5 epochs.") == "✔ Exercise 1: correct. 5 epochs."
    assert capsys.readouterr().out == "✔ Exercise 1: correct. 5 epochs.\n"


def test_check_failed_takes_strings_as_before_and_problems_with_a_kind():
    old = CheckFailed("Exercise 1", ["the layer has 32 units", "the activation is 'sigmoid'"])
    assert old.problems == ["the layer has 32 units", "the activation is 'sigmoid'"]
    assert [p.kind for p in old.details] == [MISMATCH, MISMATCH]
    assert str(old) == ("✘ Exercise 1: 2 problems to fix\n  1. the layer has 32 units\n"
                        "  2. the activation is 'sigmoid'")
    mixed = CheckFailed("Exercise 1", ["the layer has 32 units", Problem("the check could not run", CHECK_ERROR)])
    assert str(mixed) == "✘ Exercise 1: 2 problems to fix\n  1. the layer has 32 units\n  2. the check could not run"
    assert [(p.kind, p.text) for p in mixed.details] == [(MISMATCH, "the layer has 32 units"),
                                                         (CHECK_ERROR, "the check could not run")]
    todo = NotAttempted("Exercise 3", "`model` is not defined yet.")
    assert str(todo) == "… Exercise 3: not attempted yet. `model` is not defined yet."
    assert [(p.kind, p.text) for p in todo.details] == [(MISSING, "`model` is not defined yet.")]


def test_an_answer_cell_error_comes_first_as_its_own_kind(monkeypatch):
    monkeypatch.setattr("sys.last_value", ValueError("bad input"), raising=False)
    problems = Problems("Exercise 1")
    problems.add("the layer has 32 units")
    with pytest.raises(CheckFailed) as failure:
        problems.raise_if_any()
    assert [p.kind for p in failure.value.details] == [ANSWER_ERROR, MISMATCH]
    assert failure.value.problems[0].startswith("the answer cell above stopped with an error")


def test_a_check_outside_a_notebook_prints_its_tick_and_a_grader_can_hold_it(capsys):
    notebook = Notebook()
    exercise = Exercise(notebook, "Exercise 1", ["x"], lambda problems, x: problems.expect(x == 1, "x is not 1")
                        and None, [])
    notebook.bind({"x": 1}, reseed_tensorflow=False)
    exercise.check()
    assert capsys.readouterr().out == "✔ Exercise 1: correct.\n"
    with verdicts_held() as held:
        exercise.check()
    assert held == ["✔ Exercise 1: correct."] and capsys.readouterr().out == ""
    notebook.bind({"x": 2}, reseed_tensorflow=False)
    with verdicts_held() as held, pytest.raises(CheckFailed) as failure:
        exercise.check()
    assert held == [] and failure.value.problems == ["x is not 1"]
