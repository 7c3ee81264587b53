"""A Canvas gradebook CSV, read by the rules of Canvas's own importer.

What Canvas does with an uploaded gradebook (``instructure/canvas-lms``, ``lib/gradebook_importer.rb``;
the export side is ``lib/gradebook_exporter.rb`` and ``lib/csv_with_i18n.rb``):

* **Delimiter**: the first three lines are parsed with ``;`` and with ``,``; ``;`` wins only when
  it gives the same number of fields on all three and more than ``,`` does. (Canvas exports with
  ``;`` for users in decimal-comma locales.) Lines of only ``;``, ``,`` and spaces are skipped.
* **Header row**, checked by position: more than three cells, the first containing ``Student``
  and the second ``ID`` (or ``LastName, FirstName, ID`` under a feature flag). The third is
  ``SIS Login ID`` (four student columns), or ``SIS User ID`` followed by ``SIS Login ID``, then
  optionally ``Integration ID`` and ``Root Account``; the last student column must contain
  ``Section``. Anything else is "Invalid header row" and the whole upload fails.
* **Columns after the student columns**: custom gradebook columns (known to Canvas by title);
  every header matching ``Current Score|Current Points|Current Grade|Final Score|Final Points|
  Final Grade|Override Score|Override Grade|Override Status`` anywhere in it is dropped (so
  "Unposted Final Score" and an assignment group's totals too, and an assignment whose title
  contains one of those words!); every other header is an assignment: ``Title (123)`` names
  assignment 123 (``Assignment.title_and_id``), a bare title matching an existing assignment's
  title is that assignment, anything else creates a new assignment.
* **Rows**: a row whose first cell contains ``Points Possible`` sets each assignment's points
  (a ``read only`` cell there makes that column read-only: ignored); a row of only blanks,
  ``Muted`` or ``Manual Posting...`` is skipped; every other row is a student, found by ``ID``,
  then ``SIS User ID``, then ``SIS Login ID``, then by name; an unknown one is listed as a new,
  unmatched student.
* **Cells**: stripped; a cell of only digits, ``.``, ``,`` and ``%`` has its last ``,``/``.``
  read as the decimal point (``7,5`` is 7.5, and ``1,234`` is 1.234, so never write thousands
  separators); blank or ``-`` is "no score", ``EX`` is excused. Each cell is compared with the
  current grade at two decimals, and columns with no change are left out.
* **Encoding**: read as UTF-8; a byte order mark stays in the first cell, which still contains
  ``Student``. Canvas writes one under a user setting.

:func:`read_canvas_gradebook` reads an export with these rules (raising :class:`CourseError`
where Canvas would refuse it) for ``roster import`` and ``export --canvas``.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from autograder.core.coursedir import CourseError

#: gradebook_importer.rb NON_ASSIGNMENT_COLUMN_HEADERS, joined into one regexp as Canvas does.
NON_ASSIGNMENT = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|"
                            "Final Grade|Override Score|Override Grade|Override Status")
#: Assignment.title_and_id.
TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z", re.S)
READ_ONLY = re.compile(r"read\s+only")
HIDDEN_ROW = re.compile(r"^\s*(Muted|Manual Posting.*)?\s*$", re.I)
#: ``--match`` value -> the Canvas column holding it.
MATCH_COLUMNS = {"sis_login_id": "SIS Login ID", "sis_user_id": "SIS User ID", "id": "ID"}


def read_text(path: Path) -> tuple[str, bool]:
    """The file's text and whether it began with a UTF-8 byte order mark. LMS exports are
    UTF-8; a file a spreadsheet saved in a Windows code page is read as cp1252 rather than refused."""
    data = Path(path).read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8-sig"), bom
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), False


def _fields(line: str, delimiter: str) -> int:
    try:
        row = next(csv.reader([line], delimiter=delimiter, strict=True), [])
    except csv.Error:
        return -1
    return len(row)


def sniff_delimiter(text: str) -> str:
    """``;`` or ``,``, chosen as Canvas's ``identify_delimiter`` does from the first three lines."""
    lines = text.splitlines()[:3]
    counts = {}
    for separator in (";", ","):
        found = [_fields(line, separator) for line in lines]
        counts[separator] = found[0] if found and len(set(found)) == 1 and found[0] > 0 else 0
    return ";" if counts[";"] > counts[","] else ","


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of each record, skipping lines of only separators and spaces."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        if cells and not re.fullmatch(r"[;, ]*", delimiter.join(cells)):
            yield start, cells
        start = reader.line_num + 1


def is_canvas_header(row: list[str]) -> bool:
    """gradebook_importer.rb ``row_has_student_headers?``."""
    return ((len(row) > 3 and "Student" in row[0] and "ID" in row[1])
            or (len(row) > 4 and "LastName" in row[0] and "FirstName" in row[1] and "ID" in row[2]))


def student_columns(row: list[str]) -> int:
    """How many student columns the header has (``update_column_count``); raises CourseError when
    the last of them is not ``Section``, as Canvas does."""
    first_last = row[0] == "LastName" and row[1] == "FirstName"
    count = base = 4 if first_last else 3
    cell = row[base - 1] if len(row) >= base else ""
    if re.search(r"SIS\s+Login\s+ID", cell):
        count += 1
    elif re.search(r"SIS\s+User\s+ID", cell) and len(row) > base and re.search(r"SIS\s+Login\s+ID", row[base]):
        extra = 1 if len(row) > base + 1 and re.search(r"Integration\s+ID", row[base + 1]) else 0
        count += 2 + extra
        if len(row) > base + 1 + extra and re.search(r"Root\s+Account", row[base + 1 + extra]):
            count += 1
    if len(row) < count or "Section" not in row[count - 1]:
        raise CourseError("its header has no Section column where Canvas expects it "
                          f"(column {count}: {row[count - 1] if len(row) >= count else 'missing'!r}); "
                          "Canvas refuses such a file as 'Invalid header row'.")
    return count


@dataclass
class CanvasColumn:
    """An assignment column of the export."""

    index: int
    header: str
    title: str
    canvas_id: int | None
    points: str  # as written in the Points Possible row
    read_only: bool


@dataclass
class CanvasStudent:
    line: int
    cells: list[str]
    columns: dict[str, int]

    @property
    def name(self) -> str:
        return self.cells[0]

    def get(self, column: str) -> str:
        index = self.columns.get(column)
        return self.cells[index].strip() if index is not None and index < len(self.cells) else ""


@dataclass
class CanvasGradebook:
    """An instructor's Canvas gradebook export."""

    path: Path
    delimiter: str
    bom: bool
    header: list[str]
    student_count: int  # how many student columns
    assignments: list[CanvasColumn] = field(default_factory=list)
    other_columns: list[str] = field(default_factory=list)  # totals, custom columns
    students: list[CanvasStudent] = field(default_factory=list)

    @property
    def student_header(self) -> list[str]:
        return self.header[:self.student_count]

    @property
    def columns(self) -> dict[str, int]:
        """Student column name -> index (``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ...)."""
        names = {}
        for index, cell in enumerate(self.student_header):
            cell = cell.lstrip("\ufeff").strip()
            for name in ("SIS User ID", "SIS Login ID", "Integration ID", "Root Account", "Section",
                         "LastName", "FirstName", "Student"):
                if re.search(name.replace(" ", r"\s+"), cell) and name not in names:
                    names[name] = index
                    break
            else:
                if "ID" in cell and "ID" not in names:
                    names["ID"] = index
        return names


def read_canvas_gradebook(path: Path) -> CanvasGradebook:
    """Read a Canvas gradebook export (Gradebook > Export > Export Entire Gradebook)."""
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"{path}: no such file.")
    text, bom = read_text(path)
    delimiter = sniff_delimiter(text)
    rows = list(records(text, delimiter))
    if not rows or not is_canvas_header(rows[0][1]):
        first = ", ".join(rows[0][1][:5]) if rows else "nothing"
        raise CourseError(f"{path}: not a Canvas gradebook export (its first row is {first}; Canvas's "
                          "begins Student, ID, SIS User ID, SIS Login ID, Section). Download it from "
                          "Canvas: Grades > Export > Export Entire Gradebook.")
    header = rows[0][1]
    try:
        count = student_columns(header)
    except CourseError as exc:
        raise CourseError(f"{path}: {exc}") from None
    export = CanvasGradebook(path, delimiter, bom, header, count)
    points: list[str] = []
    for line, cells in rows[1:]:
        if "Points Possible" in cells[0]:
            points = cells
        elif all(HIDDEN_ROW.match(cell) for cell in cells):
            continue
        else:
            export.students.append(CanvasStudent(line, cells, export.columns))
    for index in range(count, len(header)):
        title = header[index]
        cell = points[index].strip() if index < len(points) else ""
        match = TITLE_AND_ID.match(title)
        if NON_ASSIGNMENT.search(title) or READ_ONLY.search(cell) or not match:
            export.other_columns.append(title)  # totals, read-only or custom columns
            continue
        export.assignments.append(CanvasColumn(index, title, match.group(1), int(match.group(2)), cell,
                                               bool(READ_ONLY.search(cell))))
    return export
