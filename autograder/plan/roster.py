"""The class list: ``autograder roster import FILE`` adds or updates students in nbgrader's gradebook.

FILE is one of (recognised by its header row):

* **a Canvas gradebook export** (Gradebook > Export): the header starts ``Student, ID`` (as
  Canvas's importer checks it, see :mod:`.canvas_file`). The student id is the ``SIS Login ID``
  column (``--match sis_user_id`` or ``id`` picks another), the name comes from ``Student``
  (Canvas writes "Last, First"), Canvas's numeric ``ID`` is kept as nbgrader's ``lms_user_id``.
  The ``Points Possible`` and ``Manual Posting``/``Muted`` rows are not students, nor is Canvas's
  Student View user ("Student, Test", without SIS ids).
* **a Moodle participants or user export**: columns named ``Username``/``username``,
  ``ID number``/``idnumber``, ``Email address``/``email``, ``First name``/``firstname``,
  ``Last name``/``lastname`` or ``Full name``. The student id is the username (``--match
  idnumber`` or ``email`` picks another); the ID number is kept as ``lms_user_id``.
* **a plain CSV** ``id,first_name,last_name,email`` (``lms_user_id`` optional): nbgrader's own
  ``nbgrader db student import`` format.

Every row is checked before anything is written, and reported with its line number in the file
(the physical line, so a quoted name spanning lines still points at the right place):

* no id;
* an id already given on an earlier line (the earlier one is imported);
* an id nbgrader cannot use as a folder name (:func:`student_id_problem`).

The other rows are imported with nbgrader's ``Gradebook.update_or_create_student``. A blank cell
never clears what the gradebook has (nbgrader's own import would set it to None), so importing
the same file twice changes nothing the second time: the report says added, changed (with each
field's old and new value), unchanged, and which gradebook students the file does not list
(they are left as they are: a student is never removed by a roster).

Differences from ``nbgrader db student import`` (nbgrader/apps/dbapp.py), which reads only the
plain format: one bad row there stops the import half-way, a row without an id is a crash, a
duplicate id silently overwrites the first, and no id is checked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.core.coursedir import Course, CourseError
from autograder.plan import canvas_file

#: The Student fields a roster may set (nbgrader.api.Student's columns besides ``id``).
FIELDS = ("first_name", "last_name", "email", "lms_user_id")

#: Longest id nbgrader stores (``Student.id`` is ``String(128)``).
MAX_ID = 128

MOODLE_HEADERS = {
    "username": ("username",),
    "idnumber": ("idnumber", "id number"),
    "email": ("email", "email address"),
    "first_name": ("firstname", "first name"),
    "last_name": ("lastname", "last name", "surname"),
    "full_name": ("fullname", "full name"),
}
CANVAS_MATCH = ("sis_login_id", "sis_user_id", "id")
#: The name of Canvas's Student View user ("Test Student", sortable), who has no SIS ids: skipped.
TEST_STUDENT = "Student, Test"
MOODLE_MATCH = ("username", "idnumber", "email")


def student_id_problem(student_id: str) -> str | None:
    """Why nbgrader cannot use ``student_id`` (None when it can).

    nbgrader makes ``submitted/<id>/<assignment>/`` and the other steps' folders from it
    (``CourseDirectory.directory_structure``), finds submissions with a glob over those paths,
    names exchange files ``<id>+<assignment>+<timestamp>`` and splits them on ``+``, strips
    whitespace around ``--student`` values, and stores at most 128 characters.
    """
    if not student_id:
        return "no id"
    if student_id != student_id.strip():
        return f"the id {student_id!r} starts or ends with a space (nbgrader strips it, so its folder would differ)"
    if len(student_id) > MAX_ID:
        return f"the id is {len(student_id)} characters long; nbgrader keeps at most {MAX_ID}"
    if student_id in (".", "..") or student_id.startswith("."):
        return f"the id {student_id!r} starts with '.', which makes a hidden folder"
    bad = sorted(set(re.findall(r"[/\\\x00-\x1f*?\[\]+]", student_id)))
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return (f"the id {student_id!r} contains {shown}: not usable in a folder name "
                "(nbgrader also splits exchange file names on '+' and finds folders with a glob)")
    return None


@dataclass
class RosterRow:
    """One student as the file gives them; a None field is left as the gradebook has it."""

    line: int
    student_id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    lms_user_id: str | None = None

    def fields(self) -> dict[str, str]:
        return {name: value for name in FIELDS if (value := getattr(self, name))}


@dataclass
class RosterProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class Roster:
    kind: str  # "canvas", "moodle" or "plain"
    id_column: str
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)


@dataclass
class RosterReport:
    """What ``roster import`` did, for the terminal and ``--summary-json``."""

    path: str
    kind: str
    id_column: str
    added: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, list]] = field(default_factory=dict)  # id -> field -> [old, new]
    unchanged: list[str] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"file": self.path, "format": self.kind, "id_column": self.id_column, "added": self.added,
                "changed": self.changed, "unchanged": self.unchanged,
                "problems": [{"line": p.line, "message": p.message} for p in self.problems],
                "not_in_file": self.not_in_file}


def _none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _split_sortable(name: str) -> tuple[str | None, str | None]:
    """Canvas's ``Student`` cell is the sortable name, "Last, First"; else "First Last"."""
    name = name.strip()
    if name.startswith('="') and name.endswith('"'):  # Canvas quotes a name starting with '='
        name = name[2:-1]
    if "," in name:
        last, first = name.split(",", 1)
        return _none(first), _none(last)
    if " " in name:
        first, last = name.rsplit(" ", 1)
        return _none(first), _none(last)
    return None, _none(name)


def _moodle_columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = cell.strip().lower()
        for name, aliases in MOODLE_HEADERS.items():
            if key in aliases and name not in found:
                found[name] = index
    return found


def read_roster(path: Path, match: str | None = None) -> Roster:
    """Read a roster file (see the module docstring); raises :class:`CourseError` for a file that
    is none of the three formats, or a ``match`` column it does not have."""
    text, _ = canvas_file.read_text(path)
    delimiter = canvas_file.sniff_delimiter(text)
    records = list(canvas_file.records(text, delimiter))
    if not records:
        raise CourseError(f"{path}: the file is empty.")
    _, header = records[0]
    if canvas_file.is_canvas_header(header):
        return _read_canvas(path, match)
    plain = [cell.strip().lower() for cell in header]
    if "id" in plain and not _moodle_columns(header).keys() & {"username", "idnumber"}:
        return _read_plain(records, plain, match)
    columns = _moodle_columns(header)
    if columns.keys() & {"username", "idnumber", "email"}:
        return _read_moodle(records, columns, match)
    raise CourseError(
        f"{path}: not a roster this command reads. Its first row is {', '.join(header[:6])}...; expected a "
        "Canvas gradebook export (Student, ID, ...), a Moodle participants export (Username, ID number or "
        "Email address columns) or a CSV with the columns id,first_name,last_name,email.")


def _checked(roster: Roster, row: RosterRow, seen: dict[str, int]) -> None:
    problem = student_id_problem(row.student_id)
    if problem:
        roster.problems.append(RosterProblem(row.line, problem))
    elif row.student_id in seen:
        roster.problems.append(RosterProblem(
            row.line, f"{row.student_id!r} is already on line {seen[row.student_id]}; this row is not imported"))
    else:
        seen[row.student_id] = row.line
        roster.rows.append(row)


def _read_plain(records: list[tuple[int, list[str]]], header: list[str], match: str | None) -> Roster:
    if match not in (None, "id"):
        raise CourseError(f"--match {match}: a plain roster's student id is its 'id' column.")
    roster = Roster("plain", "id")
    seen: dict[str, int] = {}
    index = {name: header.index(name) for name in ("id", *FIELDS) if name in header}
    for line, cells in records[1:]:
        cells = cells + [""] * (len(header) - len(cells))
        row = RosterRow(line, cells[index["id"]].strip() if cells[index["id"]].strip() else "",
                        **{name: _none(cells[i]) for name, i in index.items() if name != "id"})
        if not row.student_id:
            roster.problems.append(RosterProblem(line, "no id"))
            continue
        _checked(roster, row, seen)
    return roster


def _read_moodle(records: list[tuple[int, list[str]]], columns: dict[str, int], match: str | None) -> Roster:
    match = match or ("username" if "username" in columns else "idnumber" if "idnumber" in columns else "email")
    if match not in MOODLE_MATCH:
        raise CourseError(f"--match {match}: a Moodle roster's student id is one of {', '.join(MOODLE_MATCH)}.")
    if match not in columns:
        raise CourseError(f"--match {match}: this Moodle file has no {match} column.")
    roster = Roster("moodle", match)
    seen: dict[str, int] = {}
    for line, cells in records[1:]:
        def cell(name: str) -> str | None:
            return _none(cells[columns[name]]) if name in columns and columns[name] < len(cells) else None  # noqa: B023 - this row's

        first, last = cell("first_name"), cell("last_name")
        if first is None and last is None and cell("full_name"):
            first, last = _split_sortable(cell("full_name") or "")
        student_id = cell(match) or ""
        if not student_id:
            roster.problems.append(RosterProblem(line, f"no {match}"))
            continue
        _checked(roster, RosterRow(line, student_id, first, last, cell("email"), cell("idnumber")), seen)
    return roster


def _read_canvas(path: Path, match: str | None) -> Roster:
    match = match or "sis_login_id"
    if match not in CANVAS_MATCH:
        raise CourseError(f"--match {match}: a Canvas roster's student id is one of {', '.join(CANVAS_MATCH)}.")
    export = canvas_file.read_canvas_gradebook(path)
    column = canvas_file.MATCH_COLUMNS[match]
    if column not in export.columns:
        raise CourseError(f"--match {match}: this Canvas export has no {column!r} column "
                          f"(its student columns: {', '.join(export.student_header)}).")
    roster = Roster("canvas", column)
    seen: dict[str, int] = {}
    for student in export.students:
        student_id = student.get(column)
        if not student_id and student.name.strip() == TEST_STUDENT:
            continue  # Canvas's Student View user, in the export once an instructor used Student View
        if not student_id:
            roster.problems.append(RosterProblem(student.line, f"no {column}"))
            continue
        first, last = _split_sortable(student.name)
        login = student.get("SIS Login ID")
        _checked(roster, RosterRow(student.line, student_id, first, last,
                                   login if login and "@" in login else None, student.get("ID")), seen)
    return roster


def import_roster(course: Course, path: Path, match: str | None = None) -> RosterReport:
    """Add or update every good row of ``path`` in the gradebook; see the module docstring."""
    roster = read_roster(Path(path), match)
    report = RosterReport(str(path), roster.kind, roster.id_column, problems=list(roster.problems))
    from nbgrader.api import MissingEntry

    listed = {row.student_id for row in roster.rows}
    with course.gradebook() as gb:
        for row in roster.rows:
            given = row.fields()
            try:
                student = gb.find_student(row.student_id)
            except MissingEntry:
                gb.update_or_create_student(row.student_id, **given)
                report.added.append(row.student_id)
                continue
            changes = {name: [getattr(student, name), value] for name, value in given.items()
                       if getattr(student, name) != value}
            if changes:
                gb.update_or_create_student(row.student_id, **{name: new for name, (_, new) in changes.items()})
                report.changed[row.student_id] = changes
            else:
                report.unchanged.append(row.student_id)
        report.not_in_file = sorted(s.id for s in gb.students if s.id not in listed)
    report.problems.sort(key=lambda p: p.line)
    return report
