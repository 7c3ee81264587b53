"""autograder.execute.guarded: nbgrader's Execute step, guarded (no kernel started here)."""
from __future__ import annotations

import signal

import pytest


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

    async def reply(code, timeout):
        asked.append(timeout)
        raise TimeoutError

    ex.km = SimpleNamespace(is_alive=is_alive, interrupt_kernel=interrupt_kernel)
    ex._reply = reply
    ex._outcome = {"status": "ok", "reason": ""}
    ex._deadline = time.monotonic() + 3
    reply_ = ex._ask_kernel("1", new_code_cell("ex.q1.check()"))
    assert asked and asked[0] <= 3, asked
    assert "did not answer" in reply_["error"] and ex._outcome["status"] == "timed_out"
    ex._deadline, asked[:] = None, []
    ex._ask_kernel("1", new_code_cell("ex.q1.check()"))
    assert asked == [120]  # no notebook limit: the per-cell one


@pytest.fixture
def bounded_kernel():
    """A real kernel (started the stock way, no sandbox) whose shell replies may take 1 MB."""
    from jupyter_core.utils import run_sync

    from autograder.isolate.kernels import WarmKernelManager

    km = WarmKernelManager(reply_limit=2**20)
    run_sync(km.start_kernel)()
    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)


def executor_on(kernel, seconds_left: float | None):
    """A GuardedExecute driving ``kernel`` (the bounded_kernel fixture's), with ``seconds_left`` of the
    notebook's time (None: no notebook limit) and a 60 s cell limit."""
    import time

    from traitlets.config import Config

    from autograder.execute.guarded import GuardedExecute

    config = Config()
    config.Execute.timeout = 60
    ex = GuardedExecute(config=config)
    ex.km, ex.kc = kernel
    ex._outcome = {"status": "ok", "reason": ""}
    ex._deadline = None if seconds_left is None else time.monotonic() + seconds_left
    return ex


def test_a_reply_over_the_bound_is_refused_at_once_and_the_next_one_is_read(bounded_kernel):
    """The kernel is the student's: an answer export (or a function's result) longer than the bound is
    refused as it arrives (never read into the worker's memory), the check says why, within the time
    limits, and the kernel answers the next request as before."""
    import time

    from nbformat.v4 import new_code_cell


    km, kc = bounded_kernel
    assert kc.reply_limit == 2**20
    ex = executor_on((km, kc), 50)
    cell = new_code_cell("ex.q1.check()")
    payload = "__import__('course.answers').answers.Payload({{'answers': {{'x': 'y' * {}}}}})"

    assert ex._ask_kernel(payload.format(1000), cell) == {"answers": {"x": "y" * 1000}}
    start = time.monotonic()
    refused = ex._ask_kernel(payload.format(8 * 2**20), cell, "the answers `x`")
    took = time.monotonic() - start
    assert refused["error"].startswith("the answers `x` took more than 1 MB, the most the grader reads"), refused
    assert "Keep in the exercise's variables only what it asks for" in refused["error"]
    assert took < 10, took  # at once, not when the time limit runs out
    assert ex._outcome["status"] == "ok"  # a wrong answer, not a timeout or a failure
    # the next export (and function call) is read as before, on a new connection
    assert ex._ask_kernel(payload.format(2000), cell) == {"answers": {"x": "y" * 2000}}
    called = ex._kernel_call(cell, {"ref": 999, "args": [], "kwargs": {}})
    assert called["error"]["type"] == "KeyError"  # no such function: the kernel's answer, not a hang
    assert ex._ask_kernel(payload.format(3 * 2**20), cell, "its result")["error"].startswith("its result took more than 1 MB")


def test_the_reply_bound_follows_the_kernels_writable_space():
    from autograder.core.options import Autograder
    from autograder.isolate.kernels import WarmKernelManager, reply_bound

    assert reply_bound(Autograder().writable_bytes) == 64 * 2**20  # no --memory-limit
    assert reply_bound(Autograder(memory_limit="4G").writable_bytes) == 128 * 2**20
    assert reply_bound(Autograder(memory_limit="256M").writable_bytes) == 8 * 2**20
    assert WarmKernelManager().reply_bytes == 64 * 2**20
    assert WarmKernelManager(sandbox_limits={"writable": 2**30}).reply_bytes == 128 * 2**20
    assert WarmKernelManager(reply_limit=0).reply_bytes == 0  # no bound


def test_an_export_that_never_answers_is_stopped_at_the_notebooks_time_limit(bounded_kernel):
    """A real kernel busy in its export: the worker waits no longer than the notebook's remaining time,
    interrupts it, records a timeout, and the kernel answers the next request."""
    import time

    from nbformat.v4 import new_code_cell


    km, kc = bounded_kernel
    ex = executor_on((km, kc), 2)
    start = time.monotonic()
    reply = ex._ask_kernel("__import__('time').sleep(30)", new_code_cell("ex.q1.check()"))
    assert time.monotonic() - start < 5
    assert reply["error"] == "the notebook did not answer within 2 s and was stopped", reply
    assert ex._outcome["status"] == "timed_out"
    ex._deadline = None
    assert ex._ask_kernel("__import__('course.answers').answers.Payload({'answers': {}})",
                          new_code_cell("ex.q1.check()")) == {"answers": {}}


def test_a_cells_own_reply_over_the_bound_does_not_cut_off_the_next_exports(bounded_kernel):
    """A cell can make its own execute reply long (a payload): refused like an export; the next export
    gets a new connection and is read, and is not taken for the refused one."""
    import time

    from jupyter_core.utils import run_sync
    from nbformat.v4 import new_code_cell


    km, kc = bounded_kernel
    kc.execute("get_ipython().payload_manager.write_payload({'source': 'set_next_input', 'text': 'y' * 2**22})")
    deadline = time.monotonic() + 20
    while not kc.reply_refused():
        assert time.monotonic() < deadline, "the long reply was not refused"
        time.sleep(0.05)
    assert run_sync(km.is_alive)()
    ex = executor_on((km, kc), None)
    assert ex._ask_kernel("__import__('course.answers').answers.Payload({'answers': {'n': 1}})",
                          new_code_cell("ex.q1.check()")) == {"answers": {"n": 1}}
