"""Settings that decide what a notebook shows reach the sandboxed kernel, however they are set.

The sandbox hides the course's ``nbgrader_config.py`` from the kernel; ``autograder`` gives
the kernel's home an ``nbgrader_config.py`` holding only the sections named by
``c.Autograder.notebook_config``. A class that sets ``c.CourseQuiz.mode = "graded"`` in the
course config (or ``COURSE_QUIZ_MODE=graded`` in the grader's environment) gets the same
quiz feedback, every question shown, from stock ``nbgrader autograde`` and ``autograder grade``.
"""
from __future__ import annotations

import html
import os
import subprocess
import sys
from pathlib import Path

import pytest
from traitlets.config import Config

from autograder.core.options import notebook_config_text
from course import quiz
from tests.course_copy import copy_course, grades, register, submit
from tests.test_quiz import ASSIGNMENT, RIGHT, WRONG, answered

SCRIPTS = str(Path(sys.executable).parent)


def test_only_the_named_sections_reach_the_kernel():
    config = Config()
    config.CourseQuiz.mode = "graded"
    config.CourseDirectory.db_url = "postgresql://grader:secret@db/course"
    config.Autograder.notebook_config = ["CourseQuiz", "Missing"]
    text = notebook_config_text(config)
    assert "c.CourseQuiz.mode = 'graded'" in text and "secret" not in text and "db_url" not in text
    namespace = {"get_config": lambda: Config()}
    exec(text, namespace)  # noqa: S102 - a valid config file
    assert namespace["c"].CourseQuiz.mode == "graded"
    assert notebook_config_text(Config()) == ""
    config.CourseQuiz.answer_key = {"1": "C"}  # a setting the notebook must not see
    config.Autograder.notebook_config = ["CourseQuiz.mode"]
    only = notebook_config_text(config)
    assert "c.CourseQuiz.mode = 'graded'" in only and "answer_key" not in only


def graded_class(course: Path, how: str) -> dict[str, str]:
    """The course copy set to graded mode ``how`` ("config" or "environment"); its environment."""
    env = dict(os.environ, PATH=SCRIPTS + os.pathsep + os.environ.get("PATH", ""))
    env.pop(quiz.MODE_VARIABLE, None)
    if how == "config":
        config = course / "nbgrader_config.py"
        config.write_text(config.read_text().replace('c.CourseQuiz.mode = "self-study"', 'c.CourseQuiz.mode = "graded"'))
        assert 'c.CourseQuiz.mode = "graded"' in config.read_text()
    else:
        env[quiz.MODE_VARIABLE] = "graded"
    return env


@pytest.mark.slow
@pytest.mark.parametrize("tool, how", [("nbgrader", "config"), ("autograder", "config"), ("autograder", "environment")])
def test_graded_quiz_feedback_shows_every_question_under_both_tools(tmp_path, tool, how):
    course = copy_course(tmp_path / "course")
    env = graded_class(course, how)
    register(course, ASSIGNMENT)
    submit(course, "wrong", ASSIGNMENT, answered(WRONG))
    submit(course, "right", ASSIGNMENT, answered(RIGHT))
    if tool == "nbgrader":
        commands = [[sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT],
                    [sys.executable, "-m", "nbgrader", "generate_feedback", ASSIGNMENT]]
    else:
        commands = [[os.path.join(SCRIPTS, "autograder"), "grade", ASSIGNMENT, "--workers", "1"],
                    [os.path.join(SCRIPTS, "autograder"), "feedback", ASSIGNMENT]]
    for command in commands:
        done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
    page = html.unescape((course / "feedback" / "wrong" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text())
    for question in quiz.QUESTIONS:
        assert question.text[:60] in page, (tool, how, question.number)
    assert page.count("is not the right answer") == 8
    # each visible check ran in graded mode: it recorded the letter (self-study would judge it)
    assert page.count("answer recorded: ") == 8, (tool, how)
    tests = {cell: s for cell, s in grades(course, "right", ASSIGNMENT).items() if cell.endswith("-test")}
    assert len(tests) == 8 and all(score == maximum == 1 for score, maximum in tests.values()), tests
