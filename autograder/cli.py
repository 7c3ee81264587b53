"""autograder: grade a class over nbgrader, fast; export, feedback, report, self-check.

Run from the course directory (the folder with ``nbgrader_config.py``) or pass
``--course PATH``. ``autograder COMMAND --help`` explains each command.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from autograder.coursedir import Course, CourseError

EXAMPLES = """\
examples:
  autograder grade 01_input_data --from ~/Downloads/01_submissions.zip
  autograder grade 01_input_data 02_normalization --workers 2
  autograder export                     # exports/<assignment>_grades.csv and _questions.csv
  autograder feedback 01_input_data     # feedback/<student>/01_input_data/*.html
  autograder report                     # reports/class_report.html
  autograder check workspace/01_input_data/01_input_data.ipynb (for learners)
"""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def _seconds(text: str) -> int:
    try:
        value = int(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("a time limit cannot be negative (0 means none)")
    return value


def add_option(parser: argparse.ArgumentParser, flag: str, extra: str = "", **kwargs) -> None:
    """A flag that is an alias of a ``c.Autograder`` trait: its help is the trait's, with the default;
    left out, the course's config (then the default) applies."""
    from autograder.options import ALIASES, Autograder

    name = flag.lstrip("-").replace("-", "_")
    trait = Autograder.class_traits()[ALIASES[name]]
    help_text = f"{trait.help.rstrip('.')}" + (f"; {extra}" if extra else "")
    help_text += f" (default {trait.default_value!r}; c.Autograder.{ALIASES[name]} in nbgrader_config.py)"
    parser.add_argument(flag, dest=name, default=None, help=help_text.replace("%", "%%"), **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograder", description=__doc__.split("\n\n")[0],
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    course_help = "the nbgrader course directory (default: the nearest one above the current folder)"
    parser.add_argument("--course", type=Path, default=None, help=course_help)
    # ``--course`` is accepted after the command too (``autograder grade X --course PATH``).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course", type=Path, default=argparse.SUPPRESS, help=course_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_parser = sub.add_parser

    def add_parser(name: str, **kwargs):
        return _add_parser(name, parents=[common], **kwargs)

    sub.add_parser = add_parser  # type: ignore[method-assign]

    p = sub.add_parser("import", help="copy a folder or zip of submissions into submitted/, reporting bad files",
                       description="Import submissions: nbgrader's submitted/<student>/<assignment>/ layout, "
                                   "<student>/<notebook>.ipynb folders, or a flat folder or zip of files named "
                                   "<student>_<notebook>.ipynb (or <student>.ipynb for one-notebook assignments).")
    p.add_argument("assignment")
    p.add_argument("source", type=Path, help="folder or .zip of submissions")
    p.add_argument("--regexp", help="nbgrader ZipCollect named_regexp (groups student_id, file_id, timestamp)")
    p.add_argument("--keep-existing", action="store_true", help="do not replace notebooks already in submitted/")

    p = sub.add_parser("grade", help="autograde submissions in parallel (resumes where it stopped)",
                       description="Autograde every submission not graded yet with nbgrader's own pipeline, "
                                   "in parallel, on warm kernels. Run it again after an interruption: "
                                   "it grades only what is missing.")
    p.add_argument("assignments", nargs="+", metavar="ASSIGNMENT")
    p.add_argument("--from", dest="source", type=Path, help="import this folder or zip first (one assignment)")
    p.add_argument("--regexp", help="file-name regexp for --from (see `import --help`)")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    add_option(p, "--workers", type=_positive, metavar="N")
    add_option(p, "--threads", type=_positive, metavar="N")
    add_option(p, "--scheduler", metavar="tcp://HOST:8786")
    add_option(p, "--notebook-timeout", type=_seconds, metavar="SECONDS",
               extra="the per-cell limit is nbgrader's Execute.timeout")
    add_option(p, "--memory-limit", metavar="SIZE")
    p.add_argument("--force", action="store_true", help="regrade submissions already graded")
    add_option(p, "--cold", action="store_true")
    add_option(p, "--unsandboxed", action="store_true",
               extra="only where the machine has no namespaces, and only for submissions you trust")
    add_option(p, "--output-limit", metavar="SIZE")
    p.add_argument("--no-progress", action="store_true", help="plain lines instead of a progress bar")
    p.add_argument("--summary-json", type=Path, default=None,
                   help="also write the run's summary (results, timings, worker memory) to this JSON file")

    p = sub.add_parser("export", help="nbgrader's grades CSV and a per-question CSV per assignment")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: all in the gradebook")
    p.add_argument("--output", type=Path, default=None, help="folder for the CSVs (default: exports/)")

    p = sub.add_parser("feedback", help="HTML feedback per student; hidden tests show their message, not their code")
    p.add_argument("assignments", nargs="+", metavar="ASSIGNMENT")
    p.add_argument("--student", action="append", help="only this student (repeatable)")

    p = sub.add_parser("report", help="an HTML class report with figures")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: all graded")
    p.add_argument("--output", type=Path, default=None, help="HTML file (default: reports/class_report.html)")

    p = sub.add_parser("check", help="for learners: run a notebook and score its visible tests (offline)",
                       description="Run NOTEBOOK in a fresh kernel and print each visible test: passed, "
                                   "failed (with its message) or not attempted, and the score out of the "
                                   "visible points. Needs no gradebook.")
    p.add_argument("notebook", type=Path)
    p.add_argument("--timeout", type=_seconds, default=None, help="seconds per cell (default: the course's, or 120)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _course(args: argparse.Namespace) -> Course:
    if getattr(args, "course", None) is not None and not Path(args.course).is_dir():
        raise CourseError(f"--course {args.course}: no such folder.")
    return Course(args.course)


def _assignments(course: Course, names: Sequence[str]) -> list[str]:
    for name in names:
        course.source_notebooks(name)  # explains an unknown assignment
    return list(names)


def cmd_import(args: argparse.Namespace) -> int:
    from autograder import progress
    from autograder.submissions import import_submissions

    course = _course(args)
    (assignment,) = _assignments(course, [args.assignment])
    report = import_submissions(course, assignment, args.source, args.regexp, overwrite=not args.keep_existing)
    progress.print_import(report)
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    """Grade; the first local worker starts at once, while this process loads nbgrader."""
    from autograder.options import ALIASES

    given = {trait: getattr(args, flag) for flag, trait in ALIASES.items()}
    started = None
    if args.source is None and (args.course is None or Path(args.course).is_dir()):
        from autograder.coursedir import find_course_root
        from autograder.grading import start_early

        try:
            root = Path(args.course).resolve() if args.course is not None else find_course_root()
            started = start_early(root, list(args.assignments), **given)
        except CourseError:
            started = None
    try:
        return _grade(args, given, started)
    finally:
        if started is not None:
            started.close(interrupted=True)  # only if grade() did not take them (then they are closed)


def _grade(args: argparse.Namespace, given: dict, started) -> int:
    from autograder import progress
    from autograder.grading import grade
    from autograder.options import Autograder
    from autograder.submissions import import_submissions

    course = _course(args)
    assignments = _assignments(course, args.assignments)
    rejected = None
    if args.source is not None:
        if len(assignments) != 1:
            raise CourseError("--from imports one assignment at a time: name exactly one assignment.")
        rejected = import_submissions(course, assignments[0], args.source, args.regexp)
        progress.print_import(rejected)
    if not any(course.submitted_students(a) for a in assignments):
        raise CourseError(f"No submissions for {', '.join(assignments)} in {course.folder('submitted')}: "
                          "use --from FOLDER_OR_ZIP, or `autograder import`.")
    options = Autograder.resolve(course.config, **given)
    display = progress.GradingDisplay(plain=args.no_progress)
    with display:
        summary = grade(course, assignments, students=args.student, force=args.force, options=options,
                        on_result=display.result, on_start=display.start, on_plan=display.plan,
                        started=started)
    progress.print_summary(summary, rejected)
    if args.summary_json:
        args.summary_json.write_text(json.dumps(summary.to_dict(), indent=1))
    if summary.interrupted:
        return 130
    return 0 if summary.ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    from autograder.exports import export

    course = _course(args)
    if args.assignments:
        _assignments(course, args.assignments)
    for path in export(course, args.assignments or None, args.output):
        print(path)
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from autograder.feedback import generate_feedback

    course = _course(args)
    assignments = _assignments(course, args.assignments)
    failed = 0
    for assignment in assignments:
        for student, ok, message in generate_feedback(course, assignment, args.student):
            print(f"{'ok  ' if ok else 'FAIL'} {assignment} {student} {message}")
            failed += not ok
    return 1 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from autograder.report import write_report

    course = _course(args)
    if args.assignments:
        _assignments(course, args.assignments)
    print(write_report(course, args.assignments or None, args.output))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from autograder.selfcheck import print_result, self_check

    result = self_check(args.notebook, timeout=args.timeout)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print_result(result)
    return 0 if result.all_passed else 1


COMMANDS = {"import": cmd_import, "grade": cmd_grade, "export": cmd_export,
            "feedback": cmd_feedback, "report": cmd_report, "check": cmd_check}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except CourseError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograder: interrupted; nothing finished was lost: run the same command again to continue.",
              file=sys.stderr)
        return 130


def run() -> None:
    """The ``autograder`` command: :func:`main`, then exit without the interpreter's teardown
    (everything is written and flushed by then; the teardown of nbgrader, SQLAlchemy and
    jupyter_client would add about half a second to every command)."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
