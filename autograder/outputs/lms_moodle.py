"""``autograder export --moodle``: a file for Moodle's Grades > Import > CSV file.

``exports/moodle_import.csv`` has one row per gradebook student and the columns:

* **the identifier**, headed with the label of the "Map to" choice it fits: ``Username`` (the
  nbgrader student id, default), ``ID number`` (the student's ``lms_user_id`` in nbgrader, which
  ``roster import`` fills from a Moodle export's ID number) or ``Email address`` (``--match
  idnumber|email``);
* **one column per graded lesson**, headed with the lesson's name: nbgrader's score after the
  late penalty (:mod:`.scores`); work never submitted is ``0``, or ``-`` with ``--missing blank``;
* with ``--feedback``, after each lesson a ``Feedback for <lesson>`` column: the score out of
  the maximum, the late penalty and how late, the extension, or "not submitted".

``exports/moodle_import.txt`` says, and the terminal prints, what to choose in Moodle's import
form: Encoding UTF-8, Separator Comma; Map from = the identifier column, Map to = the matching
user field; each lesson column to its grade item (or "New grade item"), each feedback column to
"Feedback for <item>".

Moodle's rules this follows (``grade/import/csv/classes/load_data.php``, ``lib/csvlib.class.php``):

* Row 1 holds the column names and every row must have as many cells ("csvweirdcolumns" refuses
  the whole file otherwise): so the instructions cannot be a comment line in the file itself;
  the identifier column's header is the Map-to label instead.
* A row whose identifier matches no Moodle user aborts the whole import; a row with an empty
  identifier is skipped, and its grades go to the previous row's user. So students without the
  chosen identifier are left out of the file (and listed), never written blank; import the
  Moodle class list first (``autograder roster import``) so that the gradebook's students are
  Moodle's.
* For an existing grade item an empty cell or ``-`` is "no grade"; for a new grade item only
  ``-`` is (an empty cell would be a grade): ``--missing blank`` writes ``-``.
* A grade above 100 is refused unless the site allows unlimited grades (warned).
* The reader strips a byte order mark and trims cells; UTF-8 without a BOM is written.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from autograder.core.coursedir import Course, CourseError
from autograder.outputs.scores import LessonScore, StudentInfo, class_scores, format_duration, format_points

#: --match -> (the header, which is the Map-to option's label, the Map-to option).
IDENTIFIERS = {"username": ("Username", "username"), "idnumber": ("ID number", "useridnumber"),
               "email": ("Email address", "useremail")}
MISSING = ("zero", "blank")
FILE_NAME = "moodle_import.csv"
#: Moodle's default largest grade ($CFG->gradepointmax without unlimitedgrades).
MOODLE_MAX_GRADE = 100


def _identifier(student: StudentInfo, match: str) -> str:
    value = {"username": student.student_id, "idnumber": student.lms_user_id, "email": student.email}[match]
    return (value or "").strip()


def feedback_text(found: LessonScore | None) -> str:
    """The feedback a student reads in Moodle for one lesson."""
    if found is None:
        return "not submitted"
    text = f"{format_points(found.score)} / {format_points(found.max_score)}"
    if found.penalty:
        text += (f" after a late penalty of {format_points(found.penalty)} (raw score {format_points(found.raw)}, "
                 f"{format_duration(found.seconds_late)} late)")
    elif found.seconds_late:
        text += f" ({format_duration(found.seconds_late)} late, no penalty)"
    if found.extension_seconds:
        text += f"; extension of {format_duration(found.extension_seconds)}"
    return text


@dataclass
class MoodleSummary:
    path: str
    match: str
    missing: str
    feedback: bool
    lessons: list[str] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)
    students: int = 0
    without_identifier: list[str] = field(default_factory=list)
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"file": self.path, "match": self.match, "missing": self.missing, "feedback": self.feedback,
                "lessons": self.lessons,
                "left_out": [{"lesson": name, "reason": why} for name, why in self.left_out],
                "students": self.students, "without_identifier": self.without_identifier,
                "duplicates": self.duplicates, "warnings": self.warnings, "moodle_form": self.steps}


def import_steps(match: str, lessons: list[str], feedback: bool) -> list[str]:
    """What the instructor chooses in Moodle's CSV import form for this file."""
    header, option = IDENTIFIERS[match]
    steps = ["Moodle: course > Grades > Import > CSV file; choose moodle_import.csv, Encoding UTF-8, "
             "Separator Comma.",
             f"Identify user: Map from = {header!r}, Map to = {option} ({header}).",
             "Grade item mappings: each lesson column to its grade item, or 'New grade item'."]
    if feedback:
        steps.append("Each 'Feedback for <lesson>' column to 'Feedback for <that grade item>'.")
    if lessons:
        steps.append(f"Lesson columns: {', '.join(lessons)}.")
    return steps


def write_moodle_import(course: Course, output: Path | None = None, lessons: list[str] | None = None,
                        match: str = "username", missing: str = "zero", feedback: bool = False) -> MoodleSummary:
    """Write ``moodle_import.csv`` (and ``moodle_import.txt``) in ``output`` (default ``exports/``)."""
    if match not in IDENTIFIERS:
        raise CourseError(f"--match {match}: Moodle matches on one of {', '.join(IDENTIFIERS)}.")
    if missing not in MISSING:
        raise CourseError(f"--missing {missing}: one of {', '.join(MISSING)}.")
    folder = Path(output) if output else course.root / "exports"
    path = folder / FILE_NAME
    summary = MoodleSummary(str(path), match, missing, feedback)
    scores = class_scores(course, lessons)
    summary.left_out.extend(scores.left_out)
    summary.warnings.extend(scores.warnings)
    summary.lessons = [lesson.lesson for lesson in scores.lessons]
    for lesson in scores.lessons:
        if lesson.max_score > MOODLE_MAX_GRADE:
            summary.warnings.append(f"{lesson.lesson}: the maximum is {format_points(lesson.max_score)}; Moodle refuses "
                                    f"grades above {MOODLE_MAX_GRADE} unless the site allows unlimited grades.")
    by_identifier: dict[str, list[str]] = {}
    for student_id in sorted(scores.students):
        value = _identifier(scores.students[student_id], match)
        if not value:
            summary.without_identifier.append(student_id)
        else:
            by_identifier.setdefault(value.lower() if match == "email" else value, []).append(student_id)
    summary.duplicates = {value: ids for value, ids in by_identifier.items() if len(ids) > 1}
    for value, ids in summary.duplicates.items():
        summary.warnings.append(f"{', '.join(ids)} share the {IDENTIFIERS[match][0]} {value!r}: left out, "
                                "Moodle would give both rows to one user.")
    header = [IDENTIFIERS[match][0]]
    for lesson in scores.lessons:
        header.append(lesson.lesson)
        if feedback:
            header.append(f"Feedback for {lesson.lesson}")
    rows = []
    for ids in by_identifier.values():
        if len(ids) > 1:
            continue
        student = scores.students[ids[0]]
        row = [_identifier(student, match)]
        for lesson in scores.lessons:
            found = lesson.scores.get(student.student_id)
            row.append(format_points(found.score) if found else ("-" if missing == "blank" else "0"))
            if feedback:
                row.append(feedback_text(found))
        rows.append(row)
    summary.students = len(rows)
    summary.steps = import_steps(match, summary.lessons, feedback)
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    path.with_suffix(".txt").write_text("\n".join(summary.steps) + "\n", encoding="utf-8")
    return summary


def print_summary(summary: MoodleSummary) -> None:
    print(f"{summary.path}: {summary.students} students x {len(summary.lessons)} lessons "
          f"(identifier: {IDENTIFIERS[summary.match][0]}; missing work: {'-' if summary.missing == 'blank' else '0'})")
    for lesson, why in summary.left_out:
        print(f"  left out: {lesson}: {why}")
    if summary.without_identifier:
        print(f"  left out, no {IDENTIFIERS[summary.match][0]} in the gradebook: {', '.join(summary.without_identifier)}")
    for warning in summary.warnings:
        print(f"  warning: {warning}")
    for step in summary.steps:
        print(f"  {step}")
