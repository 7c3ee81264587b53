"""Each student's score per lesson after late penalties: what an LMS gradebook should receive.

The rule is nbgrader's own export's (``nbgrader.plugins.export.CsvExportPlugin``, which writes
``exports/<lesson>_grades.csv`` in :mod:`.exports`): the submission's score minus its late
submission penalty, never below 0; a student with no submission scores 0 there. The penalty is
what nbgrader's autograde recorded (``AssignLatePenalties``: the course's
``LateSubmissionPlugin`` given the seconds past the due date plus the student's extension), so
a penalty or an extension changed after grading needs a regrade (``autograder grade --force``)
before it shows here. Here a missing submission is ``None`` rather than 0, so an LMS file can
leave it blank (``--missing blank``).

A lesson is *graded* when the gradebook holds at least one submission of it; a lesson with none
is left out of LMS files with a warning (its column would be all zeros). Submissions waiting in
``submitted/`` that the gradebook does not hold yet are warned about too: they count as missing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from autograder.core.coursedir import Course


@dataclass
class StudentInfo:
    student_id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    lms_user_id: str | None


@dataclass
class LessonScore:
    """One student's result for one lesson."""

    score: float  # after the late penalty, never below 0
    raw: float
    penalty: float
    max_score: float
    timestamp: str  # when nbgrader says it was submitted ('' if unknown)
    seconds_late: float
    extension_seconds: float  # the student's extension (0: none)


@dataclass
class LessonScores:
    lesson: str
    max_score: float
    scores: dict[str, LessonScore] = field(default_factory=dict)  # student id -> score; absent: no submission
    waiting: list[str] = field(default_factory=list)  # in submitted/, not graded yet


@dataclass
class ClassScores:
    """The gradebook's final scores for the graded lessons, and every student it knows."""

    lessons: list[LessonScores]
    students: dict[str, StudentInfo]
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (lesson, why): not graded yet
    warnings: list[str] = field(default_factory=list)  # submissions waiting, manual grading pending

    def score(self, lesson: LessonScores, student_id: str) -> float | None:
        found = lesson.scores.get(student_id)
        return None if found is None else found.score


def _lessons(course: Course, gradebook_names: list[str], wanted: list[str] | None) -> list[str]:
    if wanted:
        return list(wanted)
    return list(dict.fromkeys([*course.assignments(), *gradebook_names]))


def class_scores(course: Course, lessons: list[str] | None = None) -> ClassScores:
    """Final scores per student and lesson (all lessons of the course by default, in order)."""
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb:
        students = {s.id: StudentInfo(s.id, s.first_name, s.last_name, s.email, s.lms_user_id)
                    for s in gb.students}
        result = ClassScores([], students)
        for name in _lessons(course, [a.name for a in gb.assignments], lessons):
            try:
                assignment = gb.find_assignment(name)
            except MissingEntry:
                result.left_out.append((name, "not graded yet: the gradebook has no submission of it"))
                continue
            submissions = list(assignment.submissions)
            if not submissions:
                result.left_out.append((name, "not graded yet: the gradebook has no submission of it"))
                continue
            lesson = LessonScores(name, float(assignment.max_score or 0))
            for sub in submissions:
                raw = float(sub.score or 0)
                penalty = float(sub.late_submission_penalty or 0)
                lesson.scores[sub.student.id] = LessonScore(
                    score=max(0.0, raw - penalty), raw=raw, penalty=penalty, max_score=lesson.max_score,
                    timestamp="" if sub.timestamp is None else str(sub.timestamp),
                    seconds_late=float(sub.total_seconds_late or 0),
                    extension_seconds=0.0 if sub.extension is None else sub.extension.total_seconds())
            manual = sorted(sub.student.id for sub in submissions if sub.needs_manual_grade)
            if manual:
                result.warnings.append(f"{name}: {len(manual)} submission(s) still need manual grading "
                                       f"({', '.join(manual[:5])}{', ...' if len(manual) > 5 else ''}); "
                                       "their score is the autograded part so far.")
            lesson.waiting = [s for s in course.submitted_students(name) if s not in lesson.scores]
            if lesson.waiting:
                result.warnings.append(
                    f"{name}: {len(lesson.waiting)} submission(s) in submitted/ not graded yet "
                    f"({', '.join(lesson.waiting[:5])}{', ...' if len(lesson.waiting) > 5 else ''}); "
                    f"they count as missing: run `autograder grade {name}` first.")
            result.lessons.append(lesson)
    return result


def format_duration(seconds: float) -> str:
    """``36 hours``, ``2 days``, ``1.5 days``: how late, or how long an extension is."""
    hours = seconds / 3600
    if hours < 48:
        return f"{format_points(hours)} hour{'s' if hours != 1 else ''}"
    return f"{format_points(hours / 24)} days"


def format_points(value: float) -> str:
    """A score as LMS importers read it: at most two decimals (Canvas compares at two), a '.'
    decimal point, no thousands separator, no trailing zeros."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
