"""nbgrader's own autograde scenarios, graded by stock `nbgrader autograde` and by `autograder grade`.

The notebooks come from nbgrader's test suite (``nbgrader/tests/apps/files``, shipped
with nbgrader): unchanged and changed submissions, the showtraceback cheat attempts,
changed grade and locked cells, late, on-time and empty timestamps with the "zero" late
penalty, a missing and an extra notebook, an empty submission folder, hidden tests,
autotests (simple, multi, hashed, hidden), side effects, a data file the notebook opens,
an infinite loop and a slow cell under ``Execute.timeout``, and a notebook that checks
``NBGRADER_EXECUTION``. Three copies of one course are graded: by stock nbgrader, by
``autograder grade`` on local workers and by ``autograder grade --scheduler`` on a real
Dask cluster; the gradebooks (scores, needs-manual-grade, comments, lateness) and the
autograded folders (the same files, the same cells and outputs) must be identical.
"""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import nbformat
import nbgrader
import pytest

from tests.autograder.executors.test_dask import cluster  # noqa: F401  (a fixture: a real scheduler and 2 workers)
from tests.course_copy import nbgrader as run_nbgrader
from tests.fixtures.autograder.fixture_course import autograder

pytestmark = pytest.mark.slow

FILES = Path(nbgrader.__file__).parent / "tests" / "apps" / "files"
DUE = "2015-02-02 14:58:23.948203 America/Los_Angeles"
LATE = "2015-02-02 15:58:23.948203 America/Los_Angeles"
RELEASED = object()  # a student who submits the release version as it was handed out

CONFIG = """\
c = get_config()
c.Execute.timeout = 2
c.LateSubmissionPlugin.penalty_method = "zero"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
"""

def autotest(kind: str, **students: str) -> tuple[dict[str, str], dict[str, dict]]:
    """An autotests assignment: source ``autotest-<kind>.ipynb``, each student's ``autotest-<kind>-<variant>.ipynb``."""
    return ({"p1.ipynb": f"autotest-{kind}.ipynb"},
            {student: {"p1.ipynb": f"autotest-{kind}-{variant}.ipynb"} for student, variant in students.items()})


# assignment: (its source files, {student: {submitted file: nbgrader test file, text or RELEASED}})
SCENARIOS: dict[str, tuple[dict[str, str], dict[str, dict]]] = {
    "ps1": ({"p1.ipynb": "submitted-unchanged.ipynb"}, {
        "unchanged": {"p1.ipynb": "submitted-unchanged.ipynb"},
        "changed": {"p1.ipynb": "submitted-changed.ipynb"},
        "cheat": {"p1.ipynb": "submitted-cheat-attempt.ipynb"},
        "cheat2": {"p1.ipynb": "submitted-cheat-attempt-alternative.ipynb"},
        "gradecell": {"p1.ipynb": "submitted-grade-cell-changed.ipynb"},
        "lockedcell": {"p1.ipynb": "submitted-locked-cell-changed.ipynb"},
        "ontime": {"p1.ipynb": "submitted-changed.ipynb", "timestamp.txt": DUE},
        "late": {"p1.ipynb": "submitted-changed.ipynb", "timestamp.txt": LATE},
        "nostamp": {"p1.ipynb": "submitted-changed.ipynb", "timestamp.txt": ""},
        "extra": {"p1.ipynb": "submitted-changed.ipynb", "p1 copy.ipynb": "submitted-unchanged.ipynb"},
    }),
    "ps2": ({"p1.ipynb": "submitted-unchanged.ipynb", "p2.ipynb": "submitted-unchanged.ipynb"}, {
        "onlyone": {"p1.ipynb": "submitted-changed.ipynb"},
        "both": {"p1.ipynb": "submitted-changed.ipynb", "p2.ipynb": "submitted-unchanged.ipynb"},
        "emptyfolder": {},
    }),
    "hidden": ({"p1.ipynb": "test-hidden-tests.ipynb"}, {"released": {"p1.ipynb": RELEASED}}),
    "auto": autotest("simple", unchanged="unchanged", changed="changed"),
    "automulti": autotest("multi", unchanged="unchanged", changed="changed"),
    "autohashed": autotest("hashed", unchanged="unchanged", changed="changed"),
    "autohidden": autotest("hidden", unchanged="unchanged", right="changed-right", wrong="changed-wrong"),
    "sideeffect": ({"p1.ipynb": "side-effects.ipynb"}, {"writer": {"p1.ipynb": "side-effects.ipynb"}}),
    "datafile": ({"p1.ipynb": "open_relative_file.ipynb", "data.txt": "data.txt"}, {
        "withdata": {"p1.ipynb": "open_relative_file.ipynb", "data.txt": "data.txt"},
        "nodata": {"p1.ipynb": "open_relative_file.ipynb"},
    }),
    "limits": ({"p1.ipynb": "timeout.ipynb", "p2.ipynb": "infinite-loop.ipynb"}, {
        "slow": {"p1.ipynb": "timeout.ipynb", "p2.ipynb": "infinite-loop.ipynb"},
    }),
    "envvar": ({"p1.ipynb": "validating-environment-variable.ipynb"}, {
        "checker": {"p1.ipynb": "validating-environment-variable.ipynb"},
    }),
}


def build_course(root: Path) -> Path:
    """The scenario course, its assignments generated (ps1 with a due date), submissions in place."""
    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(CONFIG)
    shutil.copy(FILES / "autotests.yml", root / "autotests.yml")
    for assignment, (sources, _) in SCENARIOS.items():
        for name, original in sources.items():
            target = root / "source" / assignment / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(FILES / original, target)
    ok(run_nbgrader(root, "db", "assignment", "add", "ps1", "--duedate", DUE))
    for assignment in SCENARIOS:
        ok(run_nbgrader(root, "generate_assignment", assignment))
    for assignment, (_, students) in SCENARIOS.items():
        for student, files in students.items():
            folder = root / "submitted" / student / assignment
            folder.mkdir(parents=True)
            for name, content in files.items():
                if content is RELEASED:
                    shutil.copy(root / "release" / assignment / name, folder / name)
                elif name.endswith(".ipynb") or name == "data.txt":
                    shutil.copy(FILES / content, folder / name)
                else:
                    (folder / name).write_text(content)
    return root


def ok(result) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def gradebook_of(course: Path) -> dict:
    """Everything autograding writes into the gradebook, per submission, notebook and cell."""
    from nbgrader.api import Gradebook

    rows = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for assignment in gradebook.assignments:
            for submission in assignment.submissions:
                rows[assignment.name, submission.student.id] = {
                    "timestamp": str(submission.timestamp),
                    "seconds late": submission.total_seconds_late,
                    "notebooks": {notebook.name: {
                        "score": notebook.score, "max score": notebook.max_score,
                        "needs manual grade": notebook.needs_manual_grade,
                        "late penalty": notebook.late_submission_penalty,
                        "grades": {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade)
                                   for g in notebook.grades},
                        "comments": {c.name: c.auto_comment for c in notebook.comments},
                    } for notebook in submission.notebooks},
                }
    return rows


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def output_text(output: dict) -> tuple:
    """What a reader sees of one output (a traceback by its error's name and message)."""
    data = output.get("data", {})
    return (output.get("output_type"), output.get("name"), output.get("text"),
            data.get("text/plain"), output.get("ename"), ANSI.sub("", output.get("evalue", "")))


def autograded_files(course: Path) -> dict[str, object]:
    """Every file under autograded/: a notebook by its cells and outputs, anything else by its bytes."""
    files = {}
    for path in sorted((course / "autograded").rglob("*")):
        if path.is_dir():
            continue
        key = str(path.relative_to(course / "autograded"))
        if path.suffix == ".ipynb":
            notebook = nbformat.read(str(path), as_version=4)
            files[key] = [(cell.cell_type, cell.source, cell.metadata.get("nbgrader"),
                           [output_text(o) for o in cell.get("outputs", [])]) for cell in notebook.cells]
        else:
            files[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The scenario course, and a copy of it graded by stock ``nbgrader autograde``."""
    base = build_course(tmp_path_factory.mktemp("scenarios") / "course")
    stock = Path(shutil.copytree(base, base.parent / "stock"))
    for assignment in SCENARIOS:
        ok(run_nbgrader(stock, "autograde", assignment))
    return base, stock


EXECUTORS = ["local", "dask"]


@pytest.fixture(scope="module", params=EXECUTORS)
def graded(request, course):
    """``(stock copy, autograder copy, autograder's output)``, for each executor."""
    base, stock = course
    ours = Path(shutil.copytree(base, base.parent / request.param))
    where = ["--workers", "2"] if request.param == "local" else ["--scheduler", request.getfixturevalue("cluster")]
    result = autograder("grade", *SCENARIOS, *where, "--no-progress", cwd=ours, timeout=900)
    return stock, ours, result


def test_the_scenarios_exercise_what_they_claim(course):
    """A guard on the fixture: the stock run shows the cases nbgrader's own tests assert."""
    _, stock = course
    book = gradebook_of(stock)
    assert book["ps1", "unchanged"]["notebooks"]["p1"]["score"] == 1
    assert book["ps1", "changed"]["notebooks"]["p1"]["needs manual grade"] is True
    assert book["ps1", "late"]["seconds late"] > 0
    assert book["ps1", "late"]["notebooks"]["p1"]["late penalty"] == book["ps1", "late"]["notebooks"]["p1"]["score"] > 0
    assert book["ps1", "ontime"]["seconds late"] == 0
    assert book["hidden", "released"]["notebooks"]["p1"]["score"] == 1.5
    assert book["ps2", "onlyone"]["notebooks"]["p2"]["score"] == 0
    assert book["limits", "slow"]["notebooks"]["p1"]["score"] == 0  # the 5 s cell passes the 2 s limit
    assert book["envvar", "checker"]["notebooks"]["p1"]["score"] == 0
    assert book["datafile", "withdata"]["notebooks"]["p1"]["score"] == 10
    files = autograded_files(stock)
    assert "writer/sideeffect/side-effect.txt" in files
    assert "extra/ps1/p1 copy.ipynb" not in files
    assert not any(key.startswith("emptyfolder/") for key in files)


def test_autograder_finishes_the_class(graded):
    _, _, result = graded
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_the_gradebooks_are_identical(graded):
    stock, ours, _ = graded
    expected, actual = gradebook_of(stock), gradebook_of(ours)
    assert set(actual) == set(expected)
    for key in expected:
        assert actual[key] == expected[key], key


def test_the_autograded_files_are_identical(graded):
    stock, ours, _ = graded
    expected, actual = autograded_files(stock), autograded_files(ours)
    assert sorted(actual) == sorted(expected)
    for key in expected:
        assert actual[key] == expected[key], key


# ---------------------------------------------------------------- a cell stopped by the per-cell limit

#: Seconds per cell: the first cell imports the course (TensorFlow) well within it, the loop reaches it.
CELL_LIMIT = 12
LIMITED_CONFIG = f"""\
c = get_config()
c.Execute.timeout = {CELL_LIMIT}
c.Execute.interrupt_on_timeout = True
c.Autograder.notebook_config = ["Execute.timeout"]
"""


def limited_course(root: Path) -> Path:
    """One assignment whose first cell imports the course library, as a lesson's does; a student's
    answer cell loops for ever; the next cell is a check that reports what is missing."""
    from tests.fixtures.autograder.fixture_course import _answer, _notebook, _test

    root.mkdir(parents=True)
    (root / "nbgrader_config.py").write_text(LIMITED_CONFIG)
    source = _notebook([
        nbformat.v4.new_code_cell("import course\nimport course.errors  # what a lesson imports, through its lesson"),
        _answer("answer", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"),
        _test("check", "from course.feedback import Problems\nproblems = Problems('Exercise 1')\n"
                       "problems.expect('x' in globals(), '`x` is not defined')\nproblems.raise_if_any()", 1),
    ])
    (root / "source" / "limit").mkdir(parents=True)
    nbformat.write(source, str(root / "source" / "limit" / "limit.ipynb"))
    ok(run_nbgrader(root, "generate_assignment", "limit"))
    submission = nbformat.read(str(root / "release" / "limit" / "limit.ipynb"), as_version=4)
    submission.cells[1].source = "while True:\n    pass"
    (root / "submitted" / "looper" / "limit").mkdir(parents=True)
    nbformat.write(submission, str(root / "submitted" / "looper" / "limit" / "limit.ipynb"))
    return root


def test_a_cell_stopped_by_the_time_limit_says_so_under_both_tools(tmp_path):
    """Stock ``nbgrader autograde`` and ``autograder grade`` (whose sandboxed kernel reads the limit
    from ``notebook_config``) write the same autograded notebook: the loop keeps its KeyboardInterrupt
    error, the course's sentence with the configured limit ends its traceback, and the check below
    repeats it; autograder's summary says the submission timed out."""
    stock = limited_course(tmp_path / "stock")
    ours = Path(shutil.copytree(stock, tmp_path / "ours"))
    ok(run_nbgrader(stock, "autograde", "limit"))
    result = autograder("grade", "limit", "--workers", "1", "--no-progress", cwd=ours, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "timed out" in result.stdout, result.stdout
    assert autograded_files(ours) == autograded_files(stock)
    assert gradebook_of(ours) == gradebook_of(stock)
    assert gradebook_of(stock)["limit", "looper"]["notebooks"]["limit"]["score"] == 0
    stopped = f"ran longer than the {CELL_LIMIT} s limit for one cell and was stopped"
    for course in (stock, ours):
        notebook = nbformat.read(str(course / "autograded" / "looper" / "limit" / "limit.ipynb"), as_version=4)
        _, loop, check = notebook.cells
        # nbgrader's error outputs: the interrupt's KeyboardInterrupt, then its own CellTimeoutError
        error, timeout = [o for o in loop.outputs if o.output_type == "error"]
        assert (error.ename, error.evalue, timeout.ename) == ("KeyboardInterrupt", "", "CellTimeoutError"), course
        assert f"This cell {stopped}" in ANSI.sub("", "\n".join(error.traceback)), (course, error.traceback)
        (error,) = [o for o in check.outputs if o.output_type == "error"]
        assert error.ename == "CheckFailed" and f"half-done: that cell {stopped}" in error.evalue, (course, error)
        assert not [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("name") == "stderr"]
