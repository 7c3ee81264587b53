"""autograder.plan.intake: only regular files are imported, fingerprinted or graded.

A symbolic link in a submission folder would make nbgrader's autograde copy what it
points to (the gradebook, ``source/`` with the hidden tests, another student's work)
into the folder the student's code runs in, so a submission holding one is refused.
"""
from __future__ import annotations

import os

import nbformat
import pytest

from autograder.core.coursedir import Course
from autograder.plan.intake import fingerprint, import_submissions, unsafe_entries, walk_files
from tests.fixtures.autograder import fixture_course


def test_walk_files_never_follows_a_link(tmp_path):
    folder = tmp_path / "sub"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "a.txt").write_text("a")
    (folder / "p1.ipynb").write_text("{}")
    (folder / "loop").symlink_to(folder)            # a folder link (a loop, if followed)
    (folder / "secret.txt").symlink_to("/etc/hostname")
    os.mkfifo(folder / "pipe")                      # reading it would block forever
    files, unsafe = walk_files(folder)
    assert [p.relative_to(folder).as_posix() for p in files] == ["data/a.txt", "p1.ipynb"]
    assert sorted(p.name for p, _ in unsafe) == ["loop", "pipe", "secret.txt"]
    assert dict((p.name, what) for p, what in unsafe)["secret.txt"] == "a symbolic link to /etc/hostname"


@pytest.fixture
def course(tmp_path):
    return fixture_course.prepare(tmp_path / "course", ("ps1",))


def test_a_link_in_a_submission_changes_nothing_in_its_fingerprint(course):
    folder = course / "submitted" / "ann" / "ps1"
    fixture_course.write_submission(course, "ps1", "correct", folder / "ps1.ipynb")
    before = fingerprint(Course(course), "ps1", "ann")
    (folder / "gradebook.db").symlink_to(course / "gradebook.db")
    assert fingerprint(Course(course), "ps1", "ann") == before
    assert unsafe_entries(Course(course), "ps1", "ann") == [f"ps1/gradebook.db: a symbolic link to {course / 'gradebook.db'}"]


def test_import_rejects_links_and_keeps_the_rest(course, tmp_path):
    incoming = tmp_path / "incoming"
    fixture_course.write_submission(course, "ps1", "correct", incoming / "ann" / "ps1.ipynb")
    (incoming / "bob").mkdir()
    (incoming / "bob" / "ps1.ipynb").symlink_to(course / "source" / "ps1" / "ps1.ipynb")  # the solutions
    report = import_submissions(Course(course), "ps1", incoming)
    assert report.imported == [("ann", "ps1.ipynb")]
    assert [(p.file, "symbolic link" in p.reason) for p in report.problems] == [("bob/ps1.ipynb", True)]
    assert not (course / "submitted" / "bob").exists()


def test_grade_refuses_a_submission_with_links_and_grades_the_others(course):
    fixture_course.write_submission(course, "ps1", "correct", course / "submitted" / "ann" / "ps1" / "ps1.ipynb")
    mallory = course / "submitted" / "mallory" / "ps1"
    fixture_course.write_submission(course, "ps1", "correct", mallory / "ps1.ipynb")
    (mallory / "hidden_tests.txt").symlink_to(course / "source" / "ps1" / "ps1.ipynb")
    (mallory / "grades.db").symlink_to(course / "gradebook.db")
    for force in ([], ["--force"]):
        result = fixture_course.autograder("grade", "ps1", "--no-progress", "--workers", "1", *force, cwd=course)
        assert "mallory" in result.stdout and "not a regular file" in result.stdout, result.stdout + result.stderr
        assert "hidden_tests.txt: a symbolic link" in result.stdout
        assert not (course / "autograded" / "mallory").exists()
        assert (course / "autograded" / "ann" / "ps1" / "ps1.ipynb").exists()
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assert [s.student.id for s in gradebook.find_assignment("ps1").submissions] == ["ann"]
    nbformat.read(mallory / "ps1.ipynb", as_version=4)  # the student's own file is left as it was
