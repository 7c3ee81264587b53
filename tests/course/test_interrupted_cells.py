"""A cell stopped with KeyboardInterrupt: by nbgrader's per-cell limit (``c.Execute.timeout``
with ``c.Execute.interrupt_on_timeout``, while nbgrader or autograder runs the notebook), or by
hand (the stop button). The course says which, below the cell's traceback and in the next check,
and states the configured limit, never a time it measured (a graded notebook reads the same from
one run to the next)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from traitlets.config.loader import PyFileConfigLoader

from course import answers, errors, quiz, settings
from course.feedback import CheckFailed, Problems
from tests.notebook_runner import stderr_of

ROOT = Path(__file__).resolve().parents[2]
LIMIT_CONFIG = "c = get_config()\nc.Execute.timeout = 3\nc.Execute.interrupt_on_timeout = True\n"
STOPPED = "ran longer than the 3 s limit for one cell and was stopped"
BY_HAND = "was interrupted (the ■ stop button, or Kernel → Interrupt) before it finished"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture(autouse=True)
def no_cells_seen(monkeypatch):
    """This process's memory of notebook cells starts empty and is put back afterwards."""
    monkeypatch.setattr(errors, "_previous_cell", {})


@pytest.fixture
def course_folder(tmp_path, monkeypatch):
    """A course folder whose nbgrader_config.py sets a 3 s limit per cell, as the working folder."""
    (tmp_path / "nbgrader_config.py").write_text(LIMIT_CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------- which message

def test_a_cell_that_ran_about_as_long_as_the_limit_was_stopped_by_it():
    text = errors.interruption(2.4, 3.0)
    assert text.startswith(f"this cell {STOPPED}: "), text
    assert "loop whose condition never turns false" in text and "epochs or data" in text
    assert "run the cell again" in text
    assert "2.4" not in text  # the limit, never the measured time
    assert STOPPED.replace("3 s", "120 s") in errors.interruption(118.5, 120)
    assert errors.interruption(3.5, 3, cell="that cell").startswith(f"that cell {STOPPED}")


def test_a_cell_stopped_well_before_the_limit_or_with_no_limit_was_interrupted_by_hand():
    for seconds, limit in [(0.4, 3.0), (30.0, 120.0), (500.0, None), (None, 3.0), (None, None)]:
        text = errors.interruption(seconds, limit)
        assert text == f"this cell {BY_HAND}: run it again to define what it should.", (seconds, limit)
        assert "limit" not in text


def test_the_limit_is_the_course_configs_execute_timeout(tmp_path):
    config = tmp_path / "nbgrader_config.py"
    config.write_text(LIMIT_CONFIG)
    (tmp_path / "workspace" / "01_input_data").mkdir(parents=True)
    assert errors.cell_limit(tmp_path / "workspace" / "01_input_data") == 3.0
    for unset in ("c = get_config()\n", "c = get_config()\nc.Execute.timeout = None\n",
                  "c = get_config()\nc.Execute.timeout = -1\n", "c = get_config()\nc.Execute.timeout = 'x'\n",
                  "this is not Python"):
        config.write_text(unset)
        assert errors.cell_limit(tmp_path) is None, unset
    # the course as shipped: 120 s, and the sandboxed kernels of `autograder grade` are given it
    assert errors.cell_limit(ROOT) == 120.0
    course = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert "Execute.timeout" in course.Autograder.notebook_config


def test_the_limit_applies_only_while_a_grader_runs_the_notebook(course_folder, monkeypatch):
    monkeypatch.delenv(errors.GRADER_VARIABLE, raising=False)
    assert errors.applied_limit() is None  # the student's own session: no limit stops a cell
    for execution in ("autograde", "validate"):  # nbgrader's autograde, Validate, autograder check
        monkeypatch.setenv(errors.GRADER_VARIABLE, execution)
        assert errors.applied_limit() == 3.0


def test_the_quiz_and_the_errors_read_the_course_config_through_one_helper(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseQuiz.mode = "graded"\nc.Execute.timeout = 7\n')
    assert settings.setting("CourseQuiz.mode", tmp_path) == "graded"
    assert settings.setting("Execute.timeout", tmp_path) == 7
    assert settings.setting("Execute.missing", tmp_path, default=1) == 1
    assert quiz.course_config is settings.course_config  # the quiz's public name still works
    assert "PyFileConfigLoader" not in (ROOT / "course" / "quiz.py").read_text()


# ---------------------------------------------------------------- the next check

def interrupted_answer_cell(monkeypatch, seconds, limit=3.0):
    """The kernel's view after an answer cell stopped with KeyboardInterrupt after ``seconds``,
    ``limit`` being the per-cell limit in force."""
    error = KeyboardInterrupt()
    monkeypatch.setattr(sys, "last_value", error, raising=False)
    errors.remember_cell(error, seconds, limit)
    return error


def check_text() -> str:
    with pytest.raises(CheckFailed) as failed:
        Problems("Exercise 1", ["`x` is not defined"]).raise_if_any()
    return str(failed.value)


def test_the_next_check_says_the_answer_cell_ran_past_the_limit(monkeypatch):
    interrupted_answer_cell(monkeypatch, 2.9)
    text = check_text()
    assert (f"the answer cell above stopped with an error, so what it defines is missing or "
            f"half-done: that cell {STOPPED}: look for a loop") in text, text
    assert "(Python said: KeyboardInterrupt)" in text and "KeyboardInterrupt: " not in text


def test_the_next_check_says_the_answer_cell_was_interrupted_when_it_stopped_early(monkeypatch):
    interrupted_answer_cell(monkeypatch, 0.3)
    assert f"half-done: that cell {BY_HAND}" in check_text()
    interrupted_answer_cell(monkeypatch, 250.0, limit=None)  # the student's own session: no limit
    assert f"half-done: that cell {BY_HAND}" in check_text()
    interrupted_answer_cell(monkeypatch, None)  # not timed
    assert f"half-done: that cell {BY_HAND}" in check_text()


def test_the_kernel_exports_how_long_the_failed_cell_ran_for_the_graders_checks(monkeypatch):
    interrupted_answer_cell(monkeypatch, 2.91234)
    last = answers.export([]).data["last_error"]
    assert last["type"] == "KeyboardInterrupt" and (last["seconds"], last["limit"]) == (2.912, 3.0)
    errors.remember_cell(sys.last_value, "forged", True)  # junk from a notebook is no time at all
    assert errors.cell_timing(sys.last_value) == (None, None)
    assert "seconds" not in answers.export([]).data["last_error"]
    errors.remember_cell(sys.last_value, float("nan"), float("inf"))
    assert errors.cell_timing(sys.last_value) == (None, None)
    assert errors.cell_timing(KeyboardInterrupt()) == (None, None)  # another error: not the cell timed


# ---------------------------------------------------------------- in a real kernel

def cell_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append("\n".join(output.traceback))
    return ANSI.sub("", "\n".join(parts))


def test_in_a_kernel_the_stopped_cell_and_the_next_check_name_the_limit(course_folder, monkeypatch):
    """nbclient stops ``while True: pass`` after the 3 s of the course's config, as nbgrader does
    (which sets NBGRADER_EXECUTION): the cell keeps its KeyboardInterrupt error output, the course's
    sentence ends its traceback, the next check repeats it, and nothing goes to stderr. A stop by hand
    (SIGINT, what Kernel → Interrupt sends) at once is an interrupt, not the limit; so is a long cell
    stopped in the student's own session (no NBGRADER_EXECUTION), where no limit applies."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in [
        "import course\nimport course.errors  # what a lesson's first cell imports, through its lesson",
        "while True:\n    pass",
        "from course.feedback import Problems\nProblems('Exercise 1', ['`x` is not defined']).raise_if_any()",
        "import os, signal, time\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(30)",
        "from course import errors\nprint(errors.explain(errors.recent_error()))",
        "import os\ndel os.environ['NBGRADER_EXECUTION']  # the student's own session",
        "while True:\n    pass",
    ]]
    # The limit applies to the loop only: importing TensorFlow may take longer on a busy machine.
    client = NotebookClient(notebook, timeout=3, timeout_func=lambda cell: 3 if "while True" in cell.source else 300,
                            interrupt_on_timeout=True, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(course_folder)}})
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # the kernel's environment, as nbgrader's
    client.execute()
    setup, loop, check, by_hand, explained, _, own_session = notebook.cells
    assert not [o for o in setup.outputs if o.output_type == "error"], cell_text(setup)
    (error,) = [o for o in loop.outputs if o.output_type == "error"]
    assert (error.ename, error.evalue) == ("KeyboardInterrupt", "")  # the same error, the same score
    assert f"This cell {STOPPED}: look for a loop" in cell_text(loop), cell_text(loop)
    assert f"half-done: that cell {STOPPED}" in cell_text(check), cell_text(check)
    assert check.outputs[-1].ename == "CheckFailed"
    (error,) = [o for o in by_hand.outputs if o.output_type == "error"]
    assert error.ename == "KeyboardInterrupt" and f"This cell {BY_HAND}" in cell_text(by_hand), cell_text(by_hand)
    assert f"that cell {BY_HAND}" in cell_text(explained) and STOPPED not in cell_text(explained)
    assert f"This cell {BY_HAND}" in cell_text(own_session), cell_text(own_session)
    assert stderr_of(notebook) == []
