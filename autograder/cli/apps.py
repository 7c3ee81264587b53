"""The ``autograder`` command as nbgrader-style traitlets applications.

:class:`AutograderApp` hands each command (``import``, ``grade``, ``export``,
``feedback``, ``report``, ``check``) to its own ``Application``. A command's flags are
traitlets ``aliases`` and ``flags``: ``grade``'s options stand for the traits of
:class:`autograder.core.options.Autograder`, which the course's ``nbgrader_config.py`` may
also set (a value on the command line wins); the other flags are traits of the command
itself, for this run only. ``--Autograder.workers=3`` sets any option by its trait.
Positional arguments (assignments, a folder, a notebook) are the app's ``extra_args``.

A mistake on the command line is explained in one line, with exit code 2, before
anything runs (:class:`UsageError`). This module imports traitlets only: nbgrader
loads when a command runs, so ``autograder --help`` answers at once.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from textwrap import fill
from typing import Any, Sequence

from traitlets import Bool, Enum, List, TraitError, Unicode
from traitlets.config import Application, ArgumentError
from traitlets.config.loader import DeferredConfigList, DeferredConfigString, KVArgParseConfigLoader
from traitlets.utils.importstring import import_item

from autograder.core.coursedir import Course, CourseError
from autograder.core.options import ALIASES, FLAGS, Autograder, Seconds

#: When the command started (its wall time counts from here, not from the first worker).
STARTED = time.monotonic()

EXAMPLES = """\
autograder grade 01_input_data --from ~/Downloads/01_submissions.zip
autograder grade 01_input_data 02_normalization --workers 2
autograder grade 01_input_data --Autograder.notebook_timeout=300
autograder export                     # exports/<assignment>_grades.csv and _questions.csv
autograder export --canvas canvas_export.csv   # + exports/canvas_import.csv for Canvas
autograder roster import class.csv    # students from a Canvas, Moodle or plain CSV list
autograder feedback 01_input_data     # feedback/<student>/01_input_data/*.html
autograder report                     # reports/class_report.html
autograder check workspace/01_input_data/01_input_data.ipynb (for learners)
"""


class UsageError(Exception):
    """A command line that cannot run: explained in one line, exit code 2."""


class CommandLineLoader(KVArgParseConfigLoader):
    """traitlets' command-line loader, stricter: an unknown option, a missing value or a
    value its trait refuses raises :class:`UsageError` naming the option as typed (traitlets
    would print argparse's usage and exit, or only warn about an unknown option)."""

    def _create_parser(self) -> None:
        super()._create_parser()
        self.parser.error = self._error  # type: ignore[method-assign] - argparse's error() exits

    def _typed(self, text: str) -> str:
        """``--Autograder.workers`` -> ``--workers``, as the user most likely typed it."""
        for alias, target in self.aliases.items():
            text = text.replace(f"--{target}", f"--{alias}").replace(target, f"--{alias}")
        return text

    def _error(self, message: str) -> None:
        raise UsageError(self._typed(message))

    def _known(self, name: str) -> bool:
        if name in self.aliases or name in self.flags:
            return True
        owner, _, trait = name.rpartition(".")
        return any(cls.__name__ == owner and trait in cls.class_traits(config=True) for cls in self.classes)

    def _parse_args(self, args: Any) -> Any:
        value_next = False
        for arg in args:
            if value_next:
                value_next = False
                continue
            if arg == "--":
                break
            if not arg.startswith("-") or arg == "-" or arg[1:2].isdigit():
                continue
            name = arg.lstrip("-").split("=", 1)[0]
            if not self._known(name):
                raise UsageError(f"unrecognized option {arg.split('=', 1)[0]}")
            value_next = name not in self.flags and "=" not in arg
        return super()._parse_args(args)

    def _exec_config_str(self, lhs: Any, rhs: Any, trait: Any = None) -> None:
        try:
            # traitlets keeps a value its trait cannot read as text, to fail later: check it now
            if trait is not None and isinstance(rhs, DeferredConfigList) and hasattr(trait, "from_string_list"):
                trait.from_string_list(list(rhs))
            elif trait is not None and isinstance(rhs, (DeferredConfigString, DeferredConfigList)):
                for text in [rhs] if isinstance(rhs, DeferredConfigString) else rhs:
                    trait.from_string(str(text))
            super()._exec_config_str(lhs, rhs, trait)
        except Exception as exc:  # noqa: BLE001 - a trait's from_string refused the value
            raise UsageError(f"{self._typed('--' + lhs)}: {exc}") from None

    def _convert_to_config(self) -> None:
        try:
            super()._convert_to_config()
        except ArgumentError as exc:  # traitlets wraps what _exec_config_str raised
            if isinstance(exc.__cause__, UsageError):
                raise exc.__cause__ from None
            raise UsageError(str(exc)) from None


class StrictApplication(Application):
    """traitlets' Application, its command-line errors raised (``main`` explains them, exit
    code 2) rather than logged and turned into exit code 1."""

    option_description = ("An option takes its value after a space or an '=' (--name VALUE, --name=VALUE), "
                          "and is also written --Class.trait=VALUE (its 'Equivalent to' line); "
                          "--help-all lists every Class.trait.")

    def _configure_logging(self) -> None:
        """No ``logging.config.dictConfig``, which traitlets' Application runs: it closes every
        handler other libraries installed in this process (TensorFlow's absl handler then closes
        the stream it writes to, e.g. a test runner's captured stderr). The apps' own warnings
        reach stderr through logging's last-resort handler."""
        self._logging_configured = True

    def _create_loader(self, argv, aliases, flags, classes):  # type: ignore[no-untyped-def]
        return CommandLineLoader(argv, aliases, flags, classes=classes, log=self.log, subcommands=self.subcommands)

    def parse_command_line(self, argv: Sequence[str] | None = None) -> None:
        parse = Application.parse_command_line
        getattr(parse, "__wrapped__", parse)(self, argv)  # without its catch_config_error


COURSE_HELP = "The nbgrader course directory (default: the nearest one above the current folder)."


class Command(StrictApplication):
    """One ``autograder`` command; :meth:`start` returns its exit code."""

    course = Unicode("", help=COURSE_HELP).tag(config=True)
    #: The positional arguments, for the usage line.
    arguments = ""
    #: How many positional arguments: (fewest, most or None for any).
    count: tuple[int, int | None] = (0, 0)
    aliases = {"course": "Command.course"}
    flags: dict = {}

    def emit_description(self):  # type: ignore[no-untyped-def]
        yield f"usage: {self.name} {self.arguments} [options]".replace("  ", " ")
        yield ""
        yield from super().emit_description()

    def initialize(self, argv: Sequence[str] | None = None) -> None:
        self.parse_command_line(list(argv or []))
        fewest, most = self.count
        given = len(self.extra_args)
        usage = f"usage: {self.name} {self.arguments} [options]"
        if given < fewest:
            raise UsageError(f"missing {'arguments' if fewest - given > 1 else 'an argument'}; {usage}")
        if most is not None and given > most:
            raise UsageError(f"unexpected argument {self.extra_args[most]!r}; {usage}")

    # -- what every command needs --------------------------------------------------
    def load_course(self) -> Course:
        if self.course and not Path(self.course).is_dir():
            raise CourseError(f"--course {self.course}: no such folder.")
        return Course(self.course or None)

    @staticmethod
    def known(course: Course, names: Sequence[str]) -> list[str]:
        for name in names:
            course.source_notebooks(name)  # explains an unknown assignment
        return list(names)

    def start(self) -> int:  # type: ignore[override]
        raise NotImplementedError


class ImportApp(Command):
    name = "autograder import"
    description = ("Import submissions: nbgrader's submitted/<student>/<assignment>/ layout, "
                   "<student>/<notebook>.ipynb folders, or a flat folder or zip of files named "
                   "<student>_<notebook>.ipynb (or <student>.ipynb for one-notebook assignments). "
                   "SOURCE is the folder or .zip of submissions; bad files are reported and skipped.")
    arguments = "ASSIGNMENT SOURCE"
    count = (2, 2)
    regexp = Unicode(None, allow_none=True, help="nbgrader ZipCollect named_regexp "
                     "(groups student_id, file_id, timestamp).").tag(config=True)
    keep_existing = Bool(False, help="Do not replace notebooks already in submitted/.").tag(config=True)
    aliases = {**Command.aliases, "regexp": "ImportApp.regexp"}
    flags = {"keep-existing": ({"ImportApp": {"keep_existing": True}}, keep_existing.help)}

    def start(self) -> int:
        from autograder.outputs import progress
        from autograder.plan.intake import import_submissions

        course = self.load_course()
        assignment, source = self.extra_args
        (assignment,) = self.known(course, [assignment])
        report = import_submissions(course, assignment, Path(source), self.regexp, overwrite=not self.keep_existing)
        progress.print_import(report)
        return 0


def _option(flag: str, extra: str = "") -> tuple[str, str]:
    """``--flag`` as an alias of ``Autograder.<trait>``, its help the trait's (plus ``extra``)."""
    trait = Autograder.class_traits()[ALIASES[flag]]
    return f"Autograder.{trait.name}", trait.help.rstrip(".") + (f"; {extra}." if extra else ".")


def _switch(flag: str, extra: str = "") -> tuple[dict, str]:
    """``--flag`` setting the Bool ``Autograder.<trait>`` to True, its help the trait's."""
    trait = Autograder.class_traits()[FLAGS[flag]]
    return {"Autograder": {trait.name: True}}, fill(trait.help.rstrip(".") + (f"; {extra}." if extra else "."), 76)


class GradeApp(Command):
    name = "autograder grade"
    description = ("Autograde every submission not graded yet with nbgrader's own pipeline, "
                   "in parallel, on warm kernels. Run it again after an interruption: "
                   "it grades only what is missing. Every option marked Autograder.<name> can also be "
                   "set in the course's nbgrader_config.py (c.Autograder.workers = 4); the flag wins.")
    arguments = "ASSIGNMENT..."
    count = (1, None)
    classes = [Autograder]
    source = Unicode(None, allow_none=True, help="Import this folder or zip first (one assignment).").tag(config=True)
    regexp = Unicode(None, allow_none=True, help="File-name regexp for --from "
                     "(see `autograder import --help`).").tag(config=True)
    student = List(Unicode(), help="Grade only this student (repeatable).").tag(config=True, multiplicity="append")
    force = Bool(False, help="Regrade submissions already graded.").tag(config=True)
    progress = Bool(True, help="A progress bar (False: plain lines).").tag(config=True)
    summary_json = Unicode(None, allow_none=True, help="Also write the run's summary (results, timings, "
                           "worker memory) to this JSON file.").tag(config=True)
    aliases = {**Command.aliases, "from": "GradeApp.source", "regexp": "GradeApp.regexp",
               "student": "GradeApp.student", "summary-json": "GradeApp.summary_json",
               "workers": _option("workers"), "threads": _option("threads"), "scheduler": _option("scheduler"),
               "notebook-timeout": _option("notebook-timeout"),
               "memory-limit": _option("memory-limit"), "output-limit": _option("output-limit")}
    flags = {"force": ({"GradeApp": {"force": True}}, force.help),
             "no-progress": ({"GradeApp": {"progress": False}}, "Plain lines instead of a progress bar."),
             "cold": _switch("cold"),
             "unsandboxed": _switch("unsandboxed", "only where the machine cannot sandbox")}

    def initialize(self, argv: Sequence[str] | None = None) -> None:
        super().initialize(argv)
        try:
            Autograder(config=self.config)  # a value out of range (--Autograder.retries=-1) is refused now
        except TraitError as exc:
            raise UsageError(str(exc)) from None

    def given(self) -> dict[str, Any]:
        """The ``Autograder`` options set on the command line (flags, ``--Autograder.x=...``)."""
        return dict(self.config.Autograder)

    def start(self) -> int:
        """Grade; the first local worker starts at once, while this process loads nbgrader."""
        given = self.given()
        started = None
        # Said at once, also into a pipe: loading nbgrader and planning take seconds.
        print(f"autograder grade {' '.join(self.extra_args)}: planning the run ...", flush=True)
        if self.source is None and (not self.course or Path(self.course).is_dir()):
            from autograder.core.coursedir import find_course_root
            from autograder.grading import start_early

            try:
                root = Path(self.course).resolve() if self.course else find_course_root()
                started = start_early(root, list(self.extra_args), **given)
            except CourseError:
                started = None
        try:
            return self._grade(given, started)
        finally:
            if started is not None:
                started.close(interrupted=True)  # only if grade() did not take them (then they are closed)

    def _grade(self, given: dict, started: Any) -> int:
        from autograder.grading import grade
        from autograder.outputs import progress
        from autograder.plan.intake import import_submissions

        course = self.load_course()
        assignments = self.known(course, self.extra_args)
        rejected = None
        if self.source is not None:
            if len(assignments) != 1:
                raise CourseError("--from imports one assignment at a time: name exactly one assignment.")
            rejected = import_submissions(course, assignments[0], Path(self.source), self.regexp)
            progress.print_import(rejected)
        if not any(course.submitted_students(a) for a in assignments):
            raise CourseError(f"No submissions for {', '.join(assignments)} in {course.folder('submitted')}: "
                              "use --from FOLDER_OR_ZIP, or `autograder import`.")
        options = Autograder.resolve(course.config, **given)
        display = progress.GradingDisplay(plain=not self.progress, started=STARTED)
        with display:
            summary = grade(course, assignments, students=list(self.student) or None, force=self.force,
                            options=options, on_result=display.result, on_start=display.start,
                            on_plan=display.plan, started=started)
        summary.wall_seconds = time.monotonic() - STARTED
        progress.print_summary(summary, rejected)
        if self.summary_json:
            Path(self.summary_json).write_text(json.dumps(summary.to_dict(), indent=1))
        if summary.interrupted:
            return 130
        return 0 if summary.ok else 1


class ExportApp(Command):
    name = "autograder export"
    description = ("nbgrader's grades CSV and a per-question CSV per assignment "
                   "(ASSIGNMENT...: default all in the gradebook).")
    arguments = "[ASSIGNMENT...]"
    count = (0, None)
    output = Unicode(None, allow_none=True, help="Folder for the CSVs (default: exports/).").tag(config=True)
    canvas = Unicode(None, allow_none=True, help="Also write canvas_import.csv for Canvas's Gradebook > Import, "
                     "from this Canvas gradebook export (its roster, sections and assignment ids).").tag(config=True)
    moodle = Bool(False, help="Also write moodle_import.csv for Moodle's Grades > Import > CSV file.").tag(config=True)
    match = Unicode(None, allow_none=True, help="How an LMS row is matched to a student: Canvas sis_login_id "
                    "(default), sis_user_id, id, email; Moodle username (default), idnumber, email.").tag(config=True)
    missing = Enum(["zero", "blank"], "zero", help="Work never submitted: 0, or left blank.").tag(config=True)
    feedback = Bool(False, help="Moodle: a 'Feedback for <lesson>' column after each lesson.").tag(config=True)
    summary_json = Unicode(None, allow_none=True, help="Also write what the LMS files hold and what did not "
                           "match to this JSON file.").tag(config=True)
    aliases = {**Command.aliases, "output": "ExportApp.output", "canvas": "ExportApp.canvas",
               "match": "ExportApp.match", "missing": "ExportApp.missing", "summary-json": "ExportApp.summary_json"}
    flags = {"moodle": ({"ExportApp": {"moodle": True}}, moodle.help),
             "feedback": ({"ExportApp": {"feedback": True}}, feedback.help)}

    def start(self) -> int:
        from autograder.outputs.exports import export
        from autograder.outputs.readiness import require_grades

        course = self.load_course()
        require_grades(course, self.known(course, self.extra_args) if self.extra_args else [])
        for path in export(course, list(self.extra_args) or None, Path(self.output) if self.output else None):
            print(path)
        if self.canvas or self.moodle:
            from autograder.cli.lms import export_lms

            return export_lms(self, course)
        return 0


class FeedbackApp(Command):
    name = "autograder feedback"
    description = "HTML feedback per student; hidden tests show their message, not their code."
    arguments = "ASSIGNMENT..."
    count = (1, None)
    student = List(Unicode(), help="Only this student (repeatable).").tag(config=True, multiplicity="append")
    aliases = {**Command.aliases, "student": "FeedbackApp.student"}

    def start(self) -> int:
        from autograder.outputs.feedback import generate_feedback
        from autograder.outputs.readiness import require_autograded

        course = self.load_course()
        failed = 0
        assignments = self.known(course, self.extra_args)
        for assignment in assignments:
            require_autograded(course, assignment, list(self.student) or None)
        for assignment in assignments:
            for student, ok, message in generate_feedback(course, assignment, list(self.student) or None):
                print(f"{'ok  ' if ok else 'FAIL'} {assignment} {student} {message}")
                failed += not ok
        return 1 if failed else 0


class ReportApp(Command):
    name = "autograder report"
    description = "An HTML class report with figures (ASSIGNMENT...: default all graded)."
    arguments = "[ASSIGNMENT...]"
    count = (0, None)
    output = Unicode(None, allow_none=True, help="HTML file (default: reports/class_report.html).").tag(config=True)
    aliases = {**Command.aliases, "output": "ReportApp.output"}

    def start(self) -> int:
        from autograder.outputs.readiness import require_grades
        from autograder.outputs.report import write_report

        course = self.load_course()
        require_grades(course, self.known(course, self.extra_args) if self.extra_args else [])
        print(write_report(course, list(self.extra_args) or None, Path(self.output) if self.output else None))
        return 0


class CheckApp(Command):
    name = "autograder check"
    description = ("For learners: run NOTEBOOK in a fresh kernel and print each visible test: passed, "
                   "failed (with its message) or not attempted, and the score out of the "
                   "visible points. Needs no gradebook and no network.")
    arguments = "NOTEBOOK"
    count = (1, 1)
    timeout = Seconds(None, allow_none=True, help="Seconds per cell (default: the course's, or 120).").tag(config=True)
    json = Bool(False, help="Print the result as JSON.").tag(config=True)
    aliases = {**Command.aliases, "timeout": "CheckApp.timeout"}
    flags = {"json": ({"CheckApp": {"json": True}}, json.help)}

    def start(self) -> int:
        from autograder.outputs.selfcheck import print_result, self_check

        result = self_check(Path(self.extra_args[0]), timeout=self.timeout)
        if self.json:
            print(json.dumps(result.as_dict(), indent=2))
        else:
            print_result(result)
        return 0 if result.all_passed else 1


class AutograderApp(StrictApplication):
    """``autograder [--course PATH] COMMAND ...``: options before the command apply to it."""

    name = "autograder"
    description = ("autograder: grade a class over nbgrader, fast; export, feedback, report, self-check. "
                   "Run from the course directory (the folder with nbgrader_config.py) or pass --course PATH. "
                   "`autograder COMMAND --help` explains each command.")
    examples = EXAMPLES
    classes = [Command, Autograder]
    aliases = {"course": ("Command.course", COURSE_HELP)}
    flags: dict = {}
    subcommands = {
        "import": (ImportApp, "Copy a folder or zip of submissions into submitted/, reporting bad files."),
        "grade": (GradeApp, "Autograde submissions in parallel (resumes where it stopped)."),
        "export": (ExportApp, "nbgrader's grades CSV and a per-question CSV per assignment."),
        "feedback": (FeedbackApp, "HTML feedback per student; hidden tests show their message, not their code."),
        "report": (ReportApp, "An HTML class report with figures."),
        "check": (CheckApp, "For learners: run a notebook and score its visible tests (offline)."),
        "roster": ("autograder.cli.lms.RosterApp", "roster import FILE: add or update students from a Canvas, "
                   "Moodle or plain CSV class list."),
    }

    def _command_at(self, argv: list[str]) -> int | None:
        """Where the command is: the first command name that is not the value of an option."""
        for at, word in enumerate(argv):
            if word == "--":
                return None
            before = argv[at - 1] if at else ""
            if word in self.subcommands and not (before.startswith("-") and "=" not in before):
                return at
        return None

    def initialize(self, argv: Sequence[str] | None = None) -> None:
        argv = list(sys.argv[1:] if argv is None else argv)
        if argv[:1] == ["help"]:
            argv = [*argv[1:], "-h"]
        at = self._command_at(argv)
        self.parse_command_line(argv if at is None else argv[:at])  # --help, --course PATH, --Autograder.x=...
        if at is not None:
            self.initialize_subcommand(argv[at], argv[at + 1:])
        elif self.extra_args:
            raise UsageError(f"unknown command {self.extra_args[0]!r} (commands: {', '.join(self.subcommands)})")

    def initialize_subcommand(self, subc: str, argv: Sequence[str] | None = None) -> None:
        """A fresh command app (not traitlets' singleton: ``main`` may run several times in one process)."""
        app = self.subcommands[subc][0]
        self.subapp = (import_item(app) if isinstance(app, str) else app)(parent=self)
        self.subapp.initialize(argv)

    def start(self) -> int:  # type: ignore[override]
        if self.subapp is None:
            self.print_help()
            return 2
        return self.subapp.start()
