"""``autograder export --canvas CANVAS_EXPORT.csv``: a file for Canvas's Gradebook > Import.

The instructor downloads the course's gradebook from Canvas (Grades > Export > Export Entire
Gradebook) and passes it; ``exports/canvas_import.csv`` is written from it so that Canvas's
importer (``lib/gradebook_importer.rb``, whose rules :mod:`autograder.plan.canvas_file` lists)
accepts it and matches every row to the student it came from:

* **Student columns**, copied cell for cell from the export, in its order: ``Student``, ``ID``,
  ``SIS User ID``, ``SIS Login ID``, ``Section`` (or whichever of Canvas's layouts the export
  has: Canvas checks these by position). Canvas finds each student by ``ID`` first, so the row
  lands on the right student whatever the name says.
* **A Points Possible row**: each lesson's maximum score in the gradebook.
* **One column per graded lesson**, and nothing else: the export's other assignments, custom
  columns and totals ("Current Score", "Final Grade": read-only, and Canvas drops them anyway)
  are left out, so an import never rewrites a grade typed in Canvas since the export.

  - A lesson mapped to a Canvas assignment keeps that column's header, ``Title (1201)``: Canvas
    reads the id in parentheses. Map it in ``nbgrader_config.py`` with
    ``c.CanvasExport.assignments = {"01_input_data": 1201}`` (an id, or a Canvas title), or by
    name: a Canvas assignment whose title is the lesson's name.
  - Any other lesson is headed with its name and becomes a new Canvas assignment on import. A
    name Canvas would misread is refused: one ending in `` (digits)`` (an id) or containing
    "Current Score", "Final Grade" and the like (dropped as a total).
  - A lesson whose maximum differs from the mapped Canvas assignment's points possible is
    warned about: importing sets Canvas's points possible to the lesson's.
  - A lesson not graded yet (no submission in the gradebook) is left out, with a warning.

* **Scores**: nbgrader's, after the late penalty (:mod:`.scores`). Work never submitted, and
  rostered students never seen in the gradebook, get ``0`` (``--missing blank`` leaves the cell
  empty: Canvas reads an empty cell as "no score", and as a change if Canvas had a score).
  Numbers have at most two decimals and a ``.`` (Canvas compares grades at two decimals).
* **Matching** a Canvas row to a gradebook student (``--match``): ``sis_login_id`` (default,
  Canvas's SIS Login ID = the nbgrader student id), ``sis_user_id`` (SIS User ID = the nbgrader
  id), ``id`` (Canvas's numeric ID = the student's ``lms_user_id`` in nbgrader, which ``roster
  import`` records, or the nbgrader id), ``email`` (the nbgrader student's email = SIS Login ID,
  for schools whose login is the email address; case does not matter).
* **Mismatches** are listed, never dropped silently: gradebook students the Canvas file does
  not have (their scores cannot be imported), Canvas students the gradebook never saw.
* **The file's form** follows the export: its delimiter (``;`` in decimal-comma locales) and
  its byte order mark, if it had one; UTF-8; quotes where a cell needs them (names with commas,
  quotes or line breaks), via the csv module.

Direct upload through the Canvas API is not done here (see the README: ``canvasapi``'s
``Assignment.submissions_bulk_update``); this stays a file the instructor reviews in Canvas's
import preview.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from traitlets import Dict, Int, Unicode, Union
from traitlets.config import Configurable

from autograder.core.coursedir import Course, CourseError
from autograder.outputs.scores import ClassScores, LessonScores, class_scores, format_points
from autograder.plan import canvas_file
from autograder.plan.canvas_file import NON_ASSIGNMENT, TITLE_AND_ID, CanvasColumn, CanvasGradebook

MATCHES = ("sis_login_id", "sis_user_id", "id", "email")
MISSING = ("zero", "blank")
FILE_NAME = "canvas_import.csv"


class CanvasExport(Configurable):
    """``export --canvas`` settings a course keeps in ``nbgrader_config.py``."""

    assignments = Dict(key_trait=Unicode(), value_trait=Union([Int(), Unicode()]),
                       help="Lesson -> Canvas assignment: its id (the number in the export's "
                            "'Title (1201)' header) or its title, e.g. {'01_input_data': 1201}. "
                            "Unmapped lessons match a Canvas assignment of the same title, "
                            "or become new assignments.").tag(config=True)


@dataclass
class LessonColumn:
    lesson: str
    header: str
    points_possible: str
    canvas_id: int | None = None
    new: bool = False


@dataclass
class CanvasSummary:
    """What ``export --canvas`` wrote and what did not match, for the terminal and --summary-json."""

    path: str
    export: str
    match: str
    missing: str
    lessons: list[LessonColumn] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)
    students: int = 0
    matched: int = 0
    canvas_only: list[dict] = field(default_factory=list)
    gradebook_only: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"file": self.path, "canvas_export": self.export, "match": self.match, "missing": self.missing,
                "lessons": [vars(c) for c in self.lessons],
                "left_out": [{"lesson": name, "reason": why} for name, why in self.left_out],
                "students": self.students, "matched": self.matched, "canvas_only": self.canvas_only,
                "gradebook_only": self.gradebook_only, "warnings": self.warnings}


def _header_problem(name: str) -> str | None:
    if TITLE_AND_ID.match(name):
        return f"Canvas would read the end of {name!r} as an assignment id"
    if NON_ASSIGNMENT.search(name):
        return f"Canvas drops a column whose header contains {NON_ASSIGNMENT.search(name).group(0)!r}"
    if "Points Possible" in name:
        return "Canvas reads 'Points Possible' as its points row"
    return None


def _columns(export: CanvasGradebook, lessons: list[LessonScores], mapping: dict,
             summary: CanvasSummary) -> list[LessonColumn]:
    by_id = {c.canvas_id: c for c in export.assignments}
    by_title: dict[str, CanvasColumn] = {}
    for column in export.assignments:
        by_title.setdefault(column.title, column)
    columns, used = [], {}
    for lesson in lessons:
        target = mapping.get(lesson.lesson)
        points = format_points(lesson.max_score)
        found = None
        if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
            found = by_id.get(int(target))
            if found is None:
                summary.warnings.append(
                    f"{lesson.lesson}: Canvas assignment {target} is not in {export.path.name}; the column is "
                    f"headed '{lesson.lesson} ({target})', which Canvas matches to assignment {target} if the "
                    "course has it (else it creates a new assignment).")
                column = LessonColumn(lesson.lesson, f"{lesson.lesson} ({target})", points, int(target))
        elif isinstance(target, str):
            found = by_title.get(target)
            if found is None:
                summary.left_out.append((lesson.lesson, f"c.CanvasExport.assignments maps it to {target!r}, "
                                                        f"which is no assignment title in {export.path.name}"))
                continue
        else:
            found = by_title.get(lesson.lesson)
            if found is None:
                problem = _header_problem(lesson.lesson)
                if problem:
                    summary.left_out.append((lesson.lesson, problem + "; map it to a Canvas assignment with "
                                                                      "c.CanvasExport.assignments"))
                    continue
                column = LessonColumn(lesson.lesson, lesson.lesson, points, new=True)
        if found is not None:
            if found.read_only:
                summary.left_out.append((lesson.lesson, f"Canvas column {found.header!r} is read-only"))
                continue
            column = LessonColumn(lesson.lesson, found.header, points, found.canvas_id)
            try:
                differs = found.points and abs(float(found.points.replace(",", ".")) - lesson.max_score) > 0.005
            except ValueError:
                differs = False
            if differs:
                summary.warnings.append(
                    f"{lesson.lesson}: Canvas's {found.header!r} has {found.points} points possible and the lesson "
                    f"{points}; importing sets it to {points}.")
        if column.header in used:
            summary.left_out.append((lesson.lesson, f"{used[column.header]} is already written to "
                                                    f"{column.header!r}"))
            continue
        used[column.header] = lesson.lesson
        columns.append(column)
    return columns


def _gradebook_keys(scores: ClassScores, match: str, warnings: list[str]) -> dict[str, str]:
    """The value each gradebook student has for ``match`` -> their nbgrader id."""
    keys: dict[str, str] = {}
    clashes: set[str] = set()
    for student in scores.students.values():
        if match == "email":
            values = [student.email.strip().lower()] if student.email else []
        elif match == "id":
            values = [v for v in (student.lms_user_id, student.student_id) if v]
        else:
            values = [student.student_id]
        for value in dict.fromkeys(values):
            if value in keys and keys[value] != student.student_id:
                clashes.add(value)
            keys.setdefault(value, student.student_id)
    for value in sorted(clashes):
        warnings.append(f"several gradebook students have {match} {value!r}: none of them is matched by it.")
        del keys[value]
    return keys


def write_canvas_import(course: Course, canvas_export: Path, output: Path | None = None,
                        lessons: list[str] | None = None, match: str = "sis_login_id",
                        missing: str = "zero", mapping: dict | None = None) -> CanvasSummary:
    """Write ``canvas_import.csv`` in ``output`` (default ``exports/``) from the instructor's Canvas
    export and the gradebook; see the module docstring."""
    if match not in MATCHES:
        raise CourseError(f"--match {match}: Canvas matches on one of {', '.join(MATCHES)}.")
    if missing not in MISSING:
        raise CourseError(f"--missing {missing}: one of {', '.join(MISSING)}.")
    export = canvas_file.read_canvas_gradebook(Path(canvas_export))
    if mapping is None:
        mapping = dict(CanvasExport(config=course.config).assignments)
    folder = Path(output) if output else course.root / "exports"
    path = folder / FILE_NAME
    summary = CanvasSummary(str(path), str(canvas_export), match, missing)
    scores = class_scores(course, lessons)
    summary.left_out.extend(scores.left_out)
    summary.warnings.extend(scores.warnings)
    columns = _columns(export, scores.lessons, mapping, summary)
    if not columns:
        summary.warnings.append("no graded lesson to write: the file holds the roster only, and Canvas "
                                "imports nothing from it.")
    lesson_of = {lesson.lesson: lesson for lesson in scores.lessons}
    column = canvas_file.MATCH_COLUMNS.get(match, "SIS Login ID")
    if column not in export.columns:
        raise CourseError(f"--match {match}: {export.path.name} has no {column!r} column "
                          f"(its student columns: {', '.join(export.student_header)}).")
    keys = _gradebook_keys(scores, match, summary.warnings)
    blank = "" if missing == "blank" else "0"
    seen: dict[str, int] = {}
    rows = []
    for student in export.students:
        value = student.get(column)
        student_id = keys.get(value.lower() if match == "email" else value) if value else None
        if student_id is not None and student_id in seen:
            summary.warnings.append(f"{export.path.name} line {student.line}: {column} {value!r} is also on "
                                    f"line {seen[student_id]}; both rows get {student_id}'s scores.")
        if student_id is None:
            summary.canvas_only.append({"line": student.line, "name": student.name, column: value})
        else:
            seen.setdefault(student_id, student.line)
        cells = (student.cells + [""] * export.student_count)[:export.student_count]
        for lesson_column in columns:
            score = None if student_id is None else scores.score(lesson_of[lesson_column.lesson], student_id)
            cells.append(blank if score is None else format_points(score))
        rows.append(cells)
    summary.students = len(rows)
    summary.matched = len(seen)
    summary.gradebook_only = sorted(s for s in scores.students if s not in seen)
    summary.lessons = columns
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8-sig" if export.bom else "utf-8") as handle:
        writer = csv.writer(handle, delimiter=export.delimiter)
        writer.writerow(export.student_header + [c.header for c in columns])
        writer.writerow(["Points Possible"] + [""] * (export.student_count - 1) + [c.points_possible for c in columns])
        writer.writerows(rows)
    return summary


def print_summary(summary: CanvasSummary) -> None:
    """The terminal's account of ``export --canvas``."""
    print(f"{summary.path}: {summary.students} Canvas students x {len(summary.lessons)} lessons "
          f"({summary.matched} matched on {summary.match}; missing work: "
          f"{'blank' if summary.missing == 'blank' else '0'})")
    for column in summary.lessons:
        target = "new Canvas assignment" if column.new else f"Canvas assignment {column.canvas_id}"
        print(f"  {column.lesson} -> {column.header!r} ({target}, {column.points_possible} points)")
    for lesson, why in summary.left_out:
        print(f"  left out: {lesson}: {why}")
    if summary.gradebook_only:
        print(f"  in the gradebook, not in the Canvas file ({len(summary.gradebook_only)}; their scores are not "
              f"imported): {', '.join(summary.gradebook_only)}")
    if summary.canvas_only:
        names = ", ".join(f"{s['name']} (line {s['line']})" for s in summary.canvas_only)
        print(f"  in Canvas, never in the gradebook ({len(summary.canvas_only)}; "
              f"{'left blank' if summary.missing == 'blank' else 'given 0'}): {names}")
    for warning in summary.warnings:
        print(f"  warning: {warning}")
