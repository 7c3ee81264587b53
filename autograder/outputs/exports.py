"""CSV exports for a spreadsheet or an LMS upload.

Per assignment, in ``exports/`` (or ``--output``):

* ``<assignment>_grades.csv``: exactly what ``nbgrader export`` writes (nbgrader's
  own ``CsvExportPlugin``, limited to that assignment): one row per student.
* ``<assignment>_questions.csv``: one row per student and graded cell: points,
  max points, passed, plus the grading status (graded, crashed, timed_out, failed,
  rejected: only unusable files were handed in, not_submitted) so a zero can be
  told apart from a crash.
* ``<assignment>_questions_wide.csv``: the same points as a student x cell table
  (one row per student, one column per graded cell, total, status).

Both read the gradebook, so they agree with the formgrader.
"""
from __future__ import annotations

import csv
from pathlib import Path

from autograder.core.coursedir import Course

QUESTION_COLUMNS = ["assignment", "student_id", "notebook", "cell", "points", "max_points",
                    "passed", "needs_manual_grade", "status"]


def graded_assignments(course: Course) -> list[str]:
    with course.gradebook() as gb:
        return [a.name for a in gb.assignments if a.notebooks]


def export_grades(course: Course, assignment: str, path: Path) -> Path:
    """nbgrader's CSV export for one assignment."""
    from nbgrader.plugins import CsvExportPlugin

    path.parent.mkdir(parents=True, exist_ok=True)
    with course.gradebook() as gb:
        CsvExportPlugin(to=str(path), assignment=[assignment]).export(gb)
    return path


def cell_order(course: Course, assignment: str, notebook: str, names: list[str]) -> list[str]:
    """Graded cell names in the order they appear in the source notebook."""
    import nbformat

    order: list[str] = []
    try:
        nb = nbformat.read(str(course.folder("source") / assignment / f"{notebook}.ipynb"), as_version=4)
        order = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    except Exception:  # noqa: BLE001
        pass
    position = {name: i for i, name in enumerate(order) if name}
    return sorted(names, key=lambda n: (position.get(n, len(position)), n))


def question_rows(course: Course, assignment: str) -> list[dict]:
    """Student x graded cell rows, in notebook and cell order, for every student in the gradebook."""
    from nbgrader.api import MissingEntry

    from autograder.plan.intake import rejected_files
    from autograder.record.runlog import RunLog

    statuses = {s: r.status.value for s, r in RunLog(course, assignment).latest().items()}
    rejected = rejected_files(course, assignment)
    rows = []
    with course.gradebook() as gb:
        nb_cells = [(nb.name, cell_order(course, assignment, nb.name, [c.name for c in nb.grade_cells]),
                     {c.name: c.max_score for c in nb.grade_cells})
                    for nb in sorted(gb.find_assignment(assignment).notebooks, key=lambda n: n.name)]
        for student in sorted(s.id for s in gb.students):
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                submission = None
            grades = {}
            if submission is not None:
                for nb in submission.notebooks:
                    for grade in nb.grades:
                        grades[(nb.name, grade.name)] = grade
            for notebook, cells, maxima in nb_cells:
                for cell in cells:
                    grade = grades.get((notebook, cell))
                    score = None if grade is None else grade.score
                    max_points = float(maxima[cell])
                    rows.append({
                        "assignment": assignment, "student_id": student, "notebook": notebook, "cell": cell,
                        "points": 0.0 if score is None and submission is None else score,
                        "max_points": max_points,
                        "passed": bool(score is not None and float(score) >= max_points),
                        "needs_manual_grade": bool(grade is not None and grade.needs_manual_grade),
                        "status": statuses.get(student, "graded") if submission is not None
                        else ("rejected" if student in rejected else "not_submitted"),
                    })
    return rows


def graded_cells(rows: list[dict]) -> list[tuple[str, str]]:
    """The (notebook, cell) pairs of :func:`question_rows`, in their order."""
    return list(dict.fromkeys((row["notebook"], row["cell"]) for row in rows))


def export_questions(rows: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=QUESTION_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "points": "" if row["points"] is None else f"{float(row['points']):g}",
                             "max_points": f"{row['max_points']:g}"})
    return path


def export_questions_wide(rows: list[dict], path: Path) -> Path:
    """One row per student, one column of points per graded cell (the same numbers, spreadsheet-shaped)."""
    cells = graded_cells(rows)
    several = len({nb for nb, _ in cells}) > 1
    names = {(nb, cell): f"{nb}/{cell}" if several else cell for nb, cell in cells}
    table: dict[str, dict] = {}
    for row in rows:
        entry = table.setdefault(row["student_id"], {"student_id": row["student_id"], "status": row["status"],
                                                      "total": 0.0, "max_total": 0.0})
        name = names[(row["notebook"], row["cell"])]
        entry[name] = "" if row["points"] is None else f"{float(row['points']):g}"
        entry["total"] += float(row["points"] or 0)
        entry["max_total"] += row["max_points"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["student_id", *names.values(), "total", "max_total", "status"])
        writer.writeheader()
        for entry in table.values():
            writer.writerow({**entry, "total": f"{entry['total']:g}", "max_total": f"{entry['max_total']:g}"})
    return path


def export(course: Course, assignments: list[str] | None = None, output: Path | None = None) -> list[Path]:
    """Write the three CSVs for each assignment; return their paths."""
    folder = Path(output) if output else course.root / "exports"
    written = []
    for assignment in assignments or graded_assignments(course):
        rows = question_rows(course, assignment)
        written.append(export_grades(course, assignment, folder / f"{assignment}_grades.csv"))
        written.append(export_questions(rows, folder / f"{assignment}_questions.csv"))
        written.append(export_questions_wide(rows, folder / f"{assignment}_questions_wide.csv"))
    return written
