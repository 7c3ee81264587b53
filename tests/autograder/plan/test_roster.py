"""``roster import``: Canvas, Moodle and plain class lists into nbgrader's gradebook."""
from __future__ import annotations

import pytest

from autograder.core.coursedir import Course, CourseError
from autograder.plan.roster import import_roster, read_roster, student_id_problem
from tests.fixtures.autograder import fixture_course, lms_class


@pytest.fixture
def course(tmp_path) -> Course:
    return Course(fixture_course.make_course(tmp_path / "course"))


def students(course: Course) -> dict[str, tuple]:
    with course.gradebook() as gb:
        return {s.id: (s.first_name, s.last_name, s.email, s.lms_user_id) for s in gb.students}


@pytest.mark.parametrize("student_id, problem", [
    ("ann", None), ("zoë", None), ("s-001_x.y", None), ("a@b.edu", None),
    ("", "no id"), (" ann", "space"), ("a/b", "'/'"), ("a\\b", "'\\\\'"), ("..", "'.'"), (".ann", "'.'"),
    ("ann+1", "'+'"), ("a*", "'*'"), ("x" * 129, "129 characters"),
])
def test_ids_nbgrader_cannot_use_as_a_folder(student_id, problem):
    found = student_id_problem(student_id)
    assert found is None if problem is None else problem in found


PLAIN = (
    'id,first_name,last_name,email\n'                      # 1
    'ann,Ann,Lee,ann@example.edu\n'                        # 2
    ',No,Id,noid@example.edu\n'                            # 3: no id
    'bob,"Robert ""Bob""","O\'Brien, Jr.",bob@example.edu\n'  # 4
    'ann,Ann,Again,ann2@example.edu\n'                     # 5: duplicate
    'cara,"Cara\nMaria",Díaz,\n'                           # 6-7: a name over two lines
    'a/b,Slash,Id,slash@example.edu\n'                     # 8: not a folder name
    'zoë,Zoë,Çelik-Nguyễn,zoe@example.edu\n'               # 9
)


def test_bad_rows_are_reported_by_line_and_the_others_imported_once(course, tmp_path):
    roster = tmp_path / "class.csv"
    roster.write_text(PLAIN, encoding="utf-8")
    report = import_roster(course, roster)
    assert [(p.line, p.message.split(";")[0]) for p in report.problems] == [
        (3, "no id"), (5, "'ann' is already on line 2"),
        (8, "the id 'a/b' contains '/': not usable in a folder name (nbgrader also splits exchange file names "
            "on '+' and finds folders with a glob)")]
    assert report.added == ["ann", "bob", "cara", "zoë"]
    assert students(course) == {
        "ann": ("Ann", "Lee", "ann@example.edu", None),
        "bob": ('Robert "Bob"', "O'Brien, Jr.", "bob@example.edu", None),
        "cara": ("Cara\nMaria", "Díaz", None, None),
        "zoë": ("Zoë", "Çelik-Nguyễn", "zoe@example.edu", None)}
    again = import_roster(course, roster)  # idempotent
    assert (again.added, again.changed, again.unchanged) == ([], {}, ["ann", "bob", "cara", "zoë"])
    assert students(course)["ann"] == ("Ann", "Lee", "ann@example.edu", None)


def test_changes_are_listed_and_a_blank_cell_clears_nothing(course, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text("id,first_name,last_name,email\nann,Ann,Lee,ann@example.edu\nbob,Bob,Ray,bob@example.edu\n")
    import_roster(course, first)
    second = tmp_path / "second.csv"
    second.write_text("id,first_name,last_name,email\nann,Ann,Lee-Park,\n")
    report = import_roster(course, second)
    assert report.changed == {"ann": {"last_name": ["Lee", "Lee-Park"]}}
    assert report.not_in_file == ["bob"]
    assert students(course)["ann"] == ("Ann", "Lee-Park", "ann@example.edu", None)


def test_a_canvas_gradebook_export_as_roster(course, tmp_path):
    export = lms_class.write_canvas_export(tmp_path / "export.csv", bom=True)
    report = import_roster(course, export)
    assert report.kind == "canvas" and report.id_column == "SIS Login ID"
    assert report.added == ["ann", "bob", "dan", "zoë", "eve", "gus"]  # no Points Possible / Manual Posting row
    found = students(course)
    assert found["ann"] == ("Ann", "Lee", None, "101")
    assert found["zoë"] == ("Zoë", "Çelik-Nguyễn", None, "104")
    by_user_id = read_roster(export, match="sis_user_id")
    assert [row.student_id for row in by_user_id.rows][:2] == ["S101", "S102"]


def test_a_canvas_export_canvas_would_refuse(course, tmp_path):
    bad = tmp_path / "export.csv"
    bad.write_text("Student,ID,SIS Login ID,Notes,ps1 (1)\n\"Lee, Ann\",1,ann,,3\n")
    with pytest.raises(CourseError, match="Invalid header row"):
        import_roster(course, bad)


MOODLE = (
    "First name,Last name,Username,ID number,Email address,Roles,Groups,Last access to course,Status\n"
    "Ann,Lee,ann,2026-0001,ann@example.edu,Student,No groups,Never,Active\n"
    "Zoë,\"Çelik, Nguyễn\",zoë,2026-0004,zoe@example.edu,Student,G1,Never,Active\n"
    "No,User,,2026-0009,nouser@example.edu,Student,,Never,Active\n"
)


def test_a_moodle_participants_export(course, tmp_path):
    roster = tmp_path / "courseid_2_participants.csv"
    roster.write_text(MOODLE, encoding="utf-8")
    report = import_roster(course, roster)
    assert report.kind == "moodle" and report.added == ["ann", "zoë"]
    assert [(p.line, p.message) for p in report.problems] == [(4, "no username")]
    assert students(course)["zoë"] == ("Zoë", "Çelik, Nguyễn", "zoe@example.edu", "2026-0004")
    by_email = read_roster(roster, match="email")
    assert [row.student_id for row in by_email.rows] == ["ann@example.edu", "zoe@example.edu", "nouser@example.edu"]


def test_a_file_of_no_known_kind(course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,score\nann,3\n")
    with pytest.raises(CourseError, match="not a roster"):
        import_roster(course, roster)
