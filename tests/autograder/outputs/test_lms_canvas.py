"""``export --canvas``: the file is checked against Canvas's importer's own rules, not only ours."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from autograder.core.coursedir import Course, CourseError
from autograder.outputs import lms_canvas
from tests.fixtures.autograder import lms_class
from tests.fixtures.autograder.lms_rules import canvas_import


@pytest.mark.parametrize("text, message", [
    ("Name,ID,SIS Login ID,Section,ps1\nAnn,1,ann,A,3\n", "Invalid header row"),
    ("Student,ID,SIS Login ID,ps1\nAnn,1,ann,3\n", "Invalid header row"),
    ("Student,ID,SIS User ID,SIS Login ID,ps1,Section\nAnn,1,S1,ann,3,A\n", "Invalid header row"),
    ("Student,ID,SIS Login ID,Section,ps1\nAnn,,,A,3\n", "cannot find this student"),
    ("Student,ID,SIS Login ID,Section,ps1\nAnn,1,ann,A,three\n", "is no grade"),
    ("Student,ID,SIS Login ID,Section,Quiz (7)\nPoints Possible,,,,(read only)\nAnn,1,ann,A,3\n", "read-only"),
])
def test_the_canvas_rules_refuse_a_wrong_file(text, message):
    with pytest.raises(AssertionError, match=message):
        canvas_import(text.encode())


def test_the_canvas_rules_read_canvas_s_own_export():
    read = canvas_import(lms_class.CANVAS_EXPORT.encode(), custom_columns=frozenset({"Notes"}))
    assert [a["header"] for a in read["assignments"]] == ["Quiz 1 (1190)", "ps1 (1202)"]
    assert [a["points"] for a in read["assignments"]] == [5.0, 3.0]
    assert read["students"]["102"]["name"] == 'O\'Brien, Jr., Robert "Bob"'


# -- the export ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Course:
    return Course(lms_class.graded_class(tmp_path_factory.mktemp("canvas") / "course"))


def test_every_rostered_student_with_the_gradebook_s_score(graded, tmp_path):
    export = lms_class.write_canvas_export(tmp_path / "export.csv")
    summary = lms_canvas.write_canvas_import(graded, export, output=tmp_path / "out")
    assert summary.path == str(tmp_path / "out" / "canvas_import.csv")
    read = canvas_import(Path(summary.path).read_bytes())
    assert read["student_columns"] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    # one column per graded lesson, mapped by name to Canvas's "ps1 (1202)"; no Quiz 1, notes or totals
    assert read["assignments"] == [{"header": "ps1 (1202)", "id": 1202, "title": "ps1", "points": 3.0}]
    grades = {canvas_id: row["grades"]["ps1 (1202)"] for canvas_id, row in read["students"].items()}
    assert grades == {"101": "3", "102": "1", "103": "1", "104": "1.5", "105": "0", "106": "0"}
    # bob: 3 points, 36 hours late, nbgrader's penalty 2; dan: late but within his extension;
    # eve: no submission; gus: never in the gradebook
    exported = canvas_import(lms_class.CANVAS_EXPORT.encode(), frozenset({"Notes"}))["students"]
    for canvas_id, row in read["students"].items():  # names with commas, quotes, non-ASCII: cell for cell
        assert row["cells"] == exported[canvas_id]["cells"][:5]
    assert summary.gradebook_only == ["fay"]
    assert [s["name"] for s in summary.canvas_only] == ["Grant, Gus"]
    assert summary.left_out == [("tf1", "not graded yet: the gradebook has no submission of it")]
    assert summary.matched == 5 and summary.students == 6


def test_missing_work_left_blank(graded, tmp_path):
    export = lms_class.write_canvas_export(tmp_path / "export.csv")
    summary = lms_canvas.write_canvas_import(graded, export, output=tmp_path, missing="blank")
    grades = {k: v["grades"]["ps1 (1202)"] for k, v in canvas_import(Path(summary.path).read_bytes())["students"].items()}
    assert grades["105"] == "" and grades["106"] == "" and grades["101"] == "3"  # "" is "no score" to Canvas


def test_semicolons_and_a_byte_order_mark_are_kept(graded, tmp_path):
    export = lms_class.write_canvas_export(tmp_path / "export.csv", bom=True, delimiter=";")
    summary = lms_canvas.write_canvas_import(graded, export, output=tmp_path)
    data = Path(summary.path).read_bytes()
    assert data.startswith(b"\xef\xbb\xbfStudent;ID;")
    read = canvas_import(data)
    assert read["delimiter"] == ";" and read["students"]["104"]["grades"]["ps1 (1202)"] == "1.5"


def test_a_lesson_mapped_by_id_in_the_config_and_a_new_assignment(graded, tmp_path):
    export = lms_class.write_canvas_export(tmp_path / "export.csv")
    summary = lms_canvas.write_canvas_import(graded, export, output=tmp_path, mapping={"ps1": 1190})
    read = canvas_import(Path(summary.path).read_bytes())
    assert [(a["header"], a["points"]) for a in read["assignments"]] == [("Quiz 1 (1190)", 3.0)]
    assert any("5.00 points possible" in w and "sets it to 3" in w for w in summary.warnings)
    without = tmp_path / "without_ps1.csv"  # a Canvas course with no ps1 assignment yet
    rows = list(csv.reader(io.StringIO(lms_class.CANVAS_EXPORT)))
    csv.writer(without.open("w", newline="")).writerows([r[:7] + r[8:] for r in rows])
    summary = lms_canvas.write_canvas_import(graded, without, output=tmp_path / "new")
    read = canvas_import(Path(summary.path).read_bytes())
    assert read["assignments"] == [{"header": "ps1", "id": None, "title": "ps1", "points": 3.0}]
    assert summary.lessons[0].new


def test_a_config_mapping_in_nbgrader_config(graded, tmp_path):
    config = graded.root / "nbgrader_config.py"
    original = config.read_text()
    config.write_text(original + '\nc.CanvasExport.assignments = {"ps1": 1190}\n')
    try:
        summary = lms_canvas.write_canvas_import(Course(graded.root), lms_class.write_canvas_export(
            tmp_path / "export.csv"), output=tmp_path)
    finally:
        config.write_text(original)
    assert [c.header for c in summary.lessons] == ["Quiz 1 (1190)"]


@pytest.mark.parametrize("match", ["id", "email"])
def test_matching_on_canvas_id_or_email(graded, tmp_path, match):
    rows = list(csv.reader(io.StringIO(lms_class.CANVAS_EXPORT)))
    emails = {"ann": "Ann.Lee@example.edu", "bob": "bob@example.edu"}
    for row in rows[3:]:
        row[3] = emails.get(row[3], row[3] + "@elsewhere.edu")
    export = tmp_path / "export.csv"
    csv.writer(export.open("w", newline="")).writerows(rows)
    with graded.gradebook() as gb:
        gb.update_or_create_student("ann", lms_user_id="101")
    try:
        summary = lms_canvas.write_canvas_import(graded, export, output=tmp_path, match=match)
    finally:
        with graded.gradebook() as gb:
            gb.update_or_create_student("ann", lms_user_id=None)
    grades = {k: v["grades"]["ps1 (1202)"] for k, v in canvas_import(Path(summary.path).read_bytes())["students"].items()}
    if match == "id":  # ann by her lms_user_id; nobody else's nbgrader id is a Canvas ID
        assert grades["101"] == "3" and summary.matched == 1
    else:  # ann and bob by email, whatever its case
        assert (grades["101"], grades["102"], summary.matched) == ("3", "1", 2)


def test_names_canvas_would_misread_are_refused():
    assert "assignment id" in lms_canvas._header_problem("Quiz (12)")
    assert "Final Grade" in lms_canvas._header_problem("Final Grade project")
    assert lms_canvas._header_problem("01_input_data") is None


def test_not_a_canvas_export(graded, tmp_path):
    bad = tmp_path / "grades.csv"
    bad.write_text("student_id,score\nann,3\n")
    with pytest.raises(CourseError, match="not a Canvas gradebook export"):
        lms_canvas.write_canvas_import(graded, bad, output=tmp_path)
    with pytest.raises(CourseError, match="--match"):
        lms_canvas.write_canvas_import(graded, lms_class.write_canvas_export(tmp_path / "e.csv"), match="username")
