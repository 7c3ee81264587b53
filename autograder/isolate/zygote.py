"""The warm kernel factory: pay interpreter and TensorFlow start-up once per worker.

A grading worker starts one *zygote* process (``python -m autograder.isolate.zygote``).
The zygote imports the heavy libraries the assignment uses (TensorFlow, Keras,
NumPy...) once, then waits. For every notebook to grade, the worker asks it for a
kernel; the zygote ``fork()``s a brand-new process that becomes an ordinary
IPython kernel (``ipykernel``) with the connection file, environment and working
directory that nbclient asked for. Each submission therefore still runs in its
own fresh, isolated process (nothing a student's code does can reach another
submission, the zygote never runs student code), but that process starts in
about 0.1 s with TensorFlow already imported, instead of about 4 s.

The forked kernel is handed over to the worker: the zygote double-forks and the
worker is a Linux *child subreaper*, so the kernel becomes the worker's own child
(the worker can ``waitpid`` it and read its exit status, e.g. "killed by SIGKILL").
The kernel also dies with its worker (``PR_SET_PDEATHSIG``), so killing a grading
run never leaves kernels behind.

Protocol, one JSON object per line on stdin/stdout:

* first line in:  ``{"preload": [...], "forget": [...]}``;
  reply: ``{"ready": true, "seconds": 2.3, "preloaded": [...], "failed": {...}}``
* then, per kernel: ``{"argv": [...], "env": {...}, "cwd": "...", "reaper": PID,
  "memory_limit": BYTES or null, "sandbox": SPEC or null}``; reply: ``{"pid": PID}``
  (with a sandbox spec, see :mod:`autograder.isolate.sandbox`, PID is the kernel namespace's init,
  which ends with the kernel and reports how it ended);
* or a server process, forked like a kernel but never given student code (once per worker,
  the trusted-check process, :mod:`autograder.check.trusted`): ``{"server": {"module": NAME,
  "socket": PATH, "env": {...}, "cwd": "...", "reaper": PID}}``; reply ``{"pid": PID}``. It
  connects to the worker's unix socket at PATH and runs ``NAME.serve(reader, writer)`` there,
  with TensorFlow already imported (:meth:`Zygote.fork_server`).

Linux only (``fork`` plus ``prctl``); elsewhere the worker uses stock kernels.
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from autograder.isolate.process import JsonLines, become_subreaper, die_with_parent, protocol_pipes

if TYPE_CHECKING:
    from autograder.isolate.sandbox import Spec

def tensorflow_context_initialized() -> bool:
    """True if TensorFlow already created its runtime (thread pools do not survive fork)."""
    if "tensorflow" not in sys.modules:
        return False
    try:
        from tensorflow.python.eager import context

        return context.context()._context_handle is not None
    except Exception:  # noqa: BLE001  # pragma: no cover - private API moved: be safe, say yes
        return True


def preload(modules: list[str], forget: list[str]) -> tuple[list[str], dict[str, str]]:
    """Import ``modules`` in order; then drop ``forget`` packages from ``sys.modules``.

    Forgotten packages (the course's own library, whose import seeds and configures
    the runtime) are imported again, for real, by the notebook in its kernel: only
    the third-party libraries they pulled in stay loaded.
    """
    loaded, failed = [], {}
    for name in modules:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except BaseException as exc:  # noqa: BLE001 - a missing optional library is not fatal
            failed[name] = f"{type(exc).__name__}: {exc}"
    for name in list(sys.modules):
        if name.split(".")[0] in forget:
            del sys.modules[name]
    return loaded, failed


def _reset_signals() -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)


def _become_kernel(request: dict) -> None:
    """In the grandchild: become an ipykernel exactly as ``python -m ipykernel_launcher`` would
    (sandboxed first, if the request carries a sandbox spec)."""
    os.setsid()  # own process group: interrupts and kills reach the kernel and its children only
    reaper = int(request.get("reaper") or 0)
    box = request.get("sandbox")
    if box:
        from autograder.isolate import sandbox

        adopted = not reaper or sandbox.wait_for_adoption(reaper)
    else:
        deadline = time.monotonic() + 5
        while reaper and os.getppid() != reaper and time.monotonic() < deadline:
            time.sleep(0.0005)  # wait until the worker has adopted us
        adopted = not reaper or os.getppid() == reaper
    die_with_parent()
    if not adopted:
        os._exit(70)  # the worker is gone: nobody wants this kernel
    if box:
        try:
            sandbox.enter(sandbox.Spec.from_dict(box))  # returns in the sandboxed kernel process
        except BaseException:  # noqa: BLE001
            traceback.print_exc()
            os._exit(71)
    _reset_signals()

    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)

    if not box:
        os.chdir(request.get("cwd") or os.getcwd())
    os.environ.clear()
    os.environ.update(request.get("env") or {})
    limit = request.get("memory_limit")
    if limit and not box:  # the sandbox applies it with its other limits
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))

    argv = list(request["argv"])
    # ``python -m ipykernel_launcher ARGS``: sys.path[0] is the working directory,
    # exactly as for ``-m`` (so a notebook imports helper modules beside it).
    sys.path[0] = os.getcwd()
    module = argv[2]
    sys.argv = [module] + argv[3:]
    from ipykernel import kernelapp

    code = 0
    try:
        kernelapp.launch_new_instance(argv=argv[3:])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        code = 1
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _double_fork(become: Callable[[], None], before: Callable[[], None] = lambda: None) -> int:
    """Fork a grandchild that runs ``become()``; return its pid. The middle child runs
    ``before()`` first (e.g. entering new namespaces) and exits at once, so the grandchild
    is adopted by the reaper and never waits on this process."""
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    middle = os.fork()
    if middle == 0:  # pragma: no cover - runs in the forked child
        try:
            os.close(read_fd)
            before()
            child = os.fork()
            if child == 0:
                os.close(write_fd)
                become()
            os.write(write_fd, str(child).encode())
            os._exit(0)
        except BaseException:  # noqa: BLE001
            traceback.print_exc()
            os._exit(1)
    os.close(write_fd)
    os.waitpid(middle, 0)
    data = b""
    while True:
        chunk = os.read(read_fd, 64)
        if not chunk:
            break
        data += chunk
    os.close(read_fd)
    return int(data or 0)


def spawn(request: dict) -> int:
    """Fork a kernel for ``request``; return its pid (it becomes the reaper's child).

    With a sandbox spec, the middle child first enters new namespaces, so the kernel's
    first process is PID 1 of its own PID namespace (see :mod:`autograder.isolate.sandbox`).
    """
    def enter_sandbox() -> None:
        if request.get("sandbox"):
            from autograder.isolate import sandbox

            sandbox.unshare_namespaces()

    return _double_fork(lambda: _become_kernel(request), enter_sandbox)


def _wait_for_adoption(reaper: int) -> bool:
    deadline = time.monotonic() + 5
    while reaper and os.getppid() != reaper and time.monotonic() < deadline:
        time.sleep(0.0005)
    return not reaper or os.getppid() == reaper


def _become_server(request: dict) -> None:  # pragma: no cover - runs in the forked grandchild
    """In the grandchild: become a server of the worker's (such as the trusted checks; no student
    code ever runs here): ``request["module"]``'s ``serve(reader, writer)`` on the worker's socket."""
    import socket

    os.setsid()  # its own process group: a Ctrl-C of the run reaches the worker, which ends it
    adopted = _wait_for_adoption(int(request.get("reaper") or 0))
    die_with_parent()
    if not adopted:
        os._exit(70)
    _reset_signals()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(request["socket"])
    keep = sock.fileno()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, keep)  # the zygote's protocol pipes: only the zygote answers the worker there
    os.closerange(keep + 1, 1 << 16)
    os.chdir(request.get("cwd") or os.getcwd())
    os.environ.clear()
    os.environ.update(request.get("env") or {})
    code = 0
    try:
        server = importlib.import_module(request["module"])
        server.serve(sock.makefile("r", encoding="utf-8"), sock.makefile("w", encoding="utf-8"))
    except BaseException:  # noqa: BLE001 - the worker sees the closed socket and says so
        code = 1
    os._exit(code)


def spawn_server(request: dict) -> int:
    """Fork the server process for ``request["server"]``; return its pid (the reaper's child)."""
    return _double_fork(lambda: _become_server(request["server"]))



# -- the worker's side ---------------------------------------------------------------
class Zygote:
    """The worker's handle on its zygote process (start, warm up, fork kernels)."""

    def __init__(self, preload: list[str], forget: list[str], memory_limit: int | None = None):
        """Start the zygote; it imports ``preload`` while this process does other work
        (:attr:`info` waits for it to be ready)."""
        self.memory_limit = memory_limit
        self._lock = threading.Lock()
        self.adopts = become_subreaper()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.isolate.zygote"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        self._channel = JsonLines(self.proc.stdout, self.proc.stdin)
        self._channel.send({"preload": preload, "forget": forget})
        self._info: dict[str, Any] | None = None

    @property
    def info(self) -> dict[str, Any]:
        """The zygote's ready message (what it imported), once it has sent it."""
        if self._info is None:
            self._info = self._receive()
        return self._info

    def _receive(self) -> dict:
        answer = self._channel.receive()
        if answer is None:
            raise RuntimeError(f"the kernel zygote exited (code {self.proc.poll()})")
        return answer

    @property
    def usable(self) -> bool:
        """Forking is safe: we adopt kernels and TensorFlow's runtime is not started yet."""
        return (self.adopts and self.proc.poll() is None and bool(self.info.get("ready"))
                and not self.info.get("tf_context"))

    def can_fork(self, argv: list[str]) -> bool:
        """Only ``<this python> -m ipykernel_launcher ...`` kernels are forked."""
        return (self.usable and len(argv) >= 3 and argv[1] == "-m"
                and argv[2] in ("ipykernel_launcher", "ipykernel")
                and os.path.realpath(argv[0]) == os.path.realpath(sys.executable))

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str | None,
              sandbox: "Spec | None" = None) -> int:
        answer = self.request({"argv": argv, "env": dict(env), "cwd": cwd, "reaper": os.getpid(),
                               "memory_limit": self.memory_limit,
                               "sandbox": None if sandbox is None else json.loads(sandbox.to_json())})
        if not answer.get("pid"):
            raise RuntimeError(answer.get("error", "the zygote could not fork a kernel"))
        return int(answer["pid"])

    def request(self, obj: dict) -> dict:
        """Send one request to the ready zygote and return its answer (one at a time)."""
        self.info  # noqa: B018 - the ready message comes first
        with self._lock:
            self._channel.send(obj)
            return self._receive()

    def fork_server(self, module: str, socket_path: str, env: dict[str, str], cwd: str | None = None) -> int:
        """Fork a server process (``module.serve(reader, writer)``, connected to the unix socket at
        ``socket_path``) with what the zygote imported; its pid, a child of this process."""
        answer = self.request({"server": {"module": module, "socket": socket_path, "env": dict(env),
                                          "cwd": cwd or os.getcwd(), "reaper": os.getpid()}})
        if not answer.get("pid"):
            raise RuntimeError(answer.get("error", f"the zygote could not fork {module}"))
        return int(answer["pid"])

    def peak_rss(self) -> int:
        """Peak resident memory of the zygote, in bytes (Linux ``VmHWM``)."""
        return _peak_rss(self.proc.pid)

    def close(self) -> None:
        """Stop the zygote at once: it holds nothing to save (its kernels are the worker's children),
        and TensorFlow's interpreter shutdown takes a second."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def _peak_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main() -> int:
    proto_in, proto_out = protocol_pipes()  # anything a library prints must not corrupt the protocol
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grading run's to handle

    channel = JsonLines(proto_in, proto_out)
    reply = channel.send
    setup = channel.receive()
    if setup is None:
        return 0
    start = time.perf_counter()
    loaded, failed = preload(setup.get("preload", []), setup.get("forget", []))
    # The kernel machinery itself: every stock kernel imports it before any user code.
    import ipykernel.ipkernel
    import ipykernel.kernelapp  # noqa: F401

    # And the sandbox, which each sandboxed kernel's first child would otherwise import (8 ms).
    from autograder.isolate import sandbox  # noqa: F401
    reply({"ready": True, "seconds": time.perf_counter() - start, "preloaded": loaded,
           "failed": failed, "tf_context": tensorflow_context_initialized(),
           "pid": os.getpid()})
    for request in channel:
        try:
            reply({"pid": spawn_server(request) if "server" in request else spawn(request)})
        except Exception as exc:  # noqa: BLE001
            reply({"error": f"{type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
