"""autograder's command line, submission import and the learners' self-check."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.autograder import fixture_course
from tests.fixtures.autograder.fixture_course import autograder as run


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return fixture_course.prepare(tmp_path_factory.mktemp("cli") / "course")


def test_help_lists_every_command(tmp_path):
    out = run("--help", cwd=tmp_path)
    assert out.returncode == 0
    for command in ("import", "grade", "export", "feedback", "report", "check"):
        assert command in out.stdout
    grade = run("grade", "--help", cwd=tmp_path)
    assert grade.returncode == 0 and "--workers" in grade.stdout and "--notebook-timeout" in grade.stdout


@pytest.mark.parametrize("args, message", [
    (("grade", "nope"), "Unknown assignment 'nope'"),
    (("grade", "tf1", "--from", "/no/such/folder"), "does not exist"),
    (("grade", "tf1"), "No submissions for tf1"),
    (("import", "tf1", "/no/such.zip"), "does not exist"),
    (("--course", "/no/such/course", "report"), "no such folder"),
])
def test_bad_input_is_explained(course, args, message):
    out = run(*args, cwd=course)
    assert out.returncode == 2, out.stdout + out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("args, message", [
    (("grade", "tf1", "--workers", "0"), "autograder grade: --workers: expected 1 or more, got 0"),
    (("grade", "tf1", "--notebook-timeout", "x"), "autograder grade: --notebook-timeout: expected seconds, got 'x'"),
    (("grade", "tf1", "--bogus"), "autograder grade: unrecognized option --bogus"),
])
def test_bad_flags_are_rejected_by_the_parser(course, args, message):
    """One line naming the flag, before anything runs (the parser's usage text is `--help`'s)."""
    out = run(*args, cwd=course)
    assert out.returncode == 2 and out.stderr.startswith(message) and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "--help" in out.stderr


def test_outside_a_course(tmp_path):
    out = run("report", cwd=tmp_path)
    assert out.returncode == 2 and "nbgrader_config.py" in out.stderr


def test_import_reports_each_bad_file_and_keeps_going(course, tmp_path):
    from autograder.core.coursedir import Course
    from autograder.plan.intake import import_submissions

    folder = tmp_path / "flat"
    fixture_course.write_submission(course, "tf1", "correct", folder / "amy_tf1.ipynb")
    fixture_course.write_submission(course, "tf1", "blank", folder / "ben-tf1.ipynb")
    fixture_course.write_submission(course, "tf1", "partial", folder / "cat.ipynb")  # one-notebook assignment
    (folder / "dan_tf1.ipynb").write_text("not json")
    (folder / "eve_tf1.ipynb").write_text("")
    (folder / "fox_tf1.pdf").write_bytes(b"%PDF-1.4")
    (folder / "notes").mkdir()
    fixture_course.write_submission(course, "ps1", "correct", folder / "gil_tf1.ipynb")
    report = import_submissions(Course(course), "tf1", folder)
    assert report.students == ["amy", "ben", "cat"]
    reasons = {p.student: p.reason for p in report.problems}
    assert reasons["dan"].startswith("corrupt notebook")
    assert reasons["eve"].startswith("empty file")
    assert reasons["fox"].startswith("not a notebook (.pdf)")
    assert "another assignment" in reasons["gil"]
    assert set(report.new_students) <= {"amy", "ben", "cat"}  # issue 9: bad files add no student
    with Course(course).gradebook() as gb:
        assert not {"dan", "eve", "fox", "gil"} & {s.id for s in gb.students}
    assert (course / "submitted" / "cat" / "tf1" / "tf1.ipynb").exists()


def test_a_zip_of_bad_files_adds_only_students_with_a_gradable_notebook(tmp_path):
    """Issue 9: `grade --from class.zip` with `notes` and another assignment's notebook."""
    course = fixture_course.prepare(tmp_path / "course")
    folder = tmp_path / "class"
    fixture_course.write_submission(course, "ps1", "correct", folder / "kim_ps1.ipynb")
    fixture_course.write_submission(course, "tf1", "correct", folder / "jane_tf1.ipynb")
    (folder / "notes").write_text("my notes")
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, path.name)
    out = run("grade", "ps1", "--from", str(archive), "--no-progress", "--workers", "1", cwd=course)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "jane" in out.stdout and "a notebook of assignment 'tf1'" in out.stdout
    from autograder.core.coursedir import Course

    with Course(course).gradebook() as gb:
        assert sorted(s.id for s in gb.students) == ["kim"]


def test_course_option_after_the_command(course, tmp_path):
    """Issue 9: `autograder grade X --course PATH` works like `autograder --course PATH grade X`."""
    after = run("report", "--course", str(course), cwd=tmp_path)
    before = run("--course", str(course), "report", cwd=tmp_path)
    assert after.returncode == before.returncode == 0, after.stderr + before.stderr
    missing = run("grade", "nope", "--course", str(course), cwd=tmp_path)
    assert missing.returncode == 2 and "Unknown assignment 'nope'" in missing.stderr


def test_import_zip_and_nbgrader_layout(course, tmp_path):
    from autograder.core.coursedir import Course
    from autograder.plan.intake import import_submissions

    layout = tmp_path / "submitted"
    fixture_course.write_submission(course, "ps1", "correct", layout / "ola" / "ps1" / "ps1.ipynb")
    (layout / "ola" / "ps1" / "timestamp.txt").write_text("2026-01-01 10:00:00")
    fixture_course.write_submission(course, "ps1", "correct", layout / "pia" / "ps1" / "Untitled.ipynb")
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in layout.rglob("*"):
            if path.is_file():
                zf.write(path, path.relative_to(tmp_path))
    report = import_submissions(Course(course), "ps1", archive)
    assert report.students == ["ola"]
    assert "'Untitled.ipynb' is not a notebook of ps1" in report.problems[0].reason
    assert (course / "submitted" / "ola" / "ps1" / "timestamp.txt").read_text() == "2026-01-01 10:00:00"


def test_import_one_student_in_nbgrader_layout(course, tmp_path):
    from autograder.core.coursedir import Course
    from autograder.plan.intake import import_submissions

    fixture_course.write_submission(course, "ps1", "blank", tmp_path / "in" / "rod" / "ps1" / "ps1.ipynb")
    report = import_submissions(Course(course), "ps1", tmp_path / "in")
    assert report.students == ["rod"] and not report.problems


def test_import_with_zipcollect_regexp(course, tmp_path):
    from autograder.core.coursedir import Course
    from autograder.plan.intake import import_submissions

    folder = tmp_path / "lms"
    fixture_course.write_submission(course, "ps1", "correct",
                                    folder / "ps1_quinn_attempt_2026-01-02-10-00-00_ps1.ipynb")
    regexp = r".*_(?P<student_id>[a-z]+)_attempt_(?P<timestamp>[0-9\-]+)_(?P<file_id>\w+)"
    report = import_submissions(Course(course), "ps1", folder, regexp=regexp)
    assert report.students == ["quinn"], report.problems


@pytest.mark.slow
@pytest.mark.parametrize("variant, table, score", [
    ("correct", [("test_add", "1 / 1", "passed"), ("test_mean", "2 / 2", "passed")], "3 / 3"),
    ("wrong", [("test_add", "1 / 1", "passed"),
               ("test_mean", "0 / 2", "failed: AssertionError: the mean of [1, 2, 3] is 2")], "1 / 3"),
    ("blank", [("test_add", "0 / 1", "not attempted"), ("test_mean", "0 / 2", "not attempted")], "0 / 3"),
])
def test_self_check_prints_the_visible_tests(course, tmp_path, variant, table, score):
    notebook = fixture_course.write_submission(course, "ps1", variant, tmp_path / "ps1.ipynb")
    out = run("check", str(notebook), cwd=tmp_path)
    assert out.returncode == (0 if variant == "correct" else 1), out.stdout + out.stderr
    lines = out.stdout.splitlines()
    for name, points, result in table:
        row = next(line for line in lines if name in line)
        assert points in row and result in row, row
    assert any("visible score" in line and score in line for line in lines)
    assert "add must handle negative numbers" not in out.stdout  # hidden tests are not in the release


@pytest.mark.slow
def test_self_check_json_for_a_tensorflow_notebook(course, tmp_path):
    import json

    notebook = fixture_course.write_submission(course, "tf1", "wrong", tmp_path / "tf1.ipynb")
    out = run("check", str(notebook), "--json", cwd=tmp_path)
    result = json.loads(out.stdout)
    assert [t["status"] for t in result["tests"]] == ["failed", "passed"]
    assert result["tests"][0]["message"] == "AssertionError: expected 2 layers, found 3"
    assert (result["score"], result["max_score"]) == (3.0, 5.0)


@pytest.mark.slow
def test_notebook_timeout_from_config_and_the_flag_beats_it(tmp_path):
    """c.Autograder.notebook_timeout applies when no flag is given; --notebook-timeout wins over it.
    (The notebook ignores interrupts; the per-cell limit, Execute.timeout, is 10 s.)"""
    course = fixture_course.prepare(tmp_path / "course")
    with open(course / "nbgrader_config.py", "a") as handle:
        handle.write("\nc.Autograder.notebook_timeout = 2\n")
    fixture_course.write_submission(course, "ps1", "hang", course / "submitted" / "ann" / "ps1" / "ps1.ipynb")

    def notebook_seconds(*flags: str) -> float:
        summary = tmp_path / "summary.json"
        out = run("grade", "ps1", "--no-progress", "--summary-json", str(summary), *flags, cwd=course)
        assert out.returncode == 0, out.stdout + out.stderr
        (result,) = json.loads(summary.read_text())["results"]
        assert result["status"] == "timed_out"
        return result["notebooks"][0]["seconds"]

    from_config = notebook_seconds()
    from_flag = notebook_seconds("--notebook-timeout", "8", "--force")
    # Stopped after its limit (plus the wait for the ignored interrupt), not after the 10 s cell limit.
    assert 2 <= from_config < 10 and from_flag >= 8 and from_flag - from_config >= 4, (from_config, from_flag)
