"""Fast unit tests of autograder's pieces (no kernels, no TensorFlow)."""
from __future__ import annotations

import signal
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "autograder"


def test_preload_plan_imports_course_first_and_forgets_it():
    from autograder.pool import plan_preload

    preload, forget = plan_preload([FIXTURES / "course" / "source" / "tf1" / "tf1.ipynb"])
    assert preload[0] == "course" and forget == ["course"]
    assert "keras" in preload and "numpy" in preload


def test_preload_plan_skips_libraries_that_bind_to_the_kernel(tmp_path):
    from autograder.pool import plan_preload

    nb = new_notebook(cells=[new_code_cell("%matplotlib inline\nimport matplotlib.pyplot as plt\n"
                                           "import ipywidgets\nfrom json import dumps\nimport no_such_module_xyz")])
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    preload, forget = plan_preload([path])
    assert preload == ["json"] and forget == []


def test_exit_descriptions():
    from autograder.execute import describe_exit

    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-signal.SIGKILL).startswith("killed by SIGKILL")
    assert describe_exit(-signal.SIGSEGV) == "killed by SIGSEGV"


def test_worker_config_swaps_only_execute():
    from nbgrader.preprocessors import Execute, SaveAutoGrades
    from traitlets.config import Config

    from autograder.execute import GuardedExecute
    from autograder.worker import worker_config

    config = Config()
    config.CourseDirectory.db_url = "sqlite:////tmp/x/gradebook.db"
    out = worker_config(config, 30)
    pipeline = out.Autograde.autograde_preprocessors
    assert GuardedExecute in pipeline and Execute not in pipeline and SaveAutoGrades in pipeline
    assert out.GuardedExecute.notebook_timeout == 30
    assert out.CourseDirectory.db_url.endswith("gradebook.db?timeout=120")
    assert issubclass(GuardedExecute, Execute)


def test_guarded_execute_takes_nbgraders_execute_config():
    from traitlets.config import Config

    from autograder.execute import GuardedExecute

    config = Config()
    config.Execute.timeout = 7
    ex = GuardedExecute(config=config)
    assert ex.timeout == 7 and ex.interrupt_on_timeout and ex.allow_errors


@pytest.mark.parametrize("text, expected", [("4G", 4 * 2**30), ("512m", 512 * 2**20), ("0", None), ("1000", 1000)])
def test_memory_sizes(text, expected):
    from autograder.grading import parse_size

    assert parse_size(text) == expected


def test_bad_memory_size():
    from autograder.coursedir import CourseError
    from autograder.grading import parse_size

    with pytest.raises(CourseError, match="Not a memory size"):
        parse_size("lots")


def test_self_check_scoring_rules():
    from autograder.selfcheck import score_notebook

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
    assert [(t.name, t.points, t.status) for t in result.tests] == [
        ("ok", 2, "passed"), ("bad", 0, "failed"), ("todo", 0, "not attempted"), ("noisy", 0, "failed")]
    assert result.tests[1].message == "AssertionError: wrong"
    assert result.tests[3].message == "wrote to stderr: Warning: noise"
    assert (result.score, result.max_score) == (2, 7)
