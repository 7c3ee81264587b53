"""autograder: grade a class over nbgrader, fast; export, feedback, report, self-check.

Run from the course directory (the folder with ``nbgrader_config.py``) or pass
``--course PATH``. ``autograder COMMAND --help`` explains each command. The commands
are nbgrader-style traitlets applications (:mod:`autograder.cli.apps`); :func:`main` runs
one and turns every mistake into a one-line message and an exit code.
"""
from __future__ import annotations

import os
import sys
from typing import Sequence

from traitlets import TraitError

from autograder.cli.apps import EXAMPLES, AutograderApp, UsageError  # noqa: F401 - EXAMPLES: public name
from autograder.core.coursedir import CourseError


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``autograder ARGV``; return the exit code: 0, 1 when something failed, 2 for a
    mistake in the command line or the course, 130 when interrupted."""
    app = AutograderApp()
    try:
        app.initialize(argv)
        return app.start() or 0  # None: --Application.show_config=True printed the config
    except UsageError as exc:
        prog = getattr(app.subapp, "name", app.name)
        print(f"{prog}: {exc} (see `{prog} --help`)", file=sys.stderr)
        return 2
    except CourseError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    except TraitError as exc:  # the command line's values are checked as they are parsed
        print(f"autograder: a value in nbgrader_config.py: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograder: interrupted; nothing finished was lost: run the same command again to continue.",
              file=sys.stderr)
        return 130
    except SystemExit as exc:  # --help, --help-all
        return exc.code if isinstance(exc.code, int) else 0


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
