"""autograder's command line as nbgrader-style traitlets apps (autograder.cli.apps, autograder.cli.main).

Every spelling the argparse command line accepted still means the same options;
``--Autograder.<trait>=VALUE`` sets any grading option; a flag beats the course's
``nbgrader_config.py``, which beats the default; a bad command line is one line on
stderr and exit code 2; each command's ``--help`` lists its flags.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from traitlets.config import PyFileConfigLoader

from autograder.cli.apps import AutograderApp
from autograder.cli.main import main
from autograder.core.options import DEFAULT_NOTEBOOK_TIMEOUT, Autograder


def parse(*argv: str):
    """The command app ``autograder ARGV`` would start (parsed, not started)."""
    app = AutograderApp()
    app.initialize(list(argv))
    return app.subapp


def read(command, *names: str) -> dict:
    return {name: getattr(command, name) for name in names}


GRADE = ("course", "source", "regexp", "student", "force", "progress", "summary_json")


@pytest.mark.parametrize("argv, name, positional, given, own", [
    (["grade", "A", "B", "--workers", "2", "--no-progress", "--from", "X", "--student", "s1", "--student", "s2"],
     "grade", ["A", "B"], {"workers": 2},
     {"course": "", "source": "X", "regexp": None, "student": ["s1", "s2"], "force": False, "progress": False,
      "summary_json": None}),
    (["grade", "A", "--workers=2"], "grade", ["A"], {"workers": 2},
     {"course": "", "source": None, "regexp": None, "student": [], "force": False, "progress": True,
      "summary_json": None}),
    (["grade", "A", "--from", "class.zip", "--regexp", r"(?P<student_id>\w+)_x", "--force",
      "--summary-json", "s.json"], "grade", ["A"], {},
     {"course": "", "source": "class.zip", "regexp": r"(?P<student_id>\w+)_x", "student": [], "force": True,
      "progress": True, "summary_json": "s.json"}),
    (["grade", "A", "--threads", "2", "--scheduler", "tcp://host:8786", "--notebook-timeout", "90",
      "--memory-limit", "4G", "--output-limit", "0", "--cold", "--unsandboxed"], "grade", ["A"],
     {"threads": 2, "scheduler": "tcp://host:8786", "notebook_timeout": 90, "memory_limit": "4G",
      "output_limit": "0", "cold": True, "unsandboxed": True}, {"force": False, "progress": True}),
    (["grade", "A", "--notebook-timeout", "1.5"], "grade", ["A"], {"notebook_timeout": 1}, {}),  # int(float())
    (["grade", "A", "--notebook-timeout=0"], "grade", ["A"], {"notebook_timeout": 0}, {}),  # 0: no limit
    (["--course", "/some/course", "grade", "A"], "grade", ["A"], {}, {"course": "/some/course"}),
    (["grade", "A", "--course", "/some/course"], "grade", ["A"], {}, {"course": "/some/course"}),
    (["--course=/some/course", "report"], "report", [], {}, {"course": "/some/course", "output": None}),
    (["--course", "/c", "report", "A", "--course", "/d"], "report", ["A"], {}, {"course": "/d"}),  # the last wins
    (["report", "A", "B", "--output", "r.html"], "report", ["A", "B"], {}, {"output": "r.html"}),
    (["export"], "export", [], {}, {"output": None}),
    (["export", "A", "--output", "csv"], "export", ["A"], {}, {"output": "csv"}),
    (["feedback", "A", "--student", "s1", "--student", "s2"], "feedback", ["A"], {}, {"student": ["s1", "s2"]}),
    (["feedback", "A", "B"], "feedback", ["A", "B"], {}, {"student": []}),
    (["import", "A", "class.zip", "--regexp", ".*", "--keep-existing"], "import", ["A", "class.zip"], {},
     {"regexp": ".*", "keep_existing": True}),
    (["import", "A", "folder"], "import", ["A", "folder"], {}, {"regexp": None, "keep_existing": False}),
    (["check", "nb.ipynb", "--json"], "check", ["nb.ipynb"], {}, {"json": True, "timeout": None}),
    (["check", "nb.ipynb", "--timeout", "30"], "check", ["nb.ipynb"], {}, {"json": False, "timeout": 30}),
    (["help", "grade"], None, None, None, None),  # `autograder help grade` is `autograder grade --help`
])
def test_every_old_spelling_parses_to_the_same_options(argv, name, positional, given, own, capsys):
    if name is None:
        assert main(argv) == 0 and "--workers" in capsys.readouterr().out
        return
    command = parse(*argv)
    assert command.name == f"autograder {name}" and command.extra_args == positional
    assert (command.given() if name == "grade" else dict(command.config.Autograder)) == given
    assert read(command, *own) == own


@pytest.mark.parametrize("argv", [
    ["grade", "A", "--workers", "3"], ["grade", "A", "--workers=3"], ["grade", "A", "--Autograder.workers=3"],
    ["grade", "A", "--Autograder.workers", "3"], ["--Autograder.workers=3", "grade", "A"],
])
def test_generic_trait_overrides_are_the_same_option(argv):
    assert parse(*argv).given() == {"workers": 3}


def test_any_grading_option_by_its_trait():
    command = parse("grade", "A", "--Autograder.retries=0", "--Autograder.cold=True", "--GradeApp.force=True")
    assert command.given() == {"retries": 0, "cold": True} and command.force is True


def _course_config(tmp_path: Path, text: str):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n" + text)
    return PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()


@pytest.mark.parametrize("argv, workers, threads, timeout", [
    ([], 2, 4, DEFAULT_NOTEBOOK_TIMEOUT),  # the config file, then the default
    (["--workers", "1"], 1, 4, DEFAULT_NOTEBOOK_TIMEOUT),  # a flag beats the config
    (["--Autograder.workers=3", "--notebook-timeout", "5"], 3, 4, 5),
    (["--threads=1", "--Autograder.notebook_timeout=0"], 2, 1, 0),
])
def test_flag_beats_the_config_file_which_beats_the_default(tmp_path, argv, workers, threads, timeout):
    """What `autograder grade` hands to grade(): Autograder.resolve(course config, **the command line)."""
    config = _course_config(tmp_path, "c.Autograder.workers = 2\nc.Autograder.threads = 4\n")
    options = Autograder.resolve(config, **parse("grade", "A", *argv).given())
    assert (options.workers, options.threads, options.notebook_timeout) == (workers, threads, timeout)


@pytest.mark.parametrize("argv, message", [
    (["grade", "A", "--workers", "0"], "autograder grade: --workers: expected 1 or more, got 0"),
    (["grade", "A", "--workers", "x"], "autograder grade: --workers: expected a whole number, got 'x'"),
    (["grade", "A", "--Autograder.workers=0"], "autograder grade: --workers: expected 1 or more, got 0"),
    (["--Autograder.workers=x", "grade", "A"], "autograder: --Autograder.workers: expected a whole number"),
    (["grade", "A", "--threads=0"], "autograder grade: --threads: expected 1 or more, got 0"),
    (["grade", "A", "--notebook-timeout", "-1"], "autograder grade: --notebook-timeout: a time limit cannot be "
                                                 "negative"),
    (["grade", "A", "--memory-limit", "lots"], "autograder grade: --memory-limit: Not a memory size: 'lots'"),
    (["grade", "A", "--Autograder.retries=-1"], "autograder grade: The value of the 'retries' trait"),
    (["grade", "A", "--workers"], "autograder grade: argument --workers: expected one argument"),
    (["grade", "A", "--bogus"], "autograder grade: unrecognized option --bogus"),
    (["grade", "A", "--bogus=1"], "autograder grade: unrecognized option --bogus"),
    (["grade", "A", "--work", "2"], "autograder grade: unrecognized option --work"),
    (["grade", "A", "--Autograder.bogus=1"], "autograder grade: unrecognized option --Autograder.bogus"),
    (["grade", "A", "--timeout", "3"], "autograder grade: unrecognized option --timeout"),  # check's, not grade's
    (["grade"], "autograder grade: missing an argument; usage: autograder grade ASSIGNMENT... [options]"),
    (["grade", "--workers", "2"], "autograder grade: missing an argument"),
    (["import", "A"], "autograder import: missing an argument; usage: autograder import ASSIGNMENT SOURCE"),
    (["check"], "autograder check: missing an argument"),
    (["check", "a.ipynb", "b.ipynb"], "autograder check: unexpected argument 'b.ipynb'"),
    (["check", "a.ipynb", "--timeout", "soon"], "autograder check: --timeout: expected seconds, got 'soon'"),
    (["feedback"], "autograder feedback: missing an argument"),
    (["gradee", "A"], "autograder: unknown command 'gradee'"),
    (["--course"], "autograder: argument --course: expected one argument"),
])
def test_a_bad_command_line_is_one_line_and_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    out = capsys.readouterr()
    assert out.err.startswith(message), out.err
    assert len(out.err.strip().splitlines()) == 1 and "Traceback" not in out.err and "--help" in out.err


def test_a_bad_value_in_the_config_file_is_explained(tmp_path):
    """c.Autograder.workers = -1 in nbgrader_config.py: one message, exit code 2, no traceback."""
    from tests.fixtures.autograder import fixture_course

    course = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    with open(course / "nbgrader_config.py", "a") as handle:
        handle.write("\nc.Autograder.workers = -1\n")
    fixture_course.write_submission(course, "ps1", "correct", course / "submitted" / "ann" / "ps1" / "ps1.ipynb")
    out = fixture_course.autograder("grade", "ps1", "--no-progress", cwd=course)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert "nbgrader_config.py" in out.stderr and "'workers'" in out.stderr, out.stderr


#: Every flag each command had before it became a traitlets app.
FLAGS = {
    "import": ["--regexp", "--keep-existing", "--course"],
    "grade": ["--from", "--regexp", "--student", "--workers", "--threads", "--scheduler", "--notebook-timeout",
              "--memory-limit", "--force", "--cold", "--unsandboxed", "--output-limit", "--no-progress",
              "--summary-json", "--course"],
    "export": ["--output", "--canvas", "--moodle", "--match", "--missing", "--feedback", "--summary-json", "--course"],
    "feedback": ["--student", "--course"],
    "report": ["--output", "--course"],
    "check": ["--timeout", "--json", "--course"],
    "roster": ["--match", "--summary-json", "--course"],
}


@pytest.mark.parametrize("command", sorted(FLAGS))
def test_the_help_of_each_command_lists_its_flags(command, capsys):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: autograder {command} ")
    listed = {line.split("=")[0] for line in text.splitlines() if line.startswith("--")}
    assert listed == set(FLAGS[command]), listed ^ set(FLAGS[command])
    if command == "grade":
        assert "Equivalent to: [--Autograder.workers]" in text and "nbgrader_config.py" in text


def test_the_top_level_help_lists_the_commands_and_the_examples(capsys):
    from autograder.cli.apps import EXAMPLES

    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in FLAGS:
        assert f"\n{command}\n" in text
    for example in EXAMPLES.splitlines():
        assert example in text
    assert main([]) == 2  # no command: the same help, and exit code 2
    assert "Subcommands" in capsys.readouterr().out


def test_help_imports_no_nbgrader():
    """`autograder --help` and `autograder grade --help` answer without loading nbgrader."""
    from tests.autograder.fresh_interpreter import heavy_modules_loaded_by

    assert heavy_modules_loaded_by("from autograder.cli.main import main\n"
                                   "assert main(['--help']) == 0 and main(['grade', '--help']) == 0") == []


@pytest.mark.slow
def test_workers_from_the_config_file_and_from_the_command_line(tmp_path):
    """A real run: c.Autograder.workers = 2 starts two workers; --workers 1 and --Autograder.workers=1 one."""
    from tests.fixtures.autograder import fixture_course

    course = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    with open(course / "nbgrader_config.py", "a") as handle:
        handle.write("\nc.Autograder.workers = 2\n")
    for student in ("ann", "bob", "cal"):
        fixture_course.write_submission(course, "ps1", "correct", course / "submitted" / student / "ps1" / "ps1.ipynb")

    def workers(*flags: str) -> int:
        summary = tmp_path / "summary.json"
        out = fixture_course.autograder("grade", "ps1", "--no-progress", "--force", "--summary-json", str(summary),
                                        *flags, cwd=course)
        assert out.returncode == 0, out.stdout + out.stderr
        data = json.loads(summary.read_text())
        assert data["counts"] == {"graded": 3}
        return len(data["workers"])

    assert workers() == 2
    assert workers("--workers", "1") == 1
    assert workers("--Autograder.workers=1") == 1


def test_the_apps_leave_other_libraries_logging_handlers_open():
    """traitlets' Application runs logging.config.dictConfig, which closes every handler in the
    process (TensorFlow's absl handler then closes its stream: a test runner's captured stderr)."""
    import gc
    import io
    import logging

    class Stream(io.StringIO):
        closed_by = None

        def close(self):
            Stream.closed_by = "close"
            super().close()

    handler = logging.StreamHandler(Stream())
    handler.close = lambda: handler.stream.close()  # as absl's handler does: close its stream
    logging.getLogger("some.library").addHandler(handler)
    try:
        app = AutograderApp()
        app.initialize(["grade", "A", "--workers", "2"])
        app.log.warning("a warning from the app")
        del app
        gc.collect()
        assert Stream.closed_by is None and not handler.stream.closed
    finally:
        logging.getLogger("some.library").removeHandler(handler)
