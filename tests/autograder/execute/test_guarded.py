"""autograder.execute.guarded: nbgrader's Execute step, guarded (no kernel started here)."""
from __future__ import annotations

import signal


def test_exit_descriptions():
    from autograder.execute.guarded import describe_exit

    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-signal.SIGKILL).startswith("killed by SIGKILL")
    assert describe_exit(-signal.SIGSEGV) == "killed by SIGSEGV"


def test_guarded_execute_takes_nbgraders_execute_config():
    from traitlets.config import Config

    from autograder.execute.guarded import GuardedExecute

    config = Config()
    config.Execute.timeout = 7
    ex = GuardedExecute(config=config)
    assert ex.timeout == 7 and ex.interrupt_on_timeout and ex.allow_errors
