"""Plan a grading run: which submissions to grade, why, and which not to touch.

Planned once, then handed to an executor (:mod:`autograder.executors`). A
submission is graded when the run log has no record of it, its last attempt
failed, it was re-submitted since (new fingerprint, recorded by import), or its
grade is missing from the gradebook (deleted, or a run killed mid-way): the
gradebook is checked, not only the log. Submitted files that differ from the
fingerprint recorded when they were imported (or first graded) were changed by
someone else: they are reported and not graded unless ``force``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from autograder.core.coursedir import Course
from autograder.core.results import Job, Status, Summary
from autograder.record.runlog import RunLog


@dataclass
class Plan:
    """The jobs of a run, what is already graded, and what changed outside an import."""

    assignments: list[str]
    jobs: list[Job] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    tampered: list[dict] = field(default_factory=list)
    empty: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)

    def summary(self) -> Summary:
        """An empty summary of this plan's run (the executor adds the results)."""
        return Summary(skipped=list(self.skipped), tampered=list(self.tampered), empty=list(self.empty),
                       unreadable=list(self.unreadable), removed=list(self.removed),
                       planned=[{"assignment": j.assignment, "student": j.student, "why": j.why}
                                for j in self.jobs])


def graded_in_gradebook(course: Course, assignment: str) -> set[str]:
    """Students whose submission of ``assignment`` the gradebook holds, fully autograded."""
    from nbgrader.api import MissingEntry

    graded = set()
    with course.gradebook() as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            return graded
        names = {nb.name for nb in record.notebooks}
        for submission in record.submissions:
            notebooks = {nb.name: nb for nb in submission.notebooks}
            if set(notebooks) != names:
                continue
            if all(g.auto_score is not None or g.needs_manual_grade or g.cell_type != "code"
                   for nb in notebooks.values() for g in nb.grades):
                graded.add(submission.student.id)
    return graded


def forget_removed(course: Course, assignment: str, students: list[str] | None = None) -> list[dict]:
    """Submissions the gradebook holds whose folder in ``submitted/`` is gone.

    One that was never graded (an autograde that failed left it behind, shown as "needs manual
    grading" in the formgrader) is removed from the gradebook. One with grades keeps them:
    removing a folder never deletes an instructor's grading. Each is reported either way.
    """
    from nbgrader.api import MissingEntry

    submitted = set(course.submitted_students(assignment))
    gone = []
    with course.gradebook() as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            return gone
        scored = {s.student.id: any(g.auto_score is not None or g.manual_score is not None
                                    for nb in s.notebooks for g in nb.grades) for s in record.submissions}
        for student in sorted(scored):
            if student in submitted or (students and student not in students):
                continue
            if scored[student]:
                gone.append({"assignment": assignment, "student": student, "action": "kept", "reason": (
                    "its folder in submitted/ is gone; its grades stay in the gradebook")})
            else:
                gb.remove_submission(assignment, student)
                gone.append({"assignment": assignment, "student": student, "action": "removed", "reason": (
                    "its folder in submitted/ is gone and it had no grade: removed from the gradebook")})
    return gone


def make_plan(course: Course, assignments: Iterable[str], students: list[str] | None = None,
              force: bool = False) -> Plan:
    """The gradebook made ready for ``assignments``, then the plan of what to grade and why."""
    from autograder.plan.exchange import collected_from
    from autograder.plan.intake import Importer, fingerprint, known_fingerprints, record_fingerprints, unsafe_entries

    plan = Plan(list(assignments))
    for assignment in plan.assignments:
        course.ensure_gradebook(assignment)
    for assignment in plan.assignments:
        done = RunLog(course, assignment).latest()
        plan.removed += forget_removed(course, assignment, students)
        in_book = graded_in_gradebook(course, assignment)
        trusted = known_fingerprints(course, assignment)
        first_seen: dict[str, str] = {}
        accepted: dict[str, str] = {}
        collected: dict[str, str] = {}
        reader = Importer(course, assignment)
        for student in course.submitted_students(assignment):
            if students and student not in students:
                continue
            unsafe = unsafe_entries(course, assignment, student)
            if unsafe:  # nbgrader would copy what a link points to where the student's code runs
                plan.tampered.append({"assignment": assignment, "student": student, "reason": (
                    "holds what is not a regular file (" + "; ".join(unsafe[:3]) + (" ..." if len(unsafe) > 3 else "")
                    + "): not graded, even with --force; remove it and re-import the student's files")})
                continue
            folder = course.folder("submitted") / student / assignment
            if not any(folder.glob("*.ipynb")):
                plan.empty.append((assignment, student))  # stock nbgrader warns and skips it too
                continue
            stamp = fingerprint(course, assignment, student)
            record = done.get(student)
            graded_as_is = (record is not None and record.status != Status.FAILED and record.fingerprint == stamp
                            and student in in_book)  # nbgrader read these very files: no need to read them again
            problem = None if graded_as_is else reader.submitted_problem(folder)
            if problem:  # stock nbgrader fails on it with no reason
                plan.unreadable.append({"assignment": assignment, "student": student, "reason": problem})
                continue
            known = trusted.get(student)
            if known is None:
                first_seen[student] = stamp
            elif known["fingerprint"] != stamp and collected_from(course, assignment, student, stamp):
                collected[student] = stamp  # a re-submission collected from the exchange (`nbgrader collect --update`)
            elif known["fingerprint"] != stamp:
                if not force:
                    plan.tampered.append({"assignment": assignment, "student": student, "reason": (
                        f"submitted files changed since they were recorded ({known.get('source', 'import')}, "
                        f"{known.get('time', '?')}) by something other than `autograder import` or "
                        "`nbgrader collect` (they match none of the student's submissions in the exchange): not "
                        "graded; re-import or re-collect the student's submission, or pass --force to grade the "
                        "files as they are")})
                    continue
                accepted[student] = stamp
            if force:
                reason = "regrade requested (--force)"
            elif record is None:
                reason = "not graded yet" if student not in in_book else "graded outside autograder (not in its run log)"
            elif record.status == Status.FAILED:
                reason = f"the last attempt failed ({record.reason})".replace(" ()", "")
            elif record.fingerprint != stamp:
                reason = "re-submitted since it was graded"
            elif student not in in_book:
                reason = "its grade is missing from the gradebook"
            else:
                plan.skipped.append((assignment, student))
                continue
            plan.jobs.append(Job(assignment, student, stamp, reason))
        record_fingerprints(course, assignment, first_seen, "first grading")
        record_fingerprints(course, assignment, accepted, "accepted with --force")
        record_fingerprints(course, assignment, collected, "collected from the exchange")
    return plan

