"""Before an export, a report or feedback: does the gradebook hold grades for it yet?

An instructor who runs ``autograder export 02_normalization`` before anyone was graded
gets one sentence saying what is missing and which command makes it, never a traceback
or a silent success.
"""
from __future__ import annotations

from autograder.core.coursedir import Course, CourseError


def missing_grades(course: Course, assignment: str) -> str | None:
    """What is missing before ``assignment``'s grades can be exported or reported, or None."""
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            record = None
        if record is None or not record.notebooks:
            return (f"{assignment} is not in the gradebook yet: nothing was graded. Collect the submissions "
                    f"(`nbgrader collect {assignment}` or `autograder import {assignment} FOLDER`), "
                    f"then run `autograder grade {assignment}`")
        if not record.submissions:
            return (f"the gradebook has no submission of {assignment} yet. Collect the submissions "
                    f"(`nbgrader collect {assignment}` or `autograder import {assignment} FOLDER`), "
                    f"then run `autograder grade {assignment}`")
    return None


def require_grades(course: Course, assignments: list[str]) -> None:
    """Refuse, naming what is missing and what to run, when an assignment asked for has no grades."""
    problems = [why for assignment in assignments if (why := missing_grades(course, assignment))]
    if problems:
        raise CourseError("; ".join(problems) + ".")


def require_autograded(course: Course, assignment: str, students: list[str] | None = None) -> None:
    """Feedback is made from autograded notebooks: refuse, saying what to run, when there are none."""
    folder = course.folder("autograded")
    done = [p.name for p in folder.iterdir() if (p / assignment).is_dir()] if folder.is_dir() else []
    if students:
        done = [s for s in done if s in students]
    if not done:
        who = f" for {', '.join(students)}" if students else ""
        raise CourseError(f"no autograded notebook of {assignment}{who} yet: run `autograder grade {assignment}` "
                          "first; feedback is made from the graded notebooks.")
