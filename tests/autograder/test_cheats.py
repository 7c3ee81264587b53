"""Cheating submissions through the real `autograder grade`: each earns only honestly earned points.

A class of the Dense-layers lesson (and of lesson 1) is graded twice: by stock
`nbgrader autograde` (where every cheat below forges points: that is what the
trusted checks fix) and by `autograder grade`, where a graded test cell's verdict
comes from the course's checks in a trusted process, on answers exported as data.
Controls (correct, blank, partial) score the same under both.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.course_copy import (
    copy_course,
    graded_cell_outputs,
    grades,
    nbgrader,
    notebook_of,
    partial_dense_layers,
    register,
    submit,
)

pytestmark = pytest.mark.slow

SCRIPTS = str(Path(sys.executable).parent)

NOOP_CHECKS = ("for _q in (ex.q1, ex.q2, ex.q3, getattr(ex, 'q4', ex.q3)):\n"
               "    _q.check = lambda **kw: print('✔ correct.')\n")
PATCH_COURSE = ("import course.model_checks, course.exercise\n"
                "course.model_checks.check_dense_stage = lambda *a, **k: None\n"
                "ex.check_dense_stage = lambda *a, **k: None\n"
                "ex.call_student = course.exercise.call_student = lambda ex_, f, *a, **k: a[0] * a[1] + a[1]\n"
                "course.exercise.Problems.raise_if_any = lambda self: None\n")
ALLCLOSE = "np.allclose = lambda *a, **k: True\n"
CUSTOM_EXC = ("def _swallow(shell, etype, value, tb, tb_offset=None):\n"
              "    shell.displayhook.exec_result.error_in_exec = None\n"
              "get_ipython().set_custom_exc((BaseException,), _swallow)\n"
              "get_ipython()._showtraceback = lambda *a, **k: None\n")
INPUT_TRANSFORMER = ("get_ipython().input_transformers_post.append(\n"
                     "    lambda lines: ['pass\\n'] if any('.check(' in l for l in lines) else lines)\n")
AST_TRANSFORMER = ("import ast\n"
                   "class _Swallow(ast.NodeTransformer):\n"
                   "    def visit_Module(self, node):\n"
                   "        body = ast.parse('try:\\n    pass\\nexcept BaseException:\\n    pass').body\n"
                   "        body[0].body = node.body or [ast.Pass()]\n"
                   "        node.body = body\n"
                   "        return node\n"
                   "get_ipython().ast_transformers.append(_Swallow())\n")
EXCEPTHOOK = "import sys\nsys.excepthook = lambda *a: None\n"
# Wrong values of the right shape: the visible check passes (shape, ReLU range), the hidden one does not.
WRONG_VALUES = ("dense_1 = keras.layers.Dense(64, activation='relu')\n"
                "dense_1.build((None, 20))\n"
                "hidden_1 = np.abs(np.random.default_rng(0).normal(size=(1000, 64))).astype('float32')\n")
FAKE_LAYER = '''
class Dense:
    """Not a Keras layer: it only answers the questions a check asks."""
    name, built = "dense", True
    def __init__(self):
        self.w = np.random.default_rng(1).normal(size=(20, 64)).astype("float32") * 0.1
        self.b = np.zeros(64, "float32")
    def get_config(self):
        return {"name": "dense", "units": 64, "activation": "relu", "use_bias": True}
    def count_params(self):
        return 20 * 64 + 64
    def get_weights(self):
        return [self.w, self.b]
    def __call__(self, inputs):
        return np.maximum(0, np.asarray(inputs) @ self.w + self.b)
dense_1 = Dense()
hidden_1 = dense_1(x_normalized)
'''

# An answer of 300 MB (correct layer, then hidden_1 padded): refused as it arrives, not read by the worker.
HUGE_EXPORT = "\nhidden_1 = np.zeros((300 * 2**20 // 8,))\n"


def edited(assignment: str, base: str, prepend: dict[str, str] | None = None,
           replace: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """``base`` (source or release) with code put before / instead of the answer cells named by grade_id."""
    notebook = notebook_of(base, assignment)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id in (replace or {}):
            cell.source = replace[grade_id]
        if grade_id in (prepend or {}):
            cell.source = prepend[grade_id] + cell.source
    return notebook


def answer_cells(assignment: str) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in notebook_of("source", assignment).cells
            if c.metadata.get("nbgrader", {}).get("solution")]


def submissions() -> dict[str, dict[str, tuple[nbformat.NotebookNode, dict[str, float]]]]:
    """{assignment: {student: (notebook, honestly earned points per test cell)}}."""
    dense, first = "03_dense_layers", "01_input_data"
    d_first = answer_cells(dense)[0]
    l_first = answer_cells(first)[0]
    zero3 = {"l03-q1-test": 0.0, "l03-q2-test": 0.0, "l03-q3-test": 0.0}
    full3 = {key: 1.0 for key in zero3}
    zero1 = {f"l01-q{n}-test": 0.0 for n in range(1, 5)}
    hooks = {"custom_exc": CUSTOM_EXC, "input_transformer": INPUT_TRANSFORMER,
             "ast_transformer": AST_TRANSFORMER, "excepthook": EXCEPTHOOK}
    dense_class = {
        "correct": (notebook_of("source", dense), full3),
        "blank": (notebook_of("release", dense), zero3),
        "partial": (partial_dense_layers(), {"l03-q1-test": 1.0, "l03-q2-test": 0.0, "l03-q3-test": 0.0}),
        "noop_checks": (edited(dense, "release", prepend={d_first: NOOP_CHECKS}), zero3),
        # Wrong first layer (3 units, outputs of the wrong shape) behind patched course functions.
        "patched_course": (edited(dense, "source", replace={d_first: PATCH_COURSE + (
            "dense_1 = keras.layers.Dense(3)\nhidden_1 = np.zeros((5, 3), 'float32')\n")}),
            {"l03-q1-test": 0.0, "l03-q2-test": 0.0, "l03-q3-test": 1.0}),
        # hidden_2 = dense_2(hidden_1) is honestly right for the (wrong) hidden_1 it was given.
        "allclose": (edited(dense, "source", replace={d_first: ALLCLOSE + WRONG_VALUES}),
                     {"l03-q1-test": 0.0, "l03-q2-test": 1.0, "l03-q3-test": 1.0}),
        "fake_layer": (edited(dense, "source", replace={d_first: FAKE_LAYER}),
                       {"l03-q1-test": 0.0, "l03-q2-test": 1.0, "l03-q3-test": 1.0}),
    }
    dense_class.update({name: (edited(dense, "release", prepend={d_first: code}), zero3)
                        for name, code in hooks.items()})
    first_class = {
        "correct": (notebook_of("source", first), {key: 1.0 for key in zero1}),
        "blank": (notebook_of("release", first), zero1),
        "noop_checks": (edited(first, "release", prepend={l_first: NOOP_CHECKS}), zero1),
        "custom_exc": (edited(first, "release", prepend={l_first: CUSTOM_EXC}), zero1),
        "ast_transformer": (edited(first, "release", prepend={l_first: AST_TRANSFORMER}), zero1),
    }
    return {dense: dense_class, first: first_class}


CHEATS = {"noop_checks", "patched_course", "allclose", "fake_layer", "custom_exc", "input_transformer",
          "ast_transformer", "excepthook"}


def autograder(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=SCRIPTS + os.pathsep + os.environ.get("PATH", ""))
    return subprocess.run([os.path.join(SCRIPTS, "autograder"), *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    """The same submissions graded by stock nbgrader (one course copy) and by autograder (another)."""
    plan = submissions()
    courses = {}
    for kind in ("stock", "autograder"):
        course = copy_course(tmp_path_factory.mktemp(kind))
        register(course, *plan)
        for assignment, students in plan.items():
            for student, (notebook, _) in students.items():
                submit(course, student, assignment, notebook)
        courses[kind] = course
    for assignment in plan:
        done = nbgrader(courses["stock"], "autograde", assignment, "--create", "--force")
        assert done.returncode == 0, done.stdout + done.stderr
    done = autograder(courses["autograder"], "grade", *plan, "--workers", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    return plan, courses


def scores(course: Path, student: str, assignment: str) -> dict[str, float]:
    return {cell: score for cell, (score, _) in grades(course, student, assignment).items()}


def test_cheats_forge_points_under_stock_nbgrader(classes):
    """What the trusted checks are for: stock nbgrader gives each cheat points it did not earn."""
    plan, courses = classes
    forged = {(assignment, student) for assignment, students in plan.items()
              for student, (_, honest) in students.items()
              if student in CHEATS and sum(scores(courses["stock"], student, assignment).values()) > sum(honest.values())}
    # sys.excepthook is not how IPython reports a cell's error: that one forges nothing even in stock.
    expected = {(a, s) for a, students in plan.items() for s in students if s in CHEATS and s != "excepthook"}
    assert forged == expected


def test_every_submission_earns_exactly_its_honest_points_under_autograder(classes):
    plan, courses = classes
    wrong = {}
    for assignment, students in plan.items():
        for student, (_, honest) in students.items():
            got = scores(courses["autograder"], student, assignment)
            if got != honest:
                wrong[(assignment, student)] = got
    assert not wrong, wrong


def test_controls_score_as_under_stock_nbgrader(classes):
    plan, courses = classes
    for assignment, students in plan.items():
        for student in ("correct", "blank", "partial"):
            if student in students:
                assert (scores(courses["autograder"], student, assignment)
                        == scores(courses["stock"], student, assignment)), (assignment, student)


def test_graded_cells_show_one_trusted_verdict(classes):
    plan, courses = classes
    course = courses["autograder"]
    correct = graded_cell_outputs(course, "correct", "03_dense_layers")
    for cell, outputs in correct.items():
        texts = [o.get("text", "") for o in outputs]
        assert len(outputs) == 1 and texts[0].count("✔") == 1, (cell, outputs)
    blank = graded_cell_outputs(course, "custom_exc", "03_dense_layers")
    for cell, outputs in blank.items():
        assert [o["output_type"] for o in outputs] == ["error"], (cell, outputs)
        assert "not attempted yet" in outputs[0]["evalue"], (cell, outputs)
    fake = graded_cell_outputs(course, "fake_layer", "03_dense_layers")["l03-q1-test"]
    assert [o["output_type"] for o in fake] == ["error"]
    assert "`dense_1` is a Dense object, which the grader cannot read" in fake[0]["evalue"]
    cheated = graded_cell_outputs(course, "allclose", "03_dense_layers")["l03-q1-test"]
    assert [o["output_type"] for o in cheated] == ["error"]
    assert "`hidden_1` is not `dense_1` applied to x_normalized" in cheated[0]["evalue"]


def test_feedback_shows_the_trusted_verdict(classes):
    _, courses = classes
    course = courses["autograder"]
    done = autograder(course, "feedback", "03_dense_layers", "--student", "allclose")
    assert done.returncode == 0, done.stdout + done.stderr
    html = (course / "feedback" / "allclose" / "03_dense_layers" / "03_dense_layers.html").read_text()
    assert "is not `dense_1` applied to x_normalized" in html
    assert "ex.q1.check(recompute=True)" not in html  # the hidden test's code stays hidden


def test_a_huge_answer_export_is_refused_within_the_time_limit_and_the_worker_stays_small(tmp_path):
    """A cheat that exports 300 MB of answers (exercises 1 and 2 read ``hidden_1``): each check says the
    answers were larger than the bound and scores 0, exercise 3 keeps its honest point, the submission is
    graded well within its time limit, and the worker never reads the answers into its memory (before
    the bound: 30-50 s past the limit, the worker at 1.3 GB and its process tree at 3.5 GB)."""
    import json
    import threading
    import time

    import psutil

    course = copy_course(tmp_path / "course")
    register(course, "03_dense_layers")
    submit(course, "huge", "03_dense_layers", _huge_export())
    env = dict(os.environ, PATH=SCRIPTS + os.pathsep + os.environ.get("PATH", ""))
    summary = tmp_path / "summary.json"
    limit = 240  # the kernel spends 7-12 s building each 300 MB export (its own time), more under load
    run = subprocess.Popen([os.path.join(SCRIPTS, "autograder"), "grade", "03_dense_layers", "--workers", "1",
                            "--no-progress", "--notebook-timeout", str(limit), "--summary-json", str(summary)],
                           cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peaks = {"worker": 0, "tree": 0}

    def watch():  # the grading worker and every process of the run but the student's kernel
        root = psutil.Process(run.pid)
        while run.poll() is None:
            tree = 0
            for proc in [root, *root.children(recursive=True)]:
                try:
                    if proc.uids().real >= 1_000_000:  # a sandboxed kernel: its own memory budget
                        continue
                    rss = proc.memory_info().rss
                    if "autograder.execute.worker" in " ".join(proc.cmdline()):
                        peaks["worker"] = max(peaks["worker"], rss)
                    tree += rss
                except psutil.Error:
                    pass
            peaks["tree"] = max(peaks["tree"], tree)
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    start = time.monotonic()
    watcher.start()
    out = run.communicate(timeout=600)[0]
    watcher.join()
    elapsed = time.monotonic() - start
    assert run.returncode == 0, out
    (result,) = json.loads(summary.read_text())["results"]
    assert (result["status"], result["score"]) == ("graded", 1.0), out
    assert result["seconds"] < limit and elapsed < limit + 120, (result["seconds"], elapsed)
    assert scores(course, "huge", "03_dense_layers") == {"l03-q1-test": 0.0, "l03-q2-test": 0.0, "l03-q3-test": 1.0}
    outputs = graded_cell_outputs(course, "huge", "03_dense_layers")
    for cell, names in (("l03-q1-test", "`dense_1`, `hidden_1`"), ("l03-q2-test", "`dense_2`, `hidden_1`, `hidden_2`")):
        (error,) = outputs[cell]
        assert error["evalue"].startswith(f"the grader could not read your answers from the notebook: the answers "
                                          f"{names} took more than 64 MB, the most the grader reads"), error
    # the worker (measured at about 120 MB here) and its zygote and trusted process stay near their size
    assert 0 < peaks["worker"] < 400 * 2**20, peaks
    assert peaks["tree"] < 2 * 2**30, peaks


def _huge_export() -> nbformat.NotebookNode:
    notebook = notebook_of("source", "03_dense_layers")
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "l03-q1-answer":
            cell.source += HUGE_EXPORT
    return notebook
