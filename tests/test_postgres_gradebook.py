"""A PostgreSQL gradebook: `autograder` commands and nbgrader's own API work against it.

The test starts a real PostgreSQL server on 127.0.0.1 (tests/postgres_server.py), points the
fixture course's ``CourseDirectory.db_url`` at it, grades a small class with two workers, and
compares every per-cell score with the same class graded into the default SQLite gradebook.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "autograder"
sys.path.insert(0, str(FIXTURES))

import fixture_course  # noqa: E402
from fixture_course import autograder  # noqa: E402
from tests.postgres_server import postgres_server  # noqa: E402

CLASS = {"alice": "correct", "bob": "partial", "carol": "blank", "dan": "wrong", "eve": "correct"}


def use_database(course: Path, url: str) -> None:
    """Point the course's nbgrader_config.py at ``url`` (appended, so it wins)."""
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")


def grade_class(root: Path) -> dict[str, dict[str, float | None]]:
    incoming = root.parent / f"{root.name}-incoming"
    for student, variant in CLASS.items():
        fixture_course.write_submission(root, "ps1", variant, incoming / student / "ps1" / "ps1.ipynb")
    run = autograder("grade", "ps1", "--from", str(incoming), "--workers", "2", "--no-progress", cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "database is locked" not in run.stdout + run.stderr
    from autograder.coursedir import Course

    out: dict[str, dict[str, float | None]] = {}
    with Course(root).gradebook() as gb:
        for submission in gb.find_assignment("ps1").submissions:
            out[submission.student.id] = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
    return out


@pytest.mark.slow
def test_postgres_gradebook_grades_exports_and_reports_like_sqlite(tmp_path):
    sqlite_root = fixture_course.prepare(tmp_path / "sqlite", assignments=("ps1",))
    expected = grade_class(sqlite_root)
    assert expected["alice"] == {"test_add": 1, "test_mean": 2}

    with postgres_server() as url:
        root = fixture_course.make_course(tmp_path / "pg")
        use_database(root, url)
        _generate(root, "ps1")
        from autograder.coursedir import Course

        assert Course(root).db_url.startswith("postgresql")
        assert grade_class(root) == expected
        assert not (root / "gradebook.db").exists()

        # exports, report and feedback read the same server
        for command in (("export",), ("report", "ps1"), ("feedback", "ps1", "--student", "bob")):
            run = autograder(*command, cwd=root)
            assert run.returncode == 0, (command, run.stdout + run.stderr)
        rows = {r["student_id"]: r for r in csv.DictReader(open(root / "exports" / "ps1_grades.csv"))}
        assert {s: float(rows[s]["raw_score"]) for s in CLASS} == \
               {s: float(sum(v or 0 for v in cells.values())) for s, cells in expected.items()}

        # the formgrader's API (what its pages call) sees the grades
        from nbgrader.apps import NbGraderAPI

        from autograder.coursedir import working_directory

        course = Course(root)
        with working_directory(root):
            api = NbGraderAPI(config=course.config)
            submissions = {s["student"]: s for s in api.get_submissions("ps1")}
        assert submissions["alice"]["score"] == 3 and submissions["carol"]["score"] == 0

        # a rerun finds every grade in the server and grades nothing
        again = autograder("grade", "ps1", "--no-progress", cwd=root)
        assert again.returncode == 0 and "[1/" not in again.stdout, again.stdout


def _generate(root: Path, assignment: str) -> None:
    from nbgrader.apps import NbGraderAPI

    from autograder.coursedir import Course, working_directory

    course = Course(root)
    with working_directory(root):
        result = NbGraderAPI(config=course.config).generate_assignment(assignment, force=True)
    assert result["success"], result.get("log")
