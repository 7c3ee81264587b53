"""The class cycle in a real browser: submit, re-submit, collect, grade, feedback.

A class sets ``c.CourseQuiz.mode = "graded"`` in the course's ``nbgrader_config.py`` (no
environment variable anywhere). The student fetches the quiz in JupyterLab's Assignment
List, answers every question wrongly and submits; the instructor collects and grades with
``autograder grade``. The student then fixes question 1 and presses Submit again; the
instructor runs ``nbgrader collect --update`` and ``autograder grade`` again, which grades the
re-submission (it came through the exchange) instead of refusing it. Feedback is generated
with ``autograder feedback`` and released; the student presses Fetch Feedback and reads the
score and every question's recorded answer in the feedback page, in the browser.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.course_copy import grades
from tests.test_browser import (
    ARTIFACTS,
    CELLS_SECONDS,
    QUIZ,
    WRONG_ANSWERS,
    CourseLab,
    _assignment_list,
    _fetch_answer_submit,
    _screenshot,
    _wait_for,
    chromium_page,  # noqa: F401 - fixture
)
from tests.test_student_flow import git, nbgrader

SCRIPTS = Path(sys.executable).parent


@pytest.fixture
def graded_class_lab(tmp_path):
    """`tasks.py lab` on a course copy whose config sets the graded quiz mode (committed in the copy)."""
    server = CourseLab(tmp_path)
    server.env.pop("COURSE_QUIZ_MODE", None)
    config = server.course / "nbgrader_config.py"
    config.write_text(config.read_text().replace('c.CourseQuiz.mode = "self-study"', 'c.CourseQuiz.mode = "graded"'))
    assert 'c.CourseQuiz.mode = "graded"' in config.read_text()
    git(server.course, "-c", "user.name=Instructor", "-c", "user.email=instructor@example.org",
        "commit", "-q", "-am", "the class grades the quiz")
    try:
        server.start()
        yield server
    finally:
        server.stop()
    assert server.process.poll() is not None, "the JupyterLab server is still running"


def instructor(course: Path, *command: str) -> subprocess.CompletedProcess:
    """An instructor's command in the course folder, with no quiz-mode variable set."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "COURSE_QUIZ_MODE"}
    env["PATH"] = str(SCRIPTS) + os.pathsep + env.get("PATH", "")
    done = subprocess.run(list(command), cwd=course, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def quiz_scores(course: Path, student: str) -> dict[str, float]:
    return {cell: score for cell, (score, _) in grades(course, student, QUIZ).items() if cell.endswith("-test")}


@pytest.mark.browser
@pytest.mark.slow
def test_submit_resubmit_collect_grade_and_fetch_feedback_with_the_quiz_graded_by_the_course_config(
        graded_class_lab, chromium_page):  # noqa: F811 - the fixture
    page, lab = chromium_page, graded_class_lab
    course = lab.course
    try:
        _fetch_answer_submit(page, lab)  # 8 wrong answers: each check only says "answer recorded"
        inbound = course / "exchange" / "keras-sequential" / "inbound"
        nbgrader(course, "generate_assignment", QUIZ, "--force")
        nbgrader(course, "collect", QUIZ)
        student = next(p.name for p in (course / "submitted").iterdir())
        first = instructor(course, str(SCRIPTS / "autograder"), "grade", QUIZ, "--workers", "1", "--no-progress")
        assert "not graded yet: 1" in first.stdout
        assert sum(quiz_scores(course, student).values()) == 0

        # The student fixes question 1 in the notebook and presses Submit again.
        mine = course / "workspace" / QUIZ / f"{QUIZ}.ipynb"
        index = next(i for i, cell in enumerate(nbformat.read(str(mine), as_version=4).cells)
                     if cell.metadata.get("nbgrader", {}).get("grade_id") == "l07-q1-answer")
        page.goto(f"{lab.url}/lab/tree/workspace/{QUIZ}/{QUIZ}.ipynb?token={lab.token}")
        panel = page.locator(".jp-NotebookPanel")
        panel.wait_for(timeout=60_000)
        lab.wait_for_idle_kernel(90)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
        panel.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.type('answer_q1 = "C"')
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        fixed = panel.locator(".jp-OutputArea-output", has_text="answer recorded: C")
        _wait_for(lambda: fixed.count() == 1, CELLS_SECONDS, "question 1's new answer recorded")
        page.keyboard.press("Control+s")
        _wait_for(lambda: 'answer_q1 = \\"C\\"' in mine.read_text(), 30, "the saved notebook")
        _assignment_list(page)
        fetched = page.locator("#fetched_assignments_list .list_item", has_text=QUIZ).first
        fetched.wait_for(timeout=60_000)
        fetched.get_by_role("button", name="Submit").click()
        _wait_for(lambda: len(list(inbound.iterdir())) == 2, 60, "the second submission in the exchange")

        # The instructor collects the update and grades it: re-submitted, not refused.
        nbgrader(course, "collect", "--update", QUIZ)
        again = instructor(course, str(SCRIPTS / "autograder"), "grade", QUIZ, "--workers", "1", "--no-progress")
        assert f"re-submitted since it was graded: 1 ({student})" in again.stdout, again.stdout
        assert "not graded" not in again.stdout.split("graded because")[0].replace("not graded yet", "")
        scores = quiz_scores(course, student)
        assert scores["l07-q1-test"] == 1 and sum(scores.values()) == 1, scores
        instructor(course, str(SCRIPTS / "autograder"), "feedback", QUIZ)
        nbgrader(course, "release_feedback", QUIZ)

        # The student fetches the feedback and reads it in the browser.
        page.reload()
        page.locator(".lm-MenuBar-item", has_text="Nbgrader").wait_for(timeout=90_000)
        _assignment_list(page)
        submitted = page.locator("#submitted_assignments_list .list_item", has_text=QUIZ).first
        submitted.wait_for(timeout=60_000)
        submitted.get_by_role("button", name="Fetch Feedback").first.click()
        feedback = course / "workspace" / QUIZ / "feedback"
        _wait_for(lambda: any(feedback.rglob(f"{QUIZ}.html")), 60, "the fetched feedback")
        page_file = next(feedback.rglob(f"{QUIZ}.html")).relative_to(course)
        page.goto(f"{lab.url}/files/{page_file.as_posix()}?token={lab.token}")
        text = page.locator("body").inner_text(timeout=30_000)
        assert re.search(r"Score:\s*1(\.0)?\s*/\s*8", text), text[:500]
        assert text.count("answer recorded: ") == 8, text
        assert text.count("is not the right answer") == 7
        assert WRONG_ANSWERS[1] == "A"  # question 2 still wrong, as submitted
    finally:
        _screenshot(page, "class_cycle.png")
        (ARTIFACTS / "class_cycle_jupyterlab.log").write_text(lab.log())
    assert git(course, "status", "--porcelain") == ""
