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


def test_a_checks_call_into_the_notebook_counts_against_the_notebooks_time_limit():
    """Exporting answers and calling the student's functions for the trusted checks may not run
    past the notebook's limit (a slow export would hold the worker well after it)."""
    import time
    from types import SimpleNamespace

    from nbformat.v4 import new_code_cell
    from traitlets.config import Config

    from autograder.execute.guarded import GuardedExecute

    config = Config()
    config.Execute.timeout = 120
    ex = GuardedExecute(config=config)
    asked = []

    async def is_alive():
        return True

    async def interrupt_kernel():
        return None

    async def execute_interactive(code, **kwargs):
        asked.append(kwargs["timeout"])
        raise TimeoutError

    ex.km = SimpleNamespace(is_alive=is_alive, interrupt_kernel=interrupt_kernel)
    ex.kc = SimpleNamespace(execute_interactive=execute_interactive)
    ex._outcome = {"status": "ok", "reason": ""}
    ex._deadline = time.monotonic() + 3
    reply = ex._ask_kernel("1", new_code_cell("ex.q1.check()"))
    assert asked and asked[0] <= 3, asked
    assert "did not answer" in reply["error"] and ex._outcome["status"] == "timed_out"
    ex._deadline, asked[:] = None, []
    ex._ask_kernel("1", new_code_cell("ex.q1.check()"))
    assert asked == [120]  # no notebook limit: the per-cell one
