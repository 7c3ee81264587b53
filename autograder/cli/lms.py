"""The LMS side of the command line: ``export --canvas/--moodle`` and ``roster import``.

``ExportApp`` (:mod:`.apps`) keeps its flags (``--canvas FILE``, ``--moodle``, ``--match``,
``--missing``, ``--feedback``, ``--summary-json``) and hands them to :func:`export_lms`;
:class:`RosterApp` is the ``roster`` command. Both load nbgrader only when they run.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from traitlets import Unicode

from autograder.cli.apps import Command, UsageError

MATCH_HELP = ("Which column names the student: Canvas sis_login_id (default), sis_user_id, id, email; "
              "Moodle username (default), idnumber, email.")


def export_lms(app: Any, course: Any) -> int:
    """Write the LMS files ``export`` was asked for; print what matched and what did not."""
    from autograder.outputs import lms_canvas, lms_moodle

    lessons = list(app.extra_args) or None
    output = Path(app.output) if app.output else None
    summaries: dict[str, Any] = {}
    if app.canvas:
        match = app.match or "sis_login_id"
        if match not in lms_canvas.MATCHES:
            raise UsageError(f"--match {match}: with --canvas, one of {', '.join(lms_canvas.MATCHES)}")
        summary = lms_canvas.write_canvas_import(course, Path(app.canvas), output, lessons, match, app.missing)
        lms_canvas.print_summary(summary)
        summaries["canvas"] = summary.to_dict()
    if app.moodle:
        match = app.match if app.match in lms_moodle.IDENTIFIERS else "username"
        if app.match and not app.canvas and app.match not in lms_moodle.IDENTIFIERS:
            raise UsageError(f"--match {app.match}: with --moodle, one of {', '.join(lms_moodle.IDENTIFIERS)}")
        summary = lms_moodle.write_moodle_import(course, output, lessons, match, app.missing, app.feedback)
        lms_moodle.print_summary(summary)
        summaries["moodle"] = summary.to_dict()
    if app.summary_json:
        Path(app.summary_json).write_text(json.dumps(summaries, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


class RosterApp(Command):
    name = "autograder roster"
    description = ("roster import FILE: add or update the students of FILE in the nbgrader gradebook. FILE is a "
                   "Canvas gradebook export, a Moodle participants export, or a CSV with the columns "
                   "id,first_name,last_name,email. A bad row (no id, a duplicate id, an id that cannot be a "
                   "folder name) is reported with its line number; the other rows are imported. Running it "
                   "again changes nothing.")
    arguments = "import FILE"
    count = (2, 2)
    match = Unicode(None, allow_none=True, help="The student id column: Canvas sis_login_id (default), "
                    "sis_user_id, id; Moodle username (default), idnumber, email.").tag(config=True)
    summary_json = Unicode(None, allow_none=True, help="Also write what was added, changed and refused "
                           "to this JSON file.").tag(config=True)
    aliases = {**Command.aliases, "match": "RosterApp.match", "summary-json": "RosterApp.summary_json"}

    def initialize(self, argv: Any = None) -> None:
        super().initialize(argv)
        if self.extra_args[0] != "import":
            raise UsageError(f"unknown roster command {self.extra_args[0]!r}; usage: {self.name} import FILE")

    def start(self) -> int:
        from autograder.plan.roster import import_roster

        course = self.load_course()
        report = import_roster(course, Path(self.extra_args[1]), self.match)
        print(f"{self.extra_args[1]}: a {report.kind} roster, student ids from its {report.id_column!r} column")
        print(f"  added {len(report.added)}, changed {len(report.changed)}, unchanged {len(report.unchanged)}, "
              f"refused {len(report.problems)}")
        for student in report.added:
            print(f"  added {student}")
        for student, changes in report.changed.items():
            said = "; ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in changes.items())
            print(f"  changed {student}: {said}")
        for problem in report.problems:
            print(f"  refused {problem}")
        if report.not_in_file:
            print(f"  in the gradebook, not in the file (left as they are): {', '.join(report.not_in_file)}")
        if self.summary_json:
            Path(self.summary_json).write_text(json.dumps(report.to_dict(), indent=1, ensure_ascii=False),
                                               encoding="utf-8")
        return 1 if report.problems else 0
