"""Trusted checks: a graded test cell's verdict computed outside the student's kernel.

For a notebook whose *source* (the instructor's file) binds a course lesson
(``from course.lessons import lessonNN as ex``), every graded test cell that holds
only ``ex.qN.check(name=<literal>, ...)`` calls (the course's test-cell convention)
is graded like this:

1. before the cell runs, the worker asks the kernel (a user expression on the same
   kernel, not a notebook cell) to export the answers the cell's exercises name, as
   data (:mod:`course.answers`: JSON, ``.npy``, Keras configs; never pickle);
2. the cell itself is not run in the kernel: it holds only check calls, which change
   nothing a later cell reads, so running them there too would only cost time;
3. this module's long-lived process (one per worker, started on first use, one
   TensorFlow thread, never given student code; forked from the worker's zygote, so
   TensorFlow is already imported, see :mod:`autograder.isolate.zygote`) runs the same check
   calls with its own unpatched ``course`` on that data. A student's function is a stand-in: each
   call is sent back to the kernel with inputs chosen here, and only its encoded
   result returns;
4. the cell's outputs are replaced by that one verdict (the ✔ line, or an error with
   the message), so nbgrader's scores, the autograded notebook and the feedback show it.

This process runs in the course directory, so it reads instructor material there that no
student's kernel can see (the quiz's answer key, :mod:`course.answer_key`). When that is
missing, a check raises ``course.feedback.NotGraded``: the verdict's status is
``CellStatus.NOT_GRADED``, and the submission is recorded as failed, not as a wrong answer.
Verdicts are :class:`autograder.core.results.Verdict` objects, built from the course's outcomes
(``Correct``, ``CheckFailed`` with its problems, ``NotAttempted``, ``NotGraded``), never from their text.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import io
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from autograder.core.results import CellStatus, Problem, Verdict
from autograder.isolate.process import JsonLines, die_with_parent, protocol_pipes

LESSON_PACKAGE = "course.lessons."


@dataclass
class TestCell:
    """One graded test cell that follows the convention: its lesson and its check calls."""

    module: str
    calls: list[tuple[str, dict]]
    names: list[str] = field(default_factory=list)


def _lesson_alias(tree: ast.Module) -> tuple[str, str] | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "course.lessons" and node.level == 0:
            for alias in node.names:
                if alias.name.startswith("lesson"):
                    return alias.asname or alias.name, LESSON_PACKAGE + alias.name
    return None


def _calls(source: str, alias: str) -> list[tuple[str, dict]] | None:
    """The ``alias.qN.check(k=literal)`` calls of a test cell, or None if it holds anything else."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    calls = []
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if not (isinstance(call, ast.Call) and not call.args and isinstance(call.func, ast.Attribute)
                and call.func.attr == "check" and isinstance(call.func.value, ast.Attribute)
                and isinstance(call.func.value.value, ast.Name) and call.func.value.value.id == alias):
            return None
        kwargs = {}
        for keyword in call.keywords:
            if keyword.arg is None:
                return None
            try:
                kwargs[keyword.arg] = ast.literal_eval(keyword.value)
            except ValueError:
                return None
        calls.append((call.func.value.attr, kwargs))
    return calls or None


def plan(source: Path) -> dict[str, TestCell]:
    """{grade_id: TestCell} for the graded test cells of ``source`` that trusted checks grade
    ({} for a notebook that binds no course lesson, e.g. another nbgrader course)."""
    import nbformat

    try:
        notebook = nbformat.read(str(source), as_version=4)
    except Exception:  # noqa: BLE001 - no readable source: grade as stock nbgrader does
        return {}
    found = None
    for cell in notebook.cells:
        if cell.cell_type == "code" and "course.lessons" in cell.source:
            try:
                found = _lesson_alias(ast.parse(cell.source))
            except SyntaxError:
                continue
            if found:
                break
    if not found:
        return {}
    alias, module = found
    cells = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        calls = _calls(cell.source, alias)
        if calls:
            cells[meta["grade_id"]] = TestCell(module, calls)
    return cells


def exercise_names(module: str) -> dict[str, list[str]]:
    """{exercise attribute: names it reads} of a lesson module (imports the course: trusted side)."""
    import importlib

    from course.exercise import Exercise

    if not module.startswith(LESSON_PACKAGE):
        return {}
    lesson = importlib.import_module(module)
    return {attr: list(value.names) + list(getattr(value, "optional", ()))
            for attr, value in vars(lesson).items() if isinstance(value, Exercise)}


# ---------------------------------------------------------------- verdicts as cell outputs

def outputs(verdict: Verdict) -> list:
    """The cell outputs that show ``verdict``: stdout text when it passed, else one error."""
    from nbformat import NotebookNode

    if verdict.status is CellStatus.PASSED:
        return [NotebookNode(output_type="stream", name="stdout", text=verdict.text)] if verdict.text else []
    printed = verdict.stdout
    return ([NotebookNode(output_type="stream", name="stdout", text=printed)] if printed else []) + [
        NotebookNode(output_type="error", ename=verdict.ename or "CheckFailed",
                     evalue=verdict.text, traceback=verdict.text.splitlines())]


# ---------------------------------------------------------------- the worker's side

class TrustedChecks:
    """The worker's handle on its trusted process (started on first use, kept for the next ones)."""

    def __init__(self, threads: int = 1):
        self.threads = threads
        self.config_dir: str | None = None  # JUPYTER_CONFIG_DIR holding the notebooks' settings
        self.process: subprocess.Popen | ForkedChecks | None = None
        self.zygote: Any = None
        self.seconds = 0.0  # time spent in trusted checks, for the benchmark
        self._names: dict[str, dict[str, list[str]]] = {}

    def start(self, zygote: Any = None) -> None:
        """Start the process now, forked from the worker's ``zygote`` if it has one (TensorFlow is
        already imported there), else as a new interpreter, which imports TensorFlow while the
        kernel runs the first cells."""
        if zygote is not None:
            self.zygote = zygote  # restarts (after the process died) fork from it too
        zygote = self.zygote
        if self.process is None or self.process.poll() is not None:
            self.process = None
            if zygote is not None and getattr(zygote, "usable", False):
                try:
                    self.process = _fork_from(zygote, self._env())
                except (OSError, RuntimeError, ValueError):
                    self.process = None
            if self.process is None:
                self.process = self._start()

    def names(self, cell: TestCell) -> list[str] | None:
        """The answers ``cell``'s checks read; None if a call names no exercise of its lesson."""
        start = time.monotonic()
        try:
            if cell.module not in self._names:
                self.start()
                self._send({"names": cell.module})
                assert self.process is not None  # start() started it
                answer = JsonLines(self.process.stdout, None).receive()
                self._names[cell.module] = answer["names"] if answer else {}
        except (OSError, ValueError):
            self.close()
            return None
        finally:
            self.seconds += time.monotonic() - start
        exercises = self._names.get(cell.module, {})
        if not all(name in exercises for name, _ in cell.calls):
            return None
        return sorted({n for name, _ in cell.calls for n in exercises[name]})

    def read_settings(self, notebook_config: str) -> None:
        """The checks read the settings the graded notebooks read (``notebook_config``, the text of
        an ``nbgrader_config.py``; see autograder.core.options.notebook_config_text), as the kernel does."""
        if not notebook_config or self.config_dir is not None:
            return
        from autograder.isolate.sandbox import SCRATCH

        # In a sandboxed worker, on its private scratch: gone with the worker, however it ends.
        self.config_dir = tempfile.mkdtemp(prefix="autograder-notebook-config-",
                                           dir=SCRATCH if SCRATCH.is_mount() else None)
        Path(self.config_dir, "nbgrader_config.py").write_text(notebook_config)

    def _env(self) -> dict[str, str]:
        env = dict(os.environ, COURSE_TF_THREADS=str(self.threads), TF_NUM_INTRAOP_THREADS=str(self.threads),
                   TF_NUM_INTEROP_THREADS=str(self.threads), OMP_NUM_THREADS=str(self.threads),
                   TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
        if self.config_dir:
            env["JUPYTER_CONFIG_DIR"] = self.config_dir
        return env

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "autograder.check.trusted"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=self._env(),
                                start_new_session=False)

    def run(self, cell: TestCell, export: dict, kernel_call: Callable[[dict], dict]) -> Verdict:
        """The verdict of ``cell`` on the exported answers; ``kernel_call`` runs a student function."""
        start = time.monotonic()
        try:
            return self._run(cell, export, kernel_call)
        except (OSError, ValueError, BrokenPipeError) as error:
            self.close()
            return Verdict.grader_error(f"the grader's check process failed ({error}); please tell your instructor.")
        finally:
            self.seconds += time.monotonic() - start

    def _run(self, cell: TestCell, export: dict, kernel_call) -> Verdict:
        self.start()
        request = {"module": cell.module, "calls": cell.calls, "export": export}
        self._send(request)
        assert self.process is not None  # start() started it
        replies = JsonLines(self.process.stdout, None)
        while True:
            message = replies.receive()
            if message is None:
                raise OSError(f"it exited with code {self.process.wait()}")
            if "verdict" in message:
                return Verdict.from_json(message["verdict"])
            self._send(kernel_call(message["call"]))

    def _send(self, obj: dict) -> None:
        assert self.process is not None  # start() started it
        JsonLines(None, self.process.stdin).send(obj)

    def close(self) -> None:
        if self.config_dir is not None:
            import shutil

            shutil.rmtree(self.config_dir, ignore_errors=True)
            self.config_dir = None
        if self.process is not None:
            assert self.process.stdin is not None  # both kinds of process are started with a stdin
            with contextlib.suppress(OSError):
                self.process.stdin.close()
            if isinstance(self.process, ForkedChecks):
                self.process.close_channel()
            with contextlib.suppress(Exception):
                self.process.wait(timeout=5)
            if self.process.poll() is None:
                self.process.kill()
            self.process = None


class ForkedChecks:
    """A ``Popen``-like handle on a trusted process the zygote forked (the worker's adopted child),
    speaking over a unix socket."""

    def __init__(self, pid: int, conn: socket.socket):
        self.pid = pid
        self.conn = conn
        self.stdin = conn.makefile("w", encoding="utf-8")
        self.stdout = conn.makefile("r", encoding="utf-8")
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # already collected (e.g. by the worker's orphan reaper)
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if timeout is not None and deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("trusted checks", timeout)
            time.sleep(0.01)
        return code

    def kill(self) -> None:
        if self.poll() is None:
            with contextlib.suppress(OSError):
                os.kill(self.pid, 9)
            with contextlib.suppress(Exception):
                self.wait(timeout=5)

    def close_channel(self) -> None:
        for stream in (self.stdin, self.stdout, self.conn):
            with contextlib.suppress(OSError):
                stream.close()


def _fork_from(zygote: Any, env: dict[str, str]) -> ForkedChecks:
    """Ask the worker's zygote to fork the trusted process; it connects to a private unix socket
    (a 0700 folder, one connection accepted, and only from the pid the zygote reported)."""
    scratch = None
    with contextlib.suppress(Exception):
        from autograder.isolate.sandbox import SCRATCH

        scratch = SCRATCH if SCRATCH.is_mount() else None
    folder = tempfile.mkdtemp(prefix="trusted-", dir=scratch)
    path = os.path.join(folder, "s")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
        listener.listen(1)
        listener.settimeout(30)
        pid = zygote.fork_server("autograder.check.trusted", path, env, os.getcwd())
        try:
            conn, _ = listener.accept()
        except OSError:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
            raise
        peer_pid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
        if peer_pid != pid:
            conn.close()
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
            raise RuntimeError("an unexpected process connected to the trusted-check socket")
        conn.settimeout(None)
        return ForkedChecks(pid, conn)
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(folder)


_CHECKS: TrustedChecks | None = None


def checks() -> TrustedChecks:
    """The worker's trusted process handle (one per worker process)."""
    global _CHECKS
    if _CHECKS is None:
        import atexit

        _CHECKS = TrustedChecks()
        atexit.register(_CHECKS.close)  # the worker ends it (and collects it) when it exits
    return _CHECKS


# ---------------------------------------------------------------- the trusted process

def _rebuild_error(info: dict) -> BaseException:
    """:func:`_rebuilt_error`, carrying the line of the student's code that raised it (``course_line``) and its
    whole statement (``course_statement``),
    whether Keras's or NumPy's own code raised it (``course_library``) and what that line's names held
    (``course_values``): the course's explanations read them as they would the traceback in the kernel."""
    error = _rebuilt_error(info)
    try:
        error.course_line = str(info.get("line") or "")  # type: ignore[attr-defined]
        error.course_library = info.get("library") is True  # type: ignore[attr-defined]
        error.course_statement = str(info.get("statement") or error.course_line)  # type: ignore[attr-defined]
        values = info.get("values")
        error.course_values = ({str(k)[:40]: str(v)[:80] for k, v in list(values.items())[:4]}  # type: ignore[attr-defined]
                               if isinstance(values, dict) else {})
    except Exception:  # noqa: BLE001 - an error type that takes no attributes: explained without it
        pass
    return error


def _rebuilt_error(info: dict) -> BaseException:
    """An exception like the one the student's code raised: its type name and the same text
    (``str()``), rebuilt from its plain arguments when it has them (``KeyError('acc')``)."""
    cls = getattr(builtins, info.get("type", ""), None) if info.get("builtin") else None
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = type(str(info.get("type") or "Error"), (Exception,), {})
    message = str(info.get("message", ""))
    arguments = info.get("args")
    tries = [arguments] if isinstance(arguments, list) and all(
        type(item) in (str, int, float, bool) or item is None for item in arguments) else []
    for args in tries + [[message]]:
        try:
            error = cls(*args)
            if str(error) == message:
                return error
        except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError needs 5 arguments
            pass
    # str() would differ (e.g. a KeyError whose key was not plain data): keep the type's name and text
    same: type[BaseException] = type(cls.__name__, (cls,), {"__str__": lambda self: message, "__module__": cls.__module__})
    try:
        return same.__new__(same, message)  # without __init__: e.g. UnicodeDecodeError needs 5 arguments
    except Exception:  # noqa: BLE001
        return type(cls.__name__, (Exception,), {"__str__": lambda self: message})(message)


def request_code(kind: str, argument: Any) -> str:
    """The user expression that makes the kernel export answers or call a function (course.answers)."""
    return f"__import__('course.answers').answers.{kind}({argument!r})"


READABLE = ("NumPy arrays, numbers, strings, lists, tuples, dicts, Keras layers, models and "
            "Histories, matplotlib figures and functions")


def _failed(status: CellStatus, failure: Exception, stdout: str) -> Verdict:
    """The verdict of a check that raised the course's ``CheckFailed`` (or ``NotAttempted``, ``NotGraded``)."""
    details = getattr(failure, "details", ())
    render = getattr(failure, "render", None)
    return Verdict(status, render() if callable(render) else str(failure), type(failure).__name__, stdout,
                   [Problem(str(p.kind), str(p.text)) for p in details])


def verdict_of(request: dict, ask: Callable[[dict], dict]) -> Verdict:
    """Run a cell's check calls on exported answers; ``ask`` sends a function call to the kernel."""
    import importlib

    from course import answers, errors
    from course.exercise import verdicts_held
    from course.feedback import CHECK_ERROR, CheckFailed, NotAttempted, NotGraded
    from course.feedback import Problem as CourseProblem

    module = request["module"]
    if not module.startswith(LESSON_PACKAGE):
        return Verdict.grader_error(f"{module} is not a course lesson")
    lesson = importlib.import_module(module)
    export = request["export"]
    if "error" in export:
        return Verdict.grader_error(f"the grader could not read your answers from the notebook: {export['error']}")
    seen: dict[int, Any] = {}

    def refs() -> dict[int, int]:
        return {id(value): ref for ref, value in seen.items()}

    def remote(ref: int, name: str):
        def stand_in(*args, **kwargs):
            try:
                data = {"ref": ref, "args": [answers.encode_input(a, refs()) for a in args],
                        "kwargs": {k: answers.encode_input(v, refs()) for k, v in kwargs.items()}}
            except answers.Unsupported as reason:
                raise RuntimeError(f"the grader cannot pass {reason} to `{name}`") from None
            reply = ask(data)
            if "error" in reply:
                raise _rebuild_error(reply["error"])
            return answers.decode(reply["result"], remote, seen)
        stand_in.__name__ = stand_in.__qualname__ = name
        return stand_in

    exported = export.get("answers", {})
    defined = export.get("defined") or {}
    namespace = Answers(remote, seen)
    for name, kind in (defined.items() if isinstance(defined, dict) else ()):
        if name not in exported:
            namespace[name] = answers.placeholder(name, kind)
    for name, data in exported.items():
        if data.get("t") != "missing":
            namespace.add_encoded(name, data)
    last = export.get("last_error")
    sys.last_value = _rebuild_error(last) if last else None
    if hasattr(sys, "last_exc"):
        sys.last_exc = sys.last_value
    if last:  # how long its cell ran, and the limit: the course says whether the per-cell limit stopped it
        errors.remember_cell(sys.last_value, last.get("seconds"), last.get("limit"))
    lesson.notebook.bind(namespace, reseed_tensorflow=False)  # no check draws random numbers; TF was seeded at start
    shown: list[str] = []  # what the cell shows so far: each call's prints, and the first ✔ line
    ticked = False
    for attribute, kwargs in request["calls"]:
        exercise = getattr(lesson, attribute)
        names = tuple(exercise.names) + tuple(getattr(exercise, "optional", ()))
        captured = io.StringIO()
        # What the cell printed before a check failed stays above the error, as in the notebook.
        before = lambda: "".join(shown) + captured.getvalue()  # noqa: E731, B023 - called in this iteration
        try:
            if all(name in namespace for name in exercise.names):  # the check reads them all
                bad = namespace.unreadable(names)
                if bad:
                    raise Unreadable(bad)
            with contextlib.redirect_stdout(captured), verdicts_held() as correct:
                exercise.check(**kwargs)
        except Unreadable as failure:  # an answer that crossed but cannot be rebuilt
            return _failed(CellStatus.FAILED, CheckFailed(exercise.title, [CourseProblem(
                f"`{n}` is {reason}, which the grader cannot read: it reads {READABLE}.", CHECK_ERROR)
                for n, reason in failure.reasons.items()]), before())
        except NotAttempted as failure:
            return _failed(CellStatus.NOT_ATTEMPTED, failure, before())
        except CheckFailed as failure:
            return _failed(CellStatus.FAILED, failure, before())
        except NotGraded as problem:  # instructor material missing (the quiz's key): no verdict at all
            return _failed(CellStatus.NOT_GRADED, problem, before())
        except Exception as error:  # noqa: BLE001 - whatever went wrong, a message, not a crash
            return _failed(CellStatus.FAILED, CheckFailed(exercise.title, [CourseProblem(
                f"the check could not run on your answers: {type(error).__name__}: {str(error)[:300]}",
                CHECK_ERROR)]), before())
        shown.append(captured.getvalue())
        if correct and not ticked:
            # A notebook shows the first ✔ line of a cell only (course.exercise.defer_verdict).
            shown.append(correct[0] + "\n")
            ticked = True
    return Verdict(CellStatus.PASSED, "".join(shown))


class Unreadable(BaseException):
    """Answers that crossed as data but cannot be rebuilt: {name: what they are}. A
    ``BaseException``, so no check's ``except Exception`` turns it into another message."""

    def __init__(self, reasons: dict[str, str]):
        super().__init__(", ".join(reasons))
        self.reasons = reasons


class Answers(dict):
    """A submission's namespace on the trusted side: each exported answer is rebuilt when a check
    first reads it, so an answer no check reads (the model beside a missing History) costs nothing."""

    def __init__(self, remote: Callable, seen: dict):
        super().__init__()
        self._encoded: dict[str, dict] = {}
        self._failed: dict[str, str] = {}
        self._remote, self._seen = remote, seen

    def add_encoded(self, name: str, data: dict) -> None:
        self._encoded[name] = data
        super().__setitem__(name, None)

    def __getitem__(self, name: str) -> Any:
        if name in self._encoded:
            self._decode(name)
            if name in self._failed:
                raise Unreadable({name: self._failed[name]})
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self else default

    def values(self):
        return [self[name] for name in self]

    def items(self):
        return [(name, self[name]) for name in self]

    def unreadable(self, names) -> dict[str, str]:
        """{name: what it is} for those of ``names`` that cannot be rebuilt (rebuilding them now)."""
        for name in names:
            if name in self._encoded:
                self._decode(name)
        return {name: self._failed[name] for name in names if name in self._failed}

    def _decode(self, name: str) -> None:
        from course import answers

        data = self._encoded.pop(name)
        try:
            super().__setitem__(name, answers.decode(data, self._remote, self._seen))
        except Exception as reason:  # noqa: BLE001 - a fake or broken object: a failed check
            self._failed[name] = str(reason) if isinstance(reason, answers.Unsupported) else \
                f"an object that could not be rebuilt ({type(reason).__name__}: {str(reason)[:200]})"




def main() -> int:
    """The trusted process started on its own: JSON lines on stdin/stdout."""
    proto_in, proto_out = protocol_pipes()  # nothing else may write to the protocol
    die_with_parent()  # a killed worker leaves no trusted process behind
    return serve(proto_in, proto_out)


def serve(proto_in, proto_out) -> int:
    """Answer the worker's requests (JSON lines) until it closes ``proto_in``."""
    import warnings

    warnings.simplefilter("ignore")
    import course  # noqa: F401 - quiet TensorFlow, COURSE_TF_THREADS threads
    # isort: split
    import matplotlib

    matplotlib.use("Agg")

    channel = JsonLines(proto_in, proto_out)
    send = channel.send

    def ask(call: dict) -> dict:
        send({"call": call})
        answer = channel.receive()
        if answer is None:
            raise SystemExit(0)
        return answer

    for request in channel:
        if "names" in request:
            try:
                send({"names": exercise_names(request["names"])})
            except Exception:  # noqa: BLE001
                send({"names": {}})
            continue
        try:
            verdict = verdict_of(request, ask)
        except SystemExit:
            raise
        except BaseException as error:  # noqa: BLE001 - never leave the worker without an answer
            verdict = Verdict.grader_error(f"the grader's check failed: {type(error).__name__}: {str(error)[:300]}")
        send({"verdict": verdict.to_json()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
