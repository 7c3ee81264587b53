"""``python3 tasks.py hub``: serve the course to a class from a real JupyterHub on this machine.

Standard library only (``tasks.py`` runs it before any environment exists). What it does, in order:

1. an environment every account can run: as root, a virtual environment from a system Python
   (Debian's ``/usr/bin/python3.11``: the ``python3`` one may find first can live under root's
   private home) in ``/opt/keras-course-hub/venv``, with JupyterHub and this course installed,
   rebuilt only when the course or its dependencies change; as a normal user, ``.venv``;
2. ``configurable-http-proxy`` from npm (``npm install --prefix``), once;
3. as root: the Linux accounts (private homes), nbgrader's shared exchange in a system folder,
   each instructor's copy of the course in their home with every lesson released;
   as a normal user: one-account demo mode (no isolation between accounts);
4. ``jupyterhub -f hub/jupyterhub_config.py`` in place of this process, so Ctrl-C and SIGTERM
   reach the hub, which stops the proxy, every user server and the formgrader services.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from classplan import ClassPlan, make_plan  # noqa: E402

ROOT = HERE.parent
#: JupyterHub's current major version (the tests and the docs were checked against 6.1).
JUPYTERHUB = "jupyterhub>=6,<7"
PROXY_PACKAGE = "configurable-http-proxy@^5"
INSTALL_DIR = Path("/opt/keras-course-hub")
STATE_DIR = Path("/srv/keras-course-hub")
EXCHANGE_ROOT = "/srv/nbgrader/exchange"
#: Pythons the course installs on, newest first (pyproject.toml's requires-python).
SYSTEM_PYTHONS = ["/usr/bin/python3.13", "/usr/bin/python3.12", "/usr/bin/python3.11",
                  "/usr/local/bin/python3.13", "/usr/local/bin/python3.12", "/usr/local/bin/python3.11"]
#: What an instructor's copy of the course holds (their gradebook and submissions go beside).
COURSE_FILES = ["nbgrader_config.py", "source", "release", "README.md"]
#: Instructor material the graders read from the course directory (course/answer_key.py): only
#: in the instructor's copy, in their private home; never in the environment students' servers use.
INSTRUCTOR_FILES = ["answer_keys"]
DEMO_LABEL = "DEMO MODE: every account runs as one user, with no isolation between accounts."


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python3 tasks.py hub",
        description="Serve this course to a class from a JupyterHub on this machine: accounts "
                    "instructor and student1..N, nbgrader's exchange, the formgrader service.")
    parser.add_argument("--port", type=int, default=8000, help="the hub's public port (default 8000)")
    parser.add_argument("--ip", default="127.0.0.1",
                        help="the address to listen on (default 127.0.0.1; 0.0.0.0 for a class "
                             "network, behind HTTPS)")
    parser.add_argument("--students", type=int, default=3, help="how many student accounts (default 3)")
    parser.add_argument("--password", help="the demo password of every account (default: a random "
                                           "one, printed once)")
    parser.add_argument("--second-course", metavar="COURSE_ID",
                        help="also serve this course id (another section) with its own instructor2 "
                             "and students")
    parser.add_argument("--account-prefix", default="", help=argparse.SUPPRESS)  # tests: kstest-
    parser.add_argument("--state-dir", type=Path, help="the hub's database, cookie secret and "
                                                       f"settings (default {STATE_DIR}, or .hub/ "
                                                       "in demo mode)")
    parser.add_argument("--exchange-root", help=f"nbgrader's exchange (default {EXCHANGE_ROOT})")
    parser.add_argument("--install-dir", type=Path, default=INSTALL_DIR,
                        help=f"the hub's Python environment and proxy (default {INSTALL_DIR})")
    args = parser.parse_args(argv)
    if args.password is not None and len(args.password) < 8:
        parser.error("--password needs at least 8 characters (JupyterHub's minimum)")
    if args.students < 1:
        parser.error("--students must be at least 1")
    return args


# --------------------------------------------------------------------------- environments

def reachable_by_everyone(path: Path) -> bool:
    """Whether another Linux user can run ``path``: every folder above it is world-searchable."""
    real = Path(os.path.realpath(path))
    if not os.access(real, os.X_OK) or not real.stat().st_mode & 0o001:
        return False
    return all(parent.stat().st_mode & 0o001 for parent in real.parents)


def shared_python() -> str:
    """A Python 3.11-3.13 that every account can run, with a working ``venv`` module."""
    candidates = [sys.executable, getattr(sys, "_base_executable", sys.executable), *SYSTEM_PYTHONS]
    for candidate in candidates:
        if not candidate or not os.path.exists(candidate) or not reachable_by_everyone(Path(candidate)):
            continue
        check = subprocess.run([candidate, "-c", "import sys, venv, ensurepip; "
                                "print(sys.version_info[:2] >= (3, 11) and sys.version_info[:2] <= (3, 13))"],
                               capture_output=True, text=True)
        if check.returncode == 0 and check.stdout.strip() == "True":
            return os.path.realpath(candidate)
    sys.exit("No Python 3.11-3.13 that other Linux users can run was found (this one lives in a "
             "private folder). Install Debian's: `apt-get install python3.11 python3.11-venv`.")


def package_fingerprint(python: str) -> str:
    """Changes when the course package, its dependencies or the interpreter change."""
    digest = hashlib.sha256(python.encode())
    digest.update(JUPYTERHUB.encode())
    for path in [ROOT / "pyproject.toml", *sorted((ROOT / "course").rglob("*")),
                 *sorted((ROOT / "autograder").rglob("*"))]:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_hub_environment(install_dir: Path, run) -> Path:
    """``install_dir/venv``: JupyterHub, JupyterLab, nbgrader and the course, usable by all.

    The course is installed as a copy (not editable), so no account needs to read this checkout.
    """
    import fcntl

    venv_dir = install_dir / "venv"
    python = shared_python()
    stamp = venv_dir / ".install-stamp"
    fingerprint = package_fingerprint(python)
    install_dir.mkdir(parents=True, exist_ok=True)
    with open(install_dir / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two hubs starting at once install one after the other
        if stamp.exists() and stamp.read_text() == fingerprint and (venv_dir / "bin" / "jupyterhub").exists():
            return venv_dir
        return _install_hub_environment(install_dir, venv_dir, python, fingerprint, stamp, run)


def _install_hub_environment(install_dir: Path, venv_dir: Path, python: str, fingerprint: str,
                             stamp: Path, run) -> Path:
    print(f"Installing the hub's environment in {venv_dir} (first run: a few minutes) ...", flush=True)
    install_dir.mkdir(parents=True, exist_ok=True)
    install_dir.chmod(0o755)
    if not (venv_dir / "bin" / "python").exists():
        run([python, "-m", "venv", venv_dir])
    pip = [venv_dir / "bin" / "python", "-m", "pip", "install", "--quiet"]
    run([*pip, "--upgrade", "pip"])
    build = install_dir / "build"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir()
    for name in ["pyproject.toml", "README.md", "LICENSE", "course", "autograder"]:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, build / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, build / name)
    run([*pip, JUPYTERHUB, f"{build}[hub]"])
    shutil.rmtree(build, ignore_errors=True)
    stamp.write_text(fingerprint)
    return venv_dir


#: JupyterLab settings for everyone on the hub: no "Jupyter news?" question over the lesson,
#: and a lesson opens with its Python kernel started (no "Select Kernel" dialog).
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                                  "checkForUpdates": False},
                 "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True}}


def write_lab_overrides(venv_dir: Path) -> None:
    settings = venv_dir / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=2))


def ensure_proxy(prefix: Path, run) -> Path:
    """``configurable-http-proxy`` from npm in ``prefix`` (installed once)."""
    command = prefix / "node_modules" / ".bin" / "configurable-http-proxy"
    if command.exists():
        return command
    if shutil.which("npm") is None:
        sys.exit("npm is missing: JupyterHub's proxy (configurable-http-proxy) comes from npm. "
                 "Install Node.js 18 or newer (Debian: `apt-get install nodejs npm`).")
    print(f"Installing configurable-http-proxy into {prefix} ...", flush=True)
    prefix.mkdir(parents=True, exist_ok=True)
    run(["npm", "install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error",
         PROXY_PACKAGE])
    return command


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- accounts and files

def ensure_account(name: str) -> pwd.struct_passwd:
    """A Linux user with a private home (created if missing; never a password login)."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd", path="/usr/sbin:/usr/bin:/sbin:/bin") or "useradd"
        subprocess.run([useradd, "--create-home", "--user-group", "--shell", "/bin/bash", name],
                       check=True)
        account = pwd.getpwnam(name)
    os.chmod(account.pw_dir, 0o700)
    return account


#: Subordinate ids granted to an instructor who has none: how many, and the lowest first id.
SUBORDINATE_COUNT, SUBORDINATE_FLOOR = 65536, 100000


def ensure_grading_sandbox(account: pwd.struct_passwd) -> None:
    """Let an instructor (not root) grade in autograder's sandbox: Debian's ``uidmap`` (setuid
    ``newuidmap``/``newgidmap``) and subordinate user and group ids of their own in
    ``/etc/subuid`` and ``/etc/subgid``, as rootless containers use (``useradd`` grants them to
    new accounts once ``uidmap`` is installed; older accounts get a free range here)."""
    if not shutil.which("newuidmap", path="/usr/bin:/bin:/usr/sbin:/sbin"):
        print("Installing Debian's uidmap (the grading sandbox for instructors) ...", flush=True)
        install = ["apt-get", "install", "-y", "-q", "uidmap"]
        if shutil.which("apt-get") and subprocess.run(install).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"])
            subprocess.run(install)
        if not shutil.which("newuidmap", path="/usr/bin:/bin:/usr/sbin:/sbin"):
            print("warning: newuidmap is missing (Debian package uidmap): instructors can grade only "
                  "with `autograder grade --unsandboxed`.", flush=True)
            return
    ranges = {}
    for path in ("/etc/subuid", "/etc/subgid"):
        lines = Path(path).read_text().splitlines() if Path(path).exists() else []
        mine = [line for line in lines if line.split(":")[0] in (account.pw_name, str(account.pw_uid))]
        ends = [int(f[1]) + int(f[2]) for f in (line.split(":") for line in lines)
                if len(f) == 3 and f[1].isdigit() and f[2].isdigit()]
        ranges[path] = None if mine else max([SUBORDINATE_FLOOR, *ends])
    if all(first is None for first in ranges.values()):
        return
    first = max(f for f in ranges.values() if f is not None)
    span = f"{first}-{first + SUBORDINATE_COUNT - 1}"
    usermod = shutil.which("usermod", path="/usr/sbin:/usr/bin:/sbin:/bin") or "usermod"
    command = [usermod]
    if ranges["/etc/subuid"] is not None:
        command += ["--add-subuids", span]
    if ranges["/etc/subgid"] is not None:
        command += ["--add-subgids", span]
    subprocess.run([*command, account.pw_name], check=True)


def chown_tree(path: Path, account: pwd.struct_passwd) -> None:
    os.chown(path, account.pw_uid, account.pw_gid)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), account.pw_uid, account.pw_gid, follow_symlinks=False)


def hub_block(course_id: str, user_config_dir: Path, demo: bool) -> str:
    """What an instructor's copy of the course adds to the course's own ``nbgrader_config.py``."""
    lines = [
        "",
        "# --- Added by `python3 tasks.py hub`: this copy serves a class on the hub. ---------------",
        "# The hub's nbgrader settings (shared exchange, JupyterHubAuthPlugin, collect checks) win",
        "# over this course's local exchange above.",
        f"load_subconfig({str(user_config_dir / 'nbgrader_config.py')!r})  # noqa: F821",
        f"c.CourseDirectory.course_id = {course_id!r}",
        "c.CourseQuiz.mode = 'graded'  # a class: right or wrong only with the feedback",
    ]
    return "\n".join(lines) + "\n"


def make_course_copy(destination: Path, course_id: str, user_config_dir: Path, demo: bool) -> bool:
    """The instructor's copy of the course (created once; False when it was already there, then
    only instructor material it lacks, such as the answer key, is added)."""
    if (destination / "nbgrader_config.py").exists():
        missing = [name for name in INSTRUCTOR_FILES if not (destination / name).exists() and (ROOT / name).exists()]
        for name in missing:
            shutil.copytree(ROOT / name, destination / name)
        return bool(missing)
    destination.mkdir(parents=True)
    for name in COURSE_FILES + INSTRUCTOR_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        elif source.exists():
            shutil.copy2(source, destination / name)
    config = destination / "nbgrader_config.py"
    config.write_text(config.read_text() + hub_block(course_id, user_config_dir, demo))
    return True


def write_user_config(user_config_dir: Path, exchange_root: str, demo: bool) -> None:
    """The folder on every server's ``JUPYTER_CONFIG_PATH``: nbgrader's hub settings."""
    user_config_dir.mkdir(parents=True, exist_ok=True)
    user_config_dir.chmod(0o755)
    shutil.copy(HERE / "nbgrader_hub_config.py", user_config_dir / "nbgrader_config.py")
    # Demo mode: every submission belongs to one Linux user, so owners cannot be checked.
    (user_config_dir / "hub_settings.json").write_text(json.dumps(
        {"exchange_root": exchange_root, "check_owner": not demo}))
    # Terminals: an interactive bash that keeps the server's PATH (a login shell would reset it
    # from /etc/profile and lose `nbgrader` and `autograder`).
    (user_config_dir / "jupyter_server_config.py").write_text(
        'c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash"]}\n')
    # In JupyterLab, nobody gets nbgrader's in-lab formgrader or its Course List link: on the hub
    # the formgrader is the course's service, opened in its own tab (jupyter/nbgrader#1870).
    write_json(user_config_dir / "labconfig" / "page_config.json", {"disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:course-list": True}})
    # Students' servers (their folder comes first on JUPYTER_CONFIG_PATH) have no instructor
    # tools at all: no Create Assignment panel, no formgrader or course list server extension.
    students = student_config_dir(user_config_dir)
    write_json(students / "labconfig" / "page_config.json", {"disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:course-list": True,
        "@jupyter/nbgrader:create-assignment": True}})
    write_json(students / "jupyter_server_config.json", {"ServerApp": {"jpserver_extensions": {
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.course_list": False}}})
    for folder in (user_config_dir, students, user_config_dir / "labconfig", students / "labconfig"):
        folder.chmod(0o755)
        for path in folder.iterdir():
            if path.is_file():
                path.chmod(0o644)


def student_config_dir(user_config_dir: Path) -> Path:
    """Settings only students' servers read (before the common ones)."""
    return user_config_dir.parent / (user_config_dir.name + "-students")


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def as_account(command: list, account: pwd.struct_passwd | None, cwd: Path, env: dict,
               what: str) -> None:
    """Run ``command`` as ``account`` (root mode) or as this user (demo), failing loudly."""
    env = dict(env)
    if account is not None and is_root():
        env.update(HOME=account.pw_dir, USER=account.pw_name, LOGNAME=account.pw_name)
        runuser = shutil.which("runuser", path="/usr/sbin:/usr/bin:/sbin:/bin") or "runuser"
        command = [runuser, "-u", account.pw_name, "--", *command]
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env)
    if result.returncode != 0:
        sys.exit(f"Failed ({result.returncode}): {what}")


# --------------------------------------------------------------------------- the command

def main(argv: list[str], ensure_dev_environment, run) -> int:
    """Set up the class and replace this process with JupyterHub (see the module docstring)."""
    args = parse(argv)
    os.umask(0o022)
    root = is_root()
    demo = not root
    course_id = course_id_of(ROOT / "nbgrader_config.py")
    state_dir = (args.state_dir or (STATE_DIR if root else ROOT / ".hub")).resolve()
    exchange_root = args.exchange_root or (EXCHANGE_ROOT if root else str(state_dir / "exchange"))
    if demo:
        print(DEMO_LABEL, flush=True)
        venv_dir = ensure_dev_environment().parent.parent
        proxy = ensure_proxy(state_dir / "proxy", run)
    else:
        venv_dir = ensure_hub_environment(args.install_dir, run)
        write_lab_overrides(venv_dir)
        proxy = ensure_proxy(args.install_dir / "proxy", run)

    plan = make_plan(course_id, args.students, prefix=args.account_prefix,
                     second_course=args.second_course, exchange_root=exchange_root)
    state_dir.mkdir(parents=True, exist_ok=True)
    state_dir.chmod(0o755 if root else 0o700)
    user_config_dir = state_dir / "jupyter"
    write_user_config(user_config_dir, exchange_root, demo)
    homes = state_dir / "homes"

    # nbgrader's shared exchange: anyone may enter and write, the sticky bit keeps each
    # course's folder its instructor's (nbgrader's docs: "chmod ugo+rw" on the root).
    Path(exchange_root).mkdir(parents=True, exist_ok=True)
    os.chmod(exchange_root, 0o1777 if root else 0o700)

    env = {**os.environ, "PATH": f"{venv_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
           "JUPYTER_CONFIG_PATH": str(user_config_dir), "COURSE_QUIZ_MODE": "graded"}
    env.pop("VIRTUAL_ENV", None)
    course_copies = {}
    for course in plan.courses:
        accounts = {name: (ensure_account(name) if root else None)
                    for name in (course.instructor, *course.students)}
        if demo:
            for name in accounts:
                (homes / name).mkdir(parents=True, exist_ok=True)
        instructor = accounts[course.instructor]
        if instructor:
            ensure_grading_sandbox(instructor)
        home = Path(instructor.pw_dir) if instructor else homes / course.instructor
        copy = home / course.course_id
        if make_course_copy(copy, course.course_id, user_config_dir, demo) and instructor:
            chown_tree(copy, instructor)
        print(f"Releasing {course.course_id}'s lessons as {course.instructor} ...", flush=True)
        # The script's text, not its path: the instructor may not be able to read this checkout.
        as_account([venv_dir / "bin" / "python", "-c", (HERE / "prepare_course.py").read_text()],
                   instructor, copy, env, f"releasing {course.course_id}'s lessons in {copy}")
        course_copies[course.course_id] = str(copy)

    for course in plan.courses:
        course.formgrader_port = free_port()
    password = args.password or secrets.token_urlsafe(9)
    plan.settings = {
        "mode": "demo" if demo else "class", "ip": args.ip, "port": args.port,
        "hub_port": free_port(), "proxy_api_port": free_port(), "proxy_command": str(proxy),
        "state_dir": str(state_dir), "venv": str(venv_dir), "user_config_dir": str(user_config_dir),
        "student_config_dir": str(student_config_dir(user_config_dir)),
        "course_copies": course_copies, "homes": str(homes), "password": password,
    }
    plan_path = state_dir / "class-plan.json"
    plan_path.touch(mode=0o600)
    plan_path.chmod(0o600)
    plan_path.write_text(plan.to_json())
    announce(plan, args, password, demo)

    hub_env = {**env, "KERAS_COURSE_HUB_PLAN": str(plan_path), "PYTHONUNBUFFERED": "1"}
    jupyterhub = venv_dir / "bin" / "jupyterhub"
    os.chdir(state_dir)
    os.execve(jupyterhub, [str(jupyterhub), "-f", str(HERE / "jupyterhub_config.py")], hub_env)
    return 0  # not reached


def course_id_of(config: Path) -> str:
    import re

    found = re.search(r"course_id\s*=\s*[\"']([^\"']+)", config.read_text())
    return found.group(1) if found else "course"


def announce(plan: ClassPlan, args: argparse.Namespace, password: str, demo: bool) -> None:
    """What the person who started the hub needs: the address, the accounts, the password."""
    host = "localhost" if args.ip in ("127.0.0.1", "0.0.0.0") else args.ip
    url = f"http://{host}:{args.port}"
    lines = ["", f"JupyterHub for the class: {url}"]
    if demo:
        lines.append(DEMO_LABEL)
    for course in plan.courses:
        students = course.students
        shown = ", ".join(students) if len(students) <= 4 else f"{students[0]} ... {students[-1]}"
        lines += [f"  course {course.course_id}:",
                  f"    instructor {course.instructor}; formgrader {url}{course.formgrader_path} "
                  "(its own tab)",
                  f"    students   {shown}"]
    lines += [f"  password for every account: {password}" + ("" if args.password else
                                                              "  (random: shown only now)"),
              "  Stop with Ctrl-C: the hub stops every server and service with it.", ""]
    print("\n".join(lines), flush=True)
