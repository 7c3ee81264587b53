"""The warm kernel manager: a jupyter_client kernel manager backed by the zygote.

nbgrader's ``Execute`` preprocessor is an nbclient ``NotebookClient``; it creates
its kernel through the configurable ``kernel_manager_class``. Setting that to
:class:`WarmKernelManager` is the only hook the speed-up needs: the manager is a
stock ``AsyncKernelManager`` (same connection file, ports, messages, interrupt,
shutdown) whose *provisioner* starts the kernel process by asking this worker's
zygote (see :mod:`autograder.isolate.zygote`) to fork one, instead of ``Popen``-ing a new
interpreter. Kernels that cannot be forked (another language, another Python,
no zygote in this process) start the stock way.
"""
from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sysconfig
import time
import uuid
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning.local_provisioner import LocalProvisioner
from traitlets import Dict, DottedObjectName, Integer, Type, Unicode

from autograder.isolate import sandbox as _sandbox
from autograder.isolate.zygote import Zygote

#: Libraries never imported ahead of the notebook: they configure themselves for
#: the running kernel at import time (matplotlib's inline backend, widget comms).
NEVER_PRELOAD = {"matplotlib", "pylab", "seaborn", "ipywidgets", "IPython", "ipykernel",
                 "plotly", "bokeh", "tqdm", "__future__"}


class ForkedProcess:
    """A ``Popen``-like handle on a kernel the zygote forked (our adopted child)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, sandboxed: bool = False):
        self.pid = pid
        self.sandboxed = sandboxed  # pid is the kernel namespace's init, which encodes signals
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # not ours (no subreaper): fall back to a liveness probe
                try:
                    os.kill(self.pid, 0)
                    return None
                except ProcessLookupError:
                    self.returncode = -signal.SIGKILL
                    return self.returncode
            if pid == 0:
                return None
            self.returncode = os.waitstatus_to_exitcode(status)
            if self.sandboxed:
                self.returncode = _sandbox.decode_exit(self.returncode)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.01)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class WarmKernels:
    """The grading worker's zygote, and what its kernels could not copy back.

    nbclient builds a new kernel manager for every notebook, from its class: the
    zygote (a live process, not a setting) is therefore registered once per grading
    worker with :meth:`use`; settings travel as ``c.WarmKernelManager.*`` config.
    """

    zygote: "Zygote | None" = None
    #: Files a sandboxed kernel wrote that were not copied back (and why), since the last :meth:`take_skipped`.
    _skipped: list[str] = []

    @classmethod
    def use(cls, zygote: "Zygote | None") -> None:
        cls.zygote = zygote

    @classmethod
    def note_skipped(cls, skipped: list[str]) -> None:
        cls._skipped.extend(skipped)

    @classmethod
    def take_skipped(cls) -> list[str]:
        skipped, cls._skipped = list(cls._skipped), []
        return skipped


class WarmProvisioner(LocalProvisioner):
    """LocalProvisioner that forks ``python -m ipykernel_launcher`` kernels from the zygote."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        zyg = WarmKernels.zygote
        spec = getattr(self.parent, "sandbox_spec", None)
        env = kwargs.get("env") or os.environ.copy()
        if spec is not None:
            env = kwargs["env"] = _sandbox.clean_environment(env)
        if zyg is None or not zyg.can_fork(cmd):
            if spec is not None:  # a stock kernel, under bubblewrap
                cmd = _sandbox.bwrap_argv(spec, cmd)
                kwargs["independent"] = True  # no parent polling: its parent is bubblewrap's init
                info = await super().launch_kernel(cmd, **kwargs)
                self.process = _sandbox.DecodedProcess(self.process)
                return info
            return await super().launch_kernel(cmd, **kwargs)
        cwd = kwargs.get("cwd")
        pid = zyg.spawn(cmd, env, str(cwd) if cwd else None, sandbox=spec)
        self.process = ForkedProcess(pid, sandboxed=spec is not None)
        self.pid = pid
        self.pgid = pid  # the kernel calls setsid(): its pid is its process group
        self.cwd = cwd or os.getcwd()
        return self.connection_info

    async def wait(self) -> int | None:
        if isinstance(self.process, ForkedProcess):
            while self.process.poll() is None:
                await asyncio.sleep(0.005)
            code, self.process = self.process.returncode, None
            return code
        return await super().wait()


def reply_bound(writable: int) -> int:
    """Bytes one reply of a kernel may take on the shell channel (answers exported for the trusted
    checks, a student function's result): an eighth of the kernel's writable space
    (autograder.core.options.Autograder.writable_bytes: 64 MB by default, 8 MB to 128 MB). The
    worker and its trusted process hold an answer about four times over while they read it (the
    message, its JSON, the line to the trusted process, its JSON there), so a reply at the bound
    adds at most half the kernel's writable space to the worker's share of memory."""
    return max(writable // 8, 2**20)


class WarmKernelClient(AsyncKernelClient):
    """jupyter_client's client; its start-up handshake waits less, and it caps outputs and replies.

    Outputs (streams, displays, results) beyond its manager's ``output_limit`` bytes per kernel
    are dropped; the first dropped one becomes a note on stdout, so a notebook that
    prints gigabytes cannot fill the grader's memory or the autograded notebook.

    A shell reply longer than its manager's ``reply_limit`` is refused by ZeroMQ as it arrives
    (``MAXMSGSIZE`` on the shell socket: the message is never read into memory). ZeroMQ then drops
    that connection for good: :meth:`reply_refused` says so, and :meth:`reconnect_shell` opens a new
    one, under the same identity, so the next cells run as before.

    Stock ``wait_for_ready`` ends by draining IOPub until 0.2 s pass without a
    message: 0.2 s of idle time per notebook, a sixth of a warm kernel's life.
    This one does the same handshake (a ``kernel_info`` reply on shell, then one
    IOPub message, which proves IOPub is connected so no output can be lost) and
    drains only what has already arrived. nbclient ignores IOPub messages that do
    not belong to the cell it runs, so a late start-up message changes nothing.
    """

    _output_bytes = 0
    _output_noted = False
    _refusals: Any = None  # the shell socket's monitor (zmq.EVENT_DISCONNECTED), as a plain socket
    _monitor: Any = None

    @property
    def reply_limit(self) -> int:
        """Bytes one shell reply may take (0: no bound), from its manager."""
        return int(getattr(self.parent, "reply_bytes", 0) or 0)

    def _create_connected_socket(self, channel: str, identity: bytes | None = None):  # type: ignore[override]
        limit = self.reply_limit if channel == "shell" else 0
        if not limit:
            return super()._create_connected_socket(channel, identity)
        # The bound must be set before connecting: pyzmq applies a context's default options to the
        # next socket it makes, which jupyter_client then connects.
        self.context.setsockopt(zmq.MAXMSGSIZE, limit)
        try:
            sock = super()._create_connected_socket(channel, identity)
        finally:
            self.context.sockopts.pop(zmq.MAXMSGSIZE, None)
        self._monitor = sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self._refusals = zmq.Socket.shadow(self._monitor.underlying)  # polled without the event loop
        return sock

    def reply_refused(self) -> bool:
        """True once the shell connection was dropped since the last :meth:`reconnect_shell`: a reply
        over ``reply_limit`` (or a kernel that died: ask its manager)."""
        return bool(self._refusals is not None and self._refusals.poll(0))

    def reconnect_shell(self) -> None:
        """A new shell connection after a refused reply (ZeroMQ does not reconnect after one)."""
        channel, self._shell_channel = self._shell_channel, None
        monitor, self._monitor, self._refusals = self._monitor, None, None
        if monitor is not None:
            with contextlib.suppress(zmq.ZMQError):
                channel.socket.disable_monitor()
            monitor.close(linger=0)
        if channel is not None:
            channel.close()
        self.shell_channel.start()

    @property
    def output_limit(self) -> int:
        """Bytes of outputs this kernel may produce (0: no cap), from its manager."""
        return int(getattr(self.parent, "output_limit", 0) or 0)

    @property
    def iopub_channel(self):  # type: ignore[override]
        channel = super().iopub_channel
        if self.output_limit and not getattr(channel, "_autograder_capped", False):
            get = channel.get_msg

            async def capped(*args: Any, **kwargs: Any):
                return self._cap(await get(*args, **kwargs))

            channel.get_msg = capped
            channel._autograder_capped = True
        return channel

    def _cap(self, msg: dict) -> dict:
        kind = msg.get("msg_type")
        if kind not in ("stream", "display_data", "execute_result", "update_display_data"):
            return msg
        content = msg.get("content") or {}
        size = len(content.get("text", "")) if kind == "stream" else len(json.dumps(content.get("data", {})))
        self._output_bytes += size
        limit = self.output_limit
        if not limit or self._output_bytes <= limit:
            return msg
        text = "" if self._output_noted else (
            f"\n[output truncated: this notebook printed more than {limit // 2**20} MB]\n")
        self._output_noted = True
        msg = dict(msg, msg_type="stream", header=dict(msg.get("header") or {}, msg_type="stream"))
        msg["content"] = {"name": "stdout", "text": text}
        return msg

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        from queue import Empty

        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(msg)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=0.01)
            except Empty:
                break


class WarmKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, with kernels forked from a warm zygote when possible."""

    client_class = DottedObjectName("autograder.isolate.kernels.WarmKernelClient", config=True)
    client_factory = Type(klass="autograder.isolate.kernels.WarmKernelClient", config=True)
    output_limit = Integer(0, help="Bytes of outputs one kernel may produce; more is cut with a note "
                                   "(0: no limit).").tag(config=True)
    reply_limit = Integer(-1, help="Bytes one shell reply of a kernel may take (answers exported for the "
                                   "trusted checks, a function's result); more is refused (-1: from the "
                                   "sandbox's writable space, see reply_bound; 0: no bound).").tag(config=True)

    @property
    def reply_bytes(self) -> int:
        """``reply_limit`` in bytes (0: no bound), derived from the writable space when -1."""
        if self.reply_limit >= 0:
            return self.reply_limit
        return reply_bound(int(self.sandbox_limits.get("writable") or _sandbox.Limits.writable))
    sandbox_course = Unicode("", help="Sandbox every kernel, hiding this course root "
                                      "(empty: no sandbox).").tag(config=True)
    sandbox_limits = Dict(help="autograder.isolate.sandbox.Limits fields for sandboxed kernels.").tag(config=True)
    sandbox_home_config = Unicode("", help="The nbgrader_config.py a sandboxed kernel's home gets "
                                           "(autograder.core.options.notebook_config_text).").tag(config=True)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # A killed kernel is gone within milliseconds: look more often than every 0.1 s.
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))

    sandbox_spec: "_sandbox.Spec | None" = None
    _snapshot: dict | None = None
    _ipc_folder: str | None = None

    async def _async_pre_start_kernel(self, **kw: Any):  # type: ignore[override]
        self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
        if self.provisioner is None:
            self.provisioner = WarmProvisioner(kernel_id=self.kernel_id,
                                               kernel_spec=self.kernel_spec, parent=self)
        if self.sandbox_course and self.sandbox_spec is None:
            # A private copy of the working folder, and unix sockets instead of TCP ports
            # (the kernel has no network): both in this worker's scratch space.
            cwd = str(kw.get("cwd") or os.getcwd())
            work, ipc, self._snapshot = _sandbox.new_kernel_dir(cwd)
            self.transport = "ipc"
            self.ip = os.path.join(ipc, "k")
            self.connection_file = os.path.join(ipc, "kernel.json")
            self.sandbox_spec = _sandbox.plan(self.sandbox_course, cwd, work, ipc,
                                              _sandbox.Limits(**self.sandbox_limits), self.sandbox_home_config)
        elif self._ipc_folder is None and self.transport == "tcp":
            # Unsandboxed, unix sockets too where there are some: TCP ports picked here and bound
            # by the kernel later can be taken in between by another worker's kernel, which then
            # dies before its first cell (about 1 kernel start in 1,000 with two workers).
            self._ipc_folder = private_socket_folder()
            if self._ipc_folder:
                self.transport = "ipc"
                self.ip = os.path.join(self._ipc_folder, "k")
                self.connection_file = os.path.join(self._ipc_folder, "kernel.json")
        result = await super()._async_pre_start_kernel(**kw)
        if self.sandbox_spec is not None:
            _sandbox.give_to(self.sandbox_spec.uid, self.sandbox_spec.work, self.sandbox_spec.ipc)
        return result

    async def _async_cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
        await super()._async_cleanup_resources(restart=restart)
        if self._ipc_folder and not restart:
            _sandbox.remove_tree(self._ipc_folder)
            self._ipc_folder = None
        spec = self.sandbox_spec
        if spec is not None and not restart:
            self.sandbox_spec = None
            try:
                skipped = _sandbox.copy_back(spec.work, spec.cwd, self._snapshot or {}, spec.limits.copy_back)
                WarmKernels.note_skipped(skipped)
            finally:
                _sandbox.remove_tree(os.path.dirname(spec.work))

    pre_start_kernel = _async_pre_start_kernel  # type: ignore[assignment]


_SOCKET_FOLDERS: Path | None = None


def private_socket_folder() -> str | None:
    """A new folder for one unsandboxed kernel's connection file and unix sockets, inside this
    worker's own (``<tmp>/autograder-sockets-<uid>/<pid>``, which the next worker removes if this
    one was killed); None where unix sockets cannot be used (Windows, a socket path too long, a
    parent folder someone else controls): the kernel then uses TCP, as jupyter_client does."""
    global _SOCKET_FOLDERS
    import stat
    import tempfile

    if os.name != "posix":
        return None
    try:
        if _SOCKET_FOLDERS is None or _SOCKET_FOLDERS.name != str(os.getpid()) or not _SOCKET_FOLDERS.is_dir():
            from autograder.core.pidfolders import owned_folder

            parent = Path(tempfile.gettempdir()) / f"autograder-sockets-{os.getuid()}"
            parent.mkdir(mode=0o700, exist_ok=True)
            info = os.lstat(parent)
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
                return None
            _SOCKET_FOLDERS = owned_folder(parent, "", reuse=True)
        folder = tempfile.mkdtemp(dir=_SOCKET_FOLDERS)
    except OSError:
        return None
    if len(os.path.join(folder, "k-99999")) > 100:  # a unix socket's path is at most 107 bytes
        os.rmdir(folder)
        return None
    return folder


def remove_socket_folders() -> None:
    """At the worker's end: its folder of unsandboxed kernels' sockets (each kernel's is gone already)."""
    global _SOCKET_FOLDERS
    if _SOCKET_FOLDERS is not None and _SOCKET_FOLDERS.name == str(os.getpid()):
        _sandbox.remove_tree(str(_SOCKET_FOLDERS))
    _SOCKET_FOLDERS = None


def _site_dirs() -> list[str]:
    paths = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    return [os.path.realpath(p) for p in paths]


def is_third_party(module: str) -> bool | None:
    """True for stdlib/site-packages modules, False for project code, None if not importable."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    origin = spec.origin or (list(spec.submodule_search_locations or [])[:1] or [None])[0]
    if origin in (None, "built-in", "frozen"):
        return True
    origin = os.path.realpath(origin)
    return any(origin.startswith(site + os.sep) for site in _site_dirs())


def notebook_imports(paths: list[Path]) -> list[str]:
    """Top-level module names imported by the code cells of these notebooks, in order.
    (Read as plain JSON: this runs before a run's first worker starts, nbformat is slow to import.)"""
    names: list[str] = []
    for path in paths:
        try:
            cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
        except Exception:  # noqa: BLE001
            continue
        for cell in cells:
            if not isinstance(cell, dict) or cell.get("cell_type") != "code":
                continue
            text = cell.get("source", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            source = "\n".join(line for line in text.splitlines()
                               if not line.lstrip().startswith(("%", "!")))
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found = [alias.name.split(".")[0] for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found = [node.module.split(".")[0]]
                else:
                    continue
                names.extend(n for n in found if n not in names)
    return names


def plan_preload(source_notebooks: list[Path]) -> tuple[list[str], list[str]]:
    """What a zygote imports ahead, and which of those it forgets again.

    Project modules (outside site-packages, e.g. the course's ``course`` library)
    are imported first, so that the environment they set before TensorFlow loads
    (quiet logs, thread limits) is in force, and then forgotten, so every notebook
    re-runs their import with its side effects (seeding). Third-party libraries
    stay imported. Libraries in :data:`NEVER_PRELOAD` are left to the notebook.
    """
    project, third = [], []
    for name in notebook_imports(source_notebooks):
        if name in NEVER_PRELOAD:
            continue
        kind = is_third_party(name)
        if kind is None:
            continue
        (third if kind else project).append(name)
    return project + third, project
