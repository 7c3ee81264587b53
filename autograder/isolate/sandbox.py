"""The grading sandbox: what a student's code can reach while its notebook is graded.

Every kernel ``autograder grade`` starts runs, on Linux, in new mount, network,
PID, IPC and UTS namespaces, as an unprivileged user of its own, with limits:

* the system and the Python environment are visible **read-only**; of the course
  directory the kernel sees *nothing* but a private, writable copy of its own
  working folder (``autograded/<student>/<assignment>``): the course root, the
  instructor's home and the project folders of editable installs are hidden under
  empty tmpfs mounts, and only what Python needs (``sys.prefix``, the base
  interpreter, editable-installed packages) is bound back read-only;
* private ``/tmp``, ``/dev/shm`` and home (``HOME=/tmp/home``), an empty ``/run`` (no
  service's unix socket), a fresh ``/proc``;
* no network (an empty network namespace); the worker talks to the kernel over
  jupyter_client's ``ipc`` transport (unix sockets in a folder bound into both);
* its own PID namespace: when the kernel ends, everything it started ends too;
* a uid/gid of its own (no groups, no capabilities, ``no_new_privs``) and limits on
  memory (address space), processes, file size and open files.

Warm kernels (forked from the zygote, no ``exec``) enter it with Linux system calls
(:func:`unshare_namespaces` in the zygote's middle child, :func:`enter` in the
kernel); cold kernels (``--cold``) are started under Debian's ``bubblewrap``
(:func:`bwrap_argv`) and drop privileges with ``python -m autograder.isolate.sandbox``.
After the kernel ends the worker copies back the regular files the notebook created
or changed (:func:`copy_back`), so ``autograded/`` looks as under stock nbgrader.

A grader who is not root (an instructor in their JupyterHub server) gets the same sandbox
from a user namespace of its own (:func:`enter_user_namespace`): the worker becomes root of
that namespace, with the subordinate user and group ids ``/etc/subuid`` and ``/etc/subgid``
grant the instructor (mapped by Debian's setuid ``newuidmap``/``newgidmap``, package
``uidmap``), so each kernel still runs as a user id of its own that owns nothing outside.

Where namespaces are missing (macOS, Windows, a locked-down container, no subordinate ids),
:func:`available` says why and ``autograder grade`` refuses unless ``--unsandboxed``.
Setting ``AUTOGRADER_NO_NAMESPACES=1`` makes this machine count as one without.
"""
from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.isolate.process import PR_SET_NO_NEW_PRIVS, die_with_parent, prctl

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 18, 1 << 21, 1 << 24
OPTION_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
                "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}

DISABLE_ENV = "AUTOGRADER_NO_NAMESPACES"
#: Where each worker mounts its own private tmpfs for kernel copies and sockets.
SCRATCH = Path(tempfile.gettempdir()) / "autograder-scratch"
#: The kernel's home inside the sandbox (on its private /tmp).
HOME = "/tmp/home"
#: Exit code base an init process uses to report "the kernel was killed by signal N".
SIGNAL_EXIT = 128


@dataclass
class Limits:
    """Per-kernel resource limits (bytes or counts; None: no limit)."""

    memory: int | None = None          # address space (``--memory-limit``)
    processes: int = 512               # processes and threads of the kernel's user
    file_size: int = 64 * 2**20        # largest file it can write
    open_files: int = 1024
    output: int = 16 * 2**20           # total bytes of outputs one notebook may produce
    copy_back: int = 32 * 2**20        # total bytes copied back to autograded/
    #: RAM-backed writable space (tmpfs, outside ``memory``): half for the kernel's /tmp, /var/tmp
    #: and /dev/shm (:func:`temp_sizes`), half for the worker's scratch (:func:`scratch_size`).
    writable: int = 512 * 2**20


#: Bytes of a worker's scratch beyond its kernel's share: sockets and the gradebook copy.
SCRATCH_EXTRA = 256 * 2**20


def temp_sizes(writable: int) -> dict[str, int]:
    """Sizes of the kernel's private temp mounts: together half of ``writable`` (the rest of any
    other temp folder, such as a ``TMPDIR`` elsewhere, gets /var/tmp's share)."""
    half = writable // 2
    return {"/tmp": half * 3 // 4, "/var/tmp": half // 8, "/dev/shm": half // 8}


def scratch_size(writable: int) -> int:
    """The worker's scratch: its kernel's copy of the submission folder (half of ``writable``) and extras."""
    return writable // 2 + SCRATCH_EXTRA


@dataclass
class Spec:
    """Everything the sandbox of one kernel needs, as plain data (sent to the zygote)."""

    cwd: str                           # the kernel's working directory (as nbgrader chose it)
    work: str                          # its private writable copy (bound at ``cwd``)
    ipc: str                           # folder of the connection file and unix sockets
    uid: int
    hide: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    home_config: str = ""              # the kernel's ~/.jupyter/nbgrader_config.py (what notebooks may read)

    def home_files(self) -> dict[str, bytes]:
        """What the kernel's fresh home starts with: the font list, and the course settings it may read."""
        files = font_cache()
        if self.home_config:
            files[".jupyter/nbgrader_config.py"] = self.home_config.encode()
        return files

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> "Spec":
        data = dict(data)
        data["limits"] = Limits(**data.get("limits", {}))
        return cls(**data)


# -- system calls ------------------------------------------------------------------
_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare_namespaces(flags: int = NAMESPACES) -> None:
    """New namespaces for this process (PID: for its next child)."""
    _check(_libc().unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    _check(_libc().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


# -- can this machine sandbox? -----------------------------------------------------
def available(cold: bool = False) -> tuple[bool, str]:
    """(True, "") if kernels can be sandboxed here, else (False, why not)."""
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        return False, f"namespaces are declared unavailable ({DISABLE_ENV} is set)"
    if not sys.platform.startswith("linux"):
        return False, f"{sys.platform} has no Linux namespaces"
    rootless = os.geteuid() != 0
    if rootless:
        why = _subordinate_ids_missing()
        if why:
            return False, why
        if cold:
            return False, "--cold kernels need root (bubblewrap's privileges); warm kernels work without"
    if cold and not shutil.which("bwrap"):
        return False, "--cold kernels need bubblewrap (`apt-get install bubblewrap`)"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            if rootless:
                enter_user_namespace()
            unshare_namespaces()
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return False, ("this system refuses new user/mount/network/PID namespaces (a locked-down container?)"
                       if rootless else
                       "this system refuses new mount/network/PID namespaces (a locked-down container?)")
    return True, ""


# -- a grader who is not root: a user namespace with subordinate ids ----------------------
CLONE_NEWUSER = 0x10000000
#: Fewest subordinate ids a grader needs: kernel uids are picked among them.
MIN_SUBORDINATE_IDS = 256
SUBORDINATE_FILES = {"uid": "/etc/subuid", "gid": "/etc/subgid"}


def subordinate_range(kind: str, name: str, number: int, path: str | None = None) -> tuple[int, int] | None:
    """(first, count) of the largest range ``/etc/subuid`` (kind "uid") or ``/etc/subgid``
    grants the user ``name`` (or ``number``), or None."""
    best = None
    try:
        with open(path or SUBORDINATE_FILES[kind]) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    for line in lines:
        owner, _, rest = line.strip().partition(":")
        first, _, count = rest.partition(":")
        if owner not in (name, str(number)) or not (first.isdigit() and count.isdigit()):
            continue
        if best is None or int(count) > best[1]:
            best = (int(first), int(count))
    return best


def _me() -> tuple[str, int, int]:
    import pwd

    uid = os.geteuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = str(uid)
    return name, uid, os.getegid()


def _subordinate_ids_missing() -> str:
    """Why this user cannot map subordinate ids ("" if it can)."""
    name, uid, gid = _me()
    tools = [t for t in ("newuidmap", "newgidmap") if not _tool(t)]
    grant = (f"as root: `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {name}`")
    if tools:
        return (f"the sandbox needs root, or subordinate user ids for you ({' and '.join(tools)} missing: "
                f"as root, `apt-get install uidmap`, then {grant.removeprefix('as root: ')})")
    for kind, number in (("uid", uid), ("gid", gid)):
        found = subordinate_range(kind, name, number)
        if found is None or found[1] < MIN_SUBORDINATE_IDS:
            return (f"the sandbox needs root, or subordinate user ids for you: {SUBORDINATE_FILES[kind]} "
                    f"grants {name} {'none' if found is None else found[1]} (at least "
                    f"{MIN_SUBORDINATE_IDS} needed); {grant}")
    return ""


def _tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin")


def enter_user_namespace() -> None:
    """Become root of a new user namespace whose other ids are this user's subordinate ids.

    Outside, every file this process writes still belongs to the user; inside, it may make
    the mount, network and PID namespaces of a sandbox and give each kernel an id of its own
    (see :func:`kernel_uid`). The map is written by the setuid ``newuidmap``/``newgidmap``
    from a helper process, as a process cannot map ids it does not own. Call before any thread.
    """
    name, uid, gid = _me()
    ranges = {kind: subordinate_range(kind, name, number) for kind, number in (("uid", uid), ("gid", gid))}
    if None in ranges.values():
        raise OSError(errno.EPERM, _subordinate_ids_missing() or "no subordinate ids")
    go_read, go_write = os.pipe()
    done_read, done_write = os.pipe()
    helper = os.fork()
    if helper == 0:  # pragma: no cover - child: waits for the unshare, then maps the parent's ids
        os.close(go_write)
        os.close(done_read)
        os.read(go_read, 1)
        target, report = str(os.getppid()), b""
        for kind, own in (("uid", uid), ("gid", gid)):
            first, count = ranges[kind]  # type: ignore[misc]
            result = subprocess.run([_tool(f"new{kind}map") or f"new{kind}map", target,
                                     "0", str(own), "1", "1", str(first), str(count)],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                report += f"new{kind}map: {(result.stderr or result.stdout).strip()}\n".encode()
        os.write(done_write, report or b"ok")
        os._exit(0)
    os.close(go_read)
    os.close(done_write)
    try:
        unshare_namespaces(CLONE_NEWUSER)
    finally:
        os.write(go_write, b"x")
        os.close(go_write)
        answer = os.read(done_read, 4096)
        os.close(done_read)
        os.waitpid(helper, 0)
    if answer != b"ok":
        raise OSError(errno.EPERM, f"cannot map subordinate ids: {answer.decode(errors='replace').strip()}")
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)


# -- what the kernel may see -------------------------------------------------------
def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@functools.lru_cache(maxsize=None)
def _editable_packages() -> tuple[str, ...]:
    """Folders of top-level packages installed in editable mode (found as Python finds them)."""
    import importlib.metadata
    import importlib.util

    found = []
    for dist in importlib.metadata.distributions():
        try:
            direct = json.loads(dist.read_text("direct_url.json") or "{}")
        except (ValueError, OSError):
            continue
        if not direct.get("dir_info", {}).get("editable"):
            continue
        for name in (dist.read_text("top_level.txt") or "").split():
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                continue
            if spec is None:
                continue
            locations = list(spec.submodule_search_locations or [])
            if locations:
                found.extend(os.path.realpath(p) for p in locations)
            elif spec.origin and os.path.isfile(spec.origin):
                found.append(os.path.realpath(spec.origin))
    return tuple(found)


@functools.lru_cache(maxsize=None)
def _python_paths() -> tuple[str, ...]:
    paths = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    paths.update(_editable_packages())
    return tuple(sorted(p for p in paths if os.path.exists(p)))


def python_paths() -> list[str]:
    """What the kernel's Python needs read-only: its prefixes and editable packages."""
    return list(_python_paths())


def hidden_paths(course_root: str | Path) -> list[str]:
    """Folders replaced by empty tmpfs mounts: the course, the home folder, temp folders,
    and the project folders of editable installs (e.g. another checkout of the course)."""
    hide = {os.path.realpath(course_root), os.path.realpath(os.path.expanduser("~"))}
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}
    for package in _editable_packages():
        parent = os.path.dirname(package)
        if parent != "/" and not any(_inside(parent, p) for p in prefixes):
            hide.add(parent)
    # temp folders; /run holds services' unix sockets (a database's, a container engine's)
    hide.update(os.path.realpath(p) for p in ("/tmp", "/var/tmp", "/dev/shm", "/run", "/var/run",
                                              tempfile.gettempdir()))
    return sorted(p for p in hide if p not in ("/", "") and os.path.isdir(p))


_UIDS = iter(range(1 << 20))


def _mapped_ids() -> tuple[int, int]:
    """(first, count) of the ids this user namespace maps besides its root (the largest range)."""
    best = (1, 0)
    with open("/proc/self/uid_map") as handle:
        for line in handle:
            inside, _, count = (int(x) for x in line.split())
            if inside == 0:
                inside, count = 1, count - 1
            if count > best[1]:
                best = (inside, count)
    return best


def kernel_uid() -> int:
    """A user id no other process uses: one per kernel (so process limits count per kernel).
    In a grader's own user namespace (not root), one of its subordinate ids."""
    serial = ((os.getpid() % (1 << 22)) << 8) + next(_UIDS) % 256
    first, count = _mapped_ids()
    if count >= 1 << 31:  # the initial namespace: every id is mapped
        return 1_000_000 + serial
    return first + serial % count


def plan(course_root: str | Path, cwd: str, work: str, ipc: str, limits: Limits, home_config: str = "") -> Spec:
    return Spec(cwd=os.path.realpath(cwd), work=work, ipc=ipc, uid=kernel_uid(), home_config=home_config,
                hide=hidden_paths(course_root), keep=python_paths(), limits=limits)


# -- the worker's scratch space ----------------------------------------------------
def private_scratch(size: int = scratch_size(Limits.writable)) -> Path:
    """Give this worker (and its zygote and kernels) a private tmpfs at :data:`SCRATCH`.

    It lives in a mount namespace of the worker's own, so it vanishes with the worker:
    even a ``kill -9`` of the run leaves no kernel copy or socket behind.
    Call before the process starts any thread. A worker that is not root first enters a user
    namespace of its own (:func:`enter_user_namespace`).
    """
    if os.geteuid() != 0:
        enter_user_namespace()
    unshare_namespaces(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    SCRATCH.mkdir(mode=0o755, exist_ok=True)
    mount("autograder", str(SCRATCH), "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(size)},mode=0755")
    return SCRATCH


def new_kernel_dir(cwd: str) -> tuple[str, str, dict]:
    """A private copy of ``cwd`` and an ipc folder in the scratch space; (work, ipc, snapshot)."""
    base = tempfile.mkdtemp(prefix="k", dir=SCRATCH if SCRATCH.is_mount() else None)
    os.chmod(base, 0o755)
    work, ipc = os.path.join(base, "work"), os.path.join(base, "ipc")
    os.mkdir(ipc)
    snapshot = copy_in(cwd, work)
    return work, ipc, snapshot


def give_to(uid: int, *paths: str) -> None:
    """Let the kernel's user own its copy, its socket folder and its connection file."""
    for top in paths:
        os.lchown(top, uid, uid)
        for folder, dirs, files in os.walk(top):
            for name in dirs + files:
                os.lchown(os.path.join(folder, name), uid, uid)


def _digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def copy_in(cwd: str, work: str) -> dict[str, str]:
    """Copy the kernel's folder (regular files and folders only); return {relpath: sha256}."""
    snapshot: dict[str, str] = {}
    os.mkdir(work)
    for folder, dirs, files in os.walk(cwd):
        rel = os.path.relpath(folder, cwd)
        for name in dirs:
            if not os.path.islink(os.path.join(folder, name)):
                os.makedirs(os.path.join(work, rel, name), exist_ok=True)
        for name in files:
            source = os.path.join(folder, name)
            if os.path.islink(source) or not os.path.isfile(source):
                continue
            shutil.copyfile(source, os.path.join(work, rel, name))
            snapshot[os.path.normpath(os.path.join(rel, name))] = _digest(source)
    return snapshot


def copy_back(work: str, cwd: str, snapshot: dict[str, str], limit: int) -> list[str]:
    """Copy regular files the kernel created or changed back into ``cwd`` (up to ``limit`` bytes
    in all; no symlinks, nothing outside ``cwd``); delete files it deleted. Returns what was skipped."""
    skipped, total = [], 0
    cwd_real = os.path.realpath(cwd)
    seen = set()
    for folder, dirs, files in os.walk(work):
        for name in [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            skipped.append(f"{os.path.relpath(os.path.join(folder, name), work)}: a symbolic link")
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in files:
            source = os.path.join(folder, name)
            rel = os.path.normpath(os.path.relpath(source, work))
            seen.add(rel)
            st = os.lstat(source)
            if not stat.S_ISREG(st.st_mode):
                skipped.append(f"{rel}: not a regular file (a symbolic link?)")
                continue
            if snapshot.get(rel) == _digest(source):
                continue
            if total + st.st_size > limit:
                skipped.append(f"{rel}: over the {limit / 2**20:g} MB copy-back limit")
                continue
            total += st.st_size
            dest = os.path.join(cwd_real, rel)
            parent = os.path.realpath(os.path.dirname(dest))
            if not _inside(parent, cwd_real) or os.path.islink(dest):
                skipped.append(f"{rel}: outside the submission folder")
                continue
            os.makedirs(parent, exist_ok=True)
            if not _inside(os.path.realpath(parent), cwd_real):
                skipped.append(f"{rel}: outside the submission folder")
                continue
            shutil.copyfile(source, dest)
    for rel in snapshot:
        if rel not in seen and not rel.endswith(".ipynb"):
            dest = os.path.join(cwd_real, rel)
            if os.path.isfile(dest) and not os.path.islink(dest):
                os.remove(dest)
    return skipped


def remove_tree(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


# -- inside: mounts, limits, user ----------------------------------------------------
def _mount_points() -> list[tuple[str, int]]:
    points = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            target = fields[4].encode().decode("unicode_escape")
            flags = 0
            for option in fields[5].split(","):
                flags |= OPTION_FLAGS.get(option, 0)
            points.append((target, flags))
    return points


def _read_only_everything() -> None:
    for target, flags in sorted(_mount_points(), key=lambda p: p[0].count("/")):
        try:
            mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
        except OSError:
            pass  # e.g. a mount point hidden under another one


def _bind(fd: int, target: str, writable: bool) -> None:
    if not os.path.exists(target):
        os.makedirs(target, exist_ok=True) if os.path.isdir(f"/proc/self/fd/{fd}") else open(target, "a").close()
    mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (0 if writable else MS_RDONLY))


def setup_filesystem(spec: Spec) -> None:
    """In the new mount namespace (as root): read-only system, hidden course, private copies."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    keep = [p for p in spec.keep if any(_inside(p, h) for h in spec.hide)]
    fds = {p: os.open(p, os.O_PATH) for p in keep}
    work_fd, ipc_fd = os.open(spec.work, os.O_PATH), os.open(spec.ipc, os.O_PATH)
    _read_only_everything()
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    sizes = temp_sizes(spec.limits.writable)
    for path in sorted(spec.hide, key=len):
        if not os.path.isdir(path):
            continue  # already under a hidden folder
        world = path in ("/tmp", "/var/tmp", "/dev/shm") or path == tempfile.gettempdir()
        size = sizes.get(path, sizes["/var/tmp"])
        options = f"mode=1777,size={size}" if world else "mode=0755,size=1m"
        mount("sandbox", path, "tmpfs", MS_NOSUID | MS_NODEV, options)
    for path in sorted(keep, key=len):
        _bind(fds[path], path, writable=False)
    _bind(ipc_fd, spec.ipc, writable=True)
    _bind(work_fd, spec.cwd, writable=True)
    for fd in [*fds.values(), work_fd, ipc_fd]:
        os.close(fd)


def apply_limits(limits: Limits) -> None:
    def cap(kind: int, value: int | None) -> None:
        if value:
            hard = resource.getrlimit(kind)[1]
            value = min(value, hard) if hard != resource.RLIM_INFINITY else value
            resource.setrlimit(kind, (value, value))

    cap(resource.RLIMIT_AS, limits.memory)
    cap(resource.RLIMIT_NPROC, limits.processes)
    cap(resource.RLIMIT_FSIZE, limits.file_size)
    cap(resource.RLIMIT_NOFILE, limits.open_files)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_privileges(uid: int, home_files: dict[str, bytes] | None = None) -> None:
    """Become ``uid``/``uid`` with no groups; no capabilities, no way to gain privileges.
    Then make the private home, holding ``home_files`` ({path in the home: bytes})."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # from root to another uid: every capability is cleared
    prctl(PR_SET_NO_NEW_PRIVS, 1, strict=True)
    os.makedirs(HOME, mode=0o700, exist_ok=True)
    for name, data in (home_files or {}).items():
        path = os.path.join(HOME, name)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)


#: matplotlib's font list cache: what the kernel's fresh home starts with (MPLCONFIGDIR below).
MATPLOTLIB_HOME = ".matplotlib"
FONT_CACHE_LIMIT = 8 << 20


def font_cache() -> dict[str, bytes]:
    """This user's matplotlib font list (``fontlist-v*.json``), to seed each kernel's home with.

    A fresh home has none, and matplotlib would rebuild it by scanning every system font at
    the first ``import matplotlib.pyplot`` of every notebook (about 0.1 s each). The list
    describes the system's fonts, which the kernel sees read-only anyway; a font it cannot
    open makes matplotlib rebuild the list, as it always does. Read before the home is hidden.
    """
    folder = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")
    found: dict[str, bytes] = {}
    try:
        names = sorted(n for n in os.listdir(folder) if n.startswith("fontlist-v") and n.endswith(".json"))
    except OSError:
        return found
    for name in names:
        path = os.path.join(folder, name)
        try:
            if os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) <= FONT_CACHE_LIMIT:
                with open(path, "rb") as handle:
                    found[os.path.join(MATPLOTLIB_HOME, name)] = handle.read()
        except OSError:
            continue
    return found


def clean_environment(env: dict[str, str]) -> dict[str, str]:
    """The kernel's environment: the one nbclient asked for, with a private home and temp."""
    env = {k: v for k, v in env.items() if k not in ("JPY_PARENT_PID", "TMPDIR", "XDG_RUNTIME_DIR")}
    env.update(HOME=HOME, TMPDIR="/tmp", IPYTHONDIR=HOME + "/.ipython", JUPYTER_CONFIG_DIR=HOME + "/.jupyter",
               MPLCONFIGDIR=HOME + "/" + MATPLOTLIB_HOME, USER="student", LOGNAME="student")
    return env


def _parent_pid_on_host() -> int:
    """Our parent as the host sees it (``getppid`` says 0 to a namespace's PID 1)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("PPid:"):
                return int(line.split()[1])
    return 0


def wait_for_adoption(reaper: int, seconds: float = 5.0) -> bool:
    """Wait until the worker (a child subreaper) has adopted this process."""
    deadline = time.monotonic() + seconds
    while _parent_pid_on_host() != reaper:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.0005)
    return True


def _init(kernel: int) -> None:
    """PID 1 of the kernel's namespace: reap everything; end (and so end them all) with the kernel."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
        if pid == kernel:
            if os.WIFSIGNALED(status):
                os._exit(SIGNAL_EXIT + os.WTERMSIG(status))
            os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def enter(spec: Spec) -> None:
    """In a process that is PID 1 of fresh namespaces (see :func:`unshare_namespaces`):
    set up the filesystem, then fork; this process stays as the namespace's init and the
    child returns, as the sandboxed, unprivileged kernel process, in ``spec.cwd``."""
    home_files = spec.home_files()
    setup_filesystem(spec)
    try:
        os.sethostname("sandbox")
    except (OSError, AttributeError):
        pass
    kernel = os.fork()
    if kernel:
        _init(kernel)  # never returns
    die_with_parent(strict=True)
    if os.getppid() != 1:
        os._exit(70)
    apply_limits(spec.limits)
    drop_privileges(spec.uid, home_files)
    os.chdir(spec.cwd)


class DecodedProcess:
    """A ``Popen`` of bubblewrap whose return code says how the kernel inside ended
    (bubblewrap exits with 128 + N when its child was killed by signal N)."""

    def __init__(self, popen):
        self._popen = popen

    def __getattr__(self, name: str):
        return getattr(self._popen, name)

    @property
    def returncode(self) -> int | None:
        return decode_exit(self._popen.returncode)

    def poll(self) -> int | None:
        return decode_exit(self._popen.poll())

    def wait(self, timeout: float | None = None) -> int | None:
        return decode_exit(self._popen.wait(timeout))


def decode_exit(code: int | None) -> int | None:
    """The kernel's own return code from its init's exit code (negative: killed by a signal)."""
    if code is not None and code > SIGNAL_EXIT and code - SIGNAL_EXIT < 65:
        return -(code - SIGNAL_EXIT)
    return code


# -- cold kernels: bubblewrap ---------------------------------------------------------
def bwrap_argv(spec: Spec, argv: list[str]) -> list[str]:
    """``bwrap ... python -m autograder.isolate.sandbox SPEC -- ARGV``: the same sandbox for a stock kernel."""
    args = ["bwrap", "--die-with-parent", "--unshare-net", "--unshare-pid", "--unshare-ipc",
            "--unshare-uts", "--hostname", "sandbox", "--ro-bind", "/", "/", "--dev", "/dev",
            "--proc", "/proc"]
    sizes = temp_sizes(spec.limits.writable)
    for path in sorted(spec.hide, key=len):
        world = path in ("/tmp", "/var/tmp", "/dev/shm") or path == tempfile.gettempdir()
        size = sizes.get(path, sizes["/var/tmp"]) if world else 2**20
        args += ["--perms", "1777" if world else "0755", "--size", str(size), "--tmpfs", path]
    args += ["--perms", "1777", "--size", str(sizes["/dev/shm"]), "--tmpfs", "/dev/shm"]
    binds = [p for p in spec.keep if any(_inside(p, h) for h in spec.hide)] + [spec.ipc, spec.cwd]
    parents = sorted({str(a) for p in binds for a in Path(p).parents
                if any(_inside(str(a), h) and str(a) != h for h in spec.hide)}, key=len)
    for parent in parents:  # bubblewrap would make them 0700: the kernel's user could not pass
        args += ["--perms", "0755", "--dir", parent]
    for path in sorted(spec.keep, key=len):
        if any(_inside(path, h) for h in spec.hide):
            args += ["--ro-bind", path, path]
    args += ["--bind", spec.ipc, spec.ipc, "--bind", spec.work, spec.cwd, "--chdir", spec.cwd,
             "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--"]
    return args + [sys.executable, "-m", "autograder.isolate.sandbox", spec.to_json(), "--", *argv]


def main(argv: list[str]) -> int:
    """Inside bubblewrap: apply the limits, drop to the kernel's user, exec the kernel."""
    spec = Spec.from_dict(json.loads(argv[0]))
    command = argv[argv.index("--") + 1:]
    apply_limits(spec.limits)
    drop_privileges(spec.uid, spec.home_files())
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        print(f"autograder.isolate.sandbox: cannot start {command[0]}: {exc}", file=sys.stderr)
        return 127 if exc.errno == errno.ENOENT else 126


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
