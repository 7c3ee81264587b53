"""Instructor tooling over nbgrader: grade a whole class fast, export, give feedback, report.

nbgrader stays the grading engine: every grade is written by nbgrader's own
autograde pipeline into the course's gradebook, so the formgrader and
``nbgrader export`` show the same numbers. ``autograder`` adds what nbgrader
lacks: importing a folder or zip of submissions with a per-file report, parallel
grading on warm kernels, crash- and hang-proof runs that resume after an
interruption, per-question exports, feedback that hides hidden tests, a class
report, and a self-check command for learners.

Python API::

    from autograder import Course, grade
    course = Course("path/to/course")
    summary = grade(course, ["01_input_data"], workers=2)
"""
from autograder.coursedir import Course, CourseError
from autograder.grading import Summary, grade

__all__ = ["Course", "CourseError", "Summary", "grade"]
