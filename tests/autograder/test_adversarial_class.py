"""An adversarial class, graded through the real `autograder grade`: every cheat earns only
the points it honestly earned, nobody else's grade or file changes, nothing survives the run.

The course is a copy of the autograder fixture course (``ps1``: plain Python, fast) and of
the real course's first lesson. Each cheat writes a correct ``add`` (1 point) and leaves
``mean`` blank, so it honestly earns 1 of 3 points; what the attack tries must not change that.
"""
from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder.isolate import sandbox
from tests.fixtures.autograder import fixture_course
from tests.fixtures.autograder.fixture_course import autograder

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason="needs Linux namespaces (root)")

ADD = fixture_course.SOLUTIONS[("ps1", "add")]
SANDBOX_UID = 1_000_000  # kernels run as uids from here up (autograder.isolate.sandbox.kernel_uid)
#: A kernel's folder outside the scratch mount: ``tempfile.mkdtemp(prefix="k")`` (sandbox.new_kernel_dir).
KERNEL_FOLDER = re.compile(r"k[a-z0-9_]{8}")


def cheats(root: Path, port: int, marker: Path) -> dict[str, str]:
    """Student -> the code of its `add` answer cell (each also defines a correct `add`)."""
    course = str(root)
    home = os.path.expanduser("~")
    return {
        "c_read_source": f"""
import glob
for path in ["../../../source/ps1/ps1.ipynb", "{course}/source/ps1/ps1.ipynb",
             "{course}/release/ps1/ps1.ipynb", *glob.glob("/tmp/**/source/ps1/ps1.ipynb", recursive=True)]:
    try:
        text = open(path).read()
        print("LEAK", path, text[:2000])
        exec("\\n".join(l for l in json.loads(text)["cells"][4]["source"].splitlines() if "def " in l or "return" in l))
    except Exception as exc:
        print("blocked:", type(exc).__name__)
""",
        "c_gradebook": f"""
import sqlite3
for path in ["../../../gradebook.db", "{course}/gradebook.db"]:
    try:
        con = sqlite3.connect(path)
        con.execute("UPDATE grade SET auto_score = 0")
        con.execute("UPDATE grade SET manual_score = 100")
        con.commit()
        print("GRADEBOOK WRITTEN", path)
    except Exception as exc:
        print("blocked:", type(exc).__name__)
    try:
        os.remove(path)
        print("GRADEBOOK DELETED", path)
    except Exception as exc:
        print("blocked:", type(exc).__name__)
""",
        "c_others": f"""
for path in ["../../alice/ps1/ps1.ipynb", "../../../submitted/alice/ps1/ps1.ipynb",
             "{course}/submitted/alice/ps1/ps1.ipynb", "{course}/autograded/alice/ps1/ps1.ipynb",
             "{course}/submitted/bob/ps1/ps1.ipynb"]:
    try:
        open(path, "w").write("{{}}")
        print("OVERWROTE", path)
    except Exception as exc:
        print("blocked:", type(exc).__name__)
    try:
        os.remove(path)
        print("DELETED", path)
    except Exception as exc:
        print("blocked:", type(exc).__name__)
""",
        "c_course_files": f"""
for path in ["../../../source/ps1/ps1.ipynb", "{course}/source/ps1/ps1.ipynb",
             "{course}/nbgrader_config.py", "{course}/release/ps1/ps1.ipynb"]:
    try:
        with open(path, "a") as handle:
            handle.write("c.Execute.timeout = 1\\n")
        print("EDITED", path)
    except Exception as exc:
        print("blocked:", type(exc).__name__)
""",
        "c_detached": f"""
import time
child = os.fork()
if child == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(3)
        for path in ["{marker}", "{course}/pwned", "../../../pwned"]:
            try:
                open(path, "w").write("still alive")
            except Exception:
                pass
        os._exit(0)
    os._exit(0)
os.waitpid(child, 0)
subprocess.Popen(["nohup", "sleep", "300"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("detached")
""",
        "c_startup": f"""
startup = '''import builtins
builtins.add = lambda a, b: a + b
builtins.mean = lambda xs: (sum(xs) / len(xs)) if xs else None
'''
for home in [os.path.expanduser("~"), "{home}"]:
    folder = os.path.join(home, ".ipython", "profile_default", "startup")
    try:
        os.makedirs(folder, exist_ok=True)
        open(os.path.join(folder, "00-cheat.py"), "w").write(startup)
        print("STARTUP", "WRITTEN" if folder.startswith("{home}") else "in its own home", folder)
    except Exception as exc:
        print("blocked:", type(exc).__name__)
os.environ["CHEAT_ENV"] = "leaked"
os.environ["PYTHONSTARTUP"] = os.path.join(os.path.expanduser("~"), "x.py")
os.putenv("CHEAT_ENV", "leaked")
""",
        "c_network": f"""
import urllib.request
try:
    print("NETWORK", urllib.request.urlopen("http://127.0.0.1:{port}/cheat", timeout=3).read())
except Exception as exc:
    print("blocked:", type(exc).__name__)
""",
        "c_forkbomb": """
import time
children = 0
for _ in range(3000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(300)
        os._exit(0)
    children += 1
print("forked", children)
""",
        "c_huge_file": """
try:
    with open("big.bin", "wb") as handle:
        block = b"x" * 2**20
        for _ in range(200):
            handle.write(block)
    print("wrote 200 MB")
except OSError as exc:
    print("file stopped:", exc.errno)
open("small.txt", "w").write("a file the notebook made")
""",
        "c_fill_tmp": """
written = 0
block = b"t" * 2**20
for folder in ["/tmp", "/var/tmp", "/dev/shm"]:
    try:
        with open(os.path.join(folder, "fill.bin"), "wb") as handle:
            for _ in range(2048):
                handle.write(block)
                handle.flush()
                written += 1
    except OSError as exc:
        print("stopped in", folder, exc.errno)
print("filled MB", written)
""",
        "c_huge_output": """
for _ in range(40):
    print("y" * 2**20)
""",
    }


def write_ps1(root: Path, path: Path, add_cell: str | None, mean_cell: str | None = None) -> None:
    nb = nbformat.read(root / "release" / "ps1" / "ps1.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "add" and add_cell is not None:
            cell.source = add_cell
        if grade_id == "mean" and mean_cell is not None:
            cell.source = mean_cell
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def digest_tree(root: Path, skip: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(skip):
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def gradebook_rows(root: Path, students: list[str]) -> dict:
    from autograder.core.coursedir import Course

    rows = {}
    with Course(root).gradebook() as gb:
        for student in students:
            submission = gb.find_submission("ps1", student)
            rows[student] = (submission.score, sorted(
                (g.name, g.auto_score, g.manual_score) for nb in submission.notebooks for g in nb.grades))
    return rows


def outputs_text(root: Path, student: str) -> str:
    nb = json.loads((root / "autograded" / student / "ps1" / "ps1.ipynb").read_text())
    return "".join("".join(o.get("text", "")) + str(o.get("evalue", "")) for c in nb["cells"]
                   for o in c.get("outputs", []))


def sandbox_processes() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["uids"]):
        uids = proc.info.get("uids")
        if uids and uids.real >= SANDBOX_UID:
            found.append(proc)
    return found


def leftovers(before: set[str]) -> list[str]:
    """New entries in the temp folder that autograder made (the shared scratch mount point
    may exist, empty); other programs' files are not ours to judge."""
    tmp = Path(tempfile.gettempdir())
    found = []
    for path in tmp.iterdir():
        if path.name in before:
            continue
        try:
            owner = path.lstat().st_uid
        except OSError:
            continue
        if path.name.startswith("autograder") or KERNEL_FOLDER.fullmatch(path.name) or owner >= SANDBOX_UID:
            found.append(path.name)
    scratch = sandbox.SCRATCH
    if scratch.exists() and any(scratch.iterdir()):
        found.append(f"{scratch} is not empty: {sorted(p.name for p in scratch.iterdir())}")
    return found


def mounts() -> set[str]:
    return {" ".join(line.split()[3:5]) for line in Path("/proc/self/mountinfo").read_text().splitlines()}


class Server(http.server.ThreadingHTTPServer):
    hits: list[str]


def start_server() -> Server:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.server.hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"answers")

        def log_message(self, *args):
            pass

    server = Server(("127.0.0.1", 0), Handler)
    server.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.slow
def test_an_adversarial_class_earns_only_honest_points_and_harms_nobody(tmp_path):
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    server = start_server()
    marker = tmp_path / "detached-marker"
    tmp_before = {p.name for p in Path(tempfile.gettempdir()).iterdir()}
    mounts_before = mounts()
    host_startup = Path(os.path.expanduser("~")) / ".ipython" / "profile_default" / "startup" / "00-cheat.py"
    assert not host_startup.exists()

    # 1. the honest students, graded first
    controls = tmp_path / "controls"
    write_ps1(root, controls / "alice.ipynb", ADD, fixture_course.SOLUTIONS[("ps1", "mean")])
    write_ps1(root, controls / "bob.ipynb", ADD, "def mean(xs):\n    return sum(xs) / len(xs)")
    write_ps1(root, controls / "blank.ipynb", None)
    first = autograder("grade", "ps1", "--from", str(controls), "--workers", "1", "--no-progress", cwd=root)
    assert first.returncode == 0, first.stdout + first.stderr
    honest = ["alice", "bob", "blank"]
    rows_before = gradebook_rows(root, honest)
    assert {s: r[0] for s, r in rows_before.items()} == {"alice": 3.0, "bob": 1.0, "blank": 0.0}
    files_before = digest_tree(root, skip=("gradebook.db", ".autograder"))

    # 2. the cheaters, then a blank notebook graded after them in the same worker
    attackers = tmp_path / "attackers"
    attacks = cheats(root, server.server_address[1], marker)
    for student, code in attacks.items():
        write_ps1(root, attackers / f"{student}.ipynb", "import os, json, subprocess\n" + code + "\n" + ADD)
    write_ps1(root, attackers / "zz_late_blank.ipynb",
              "import os, builtins\nprint('ENV', os.environ.get('CHEAT_ENV'), os.environ.get('PYTHONSTARTUP'))\n"
              "raise NotImplementedError()")
    summary = tmp_path / "summary.json"
    start = time.monotonic()
    second = autograder("grade", "ps1", "--from", str(attackers), "--workers", "1", "--no-progress",
                        "--summary-json", str(summary), cwd=root, timeout=600)
    elapsed = time.monotonic() - start
    out = second.stdout + second.stderr
    assert second.returncode == 0, out
    assert elapsed < 300, f"the batch took {elapsed:.0f} s"

    # every cheat earned exactly its honest point; the late blank notebook nothing
    result = json.loads(summary.read_text())
    scores = {r["student"]: r["score"] for r in result["results"]}
    assert scores == {**{s: 1.0 for s in attacks}, "zz_late_blank": 0.0}, out
    assert {r["isolation"] for r in result["results"]} == {"sandboxed"}
    assert result["isolation"] == {"sandboxed": len(attacks) + 1}
    assert "ran sandboxed" in second.stdout

    # nothing got through
    for student in attacks:
        text = outputs_text(root, student)
        for word in ("LEAK", "WRITTEN", "DELETED", "OVERWROTE", "EDITED", "NETWORK"):
            assert word not in text, (student, text[:3000])
    assert "ENV None None" in outputs_text(root, "zz_late_blank")
    assert server.hits == []
    forked = int(outputs_text(root, "c_forkbomb").split("forked")[1].split()[0])
    assert 0 < forked < 3000  # the process limit stopped it
    assert "file stopped: 27" in outputs_text(root, "c_huge_file")  # EFBIG: the file-size limit
    big = root / "autograded" / "c_huge_file" / "ps1"
    assert (big / "small.txt").read_text() == "a file the notebook made"  # copied back, as stock would keep it
    assert not (big / "big.bin").exists() or (big / "big.bin").stat().st_size <= 64 * 2**20
    # the kernel's RAM-backed temp folders together hold half its writable space (512 MB by default)
    filled = int(outputs_text(root, "c_fill_tmp").split("filled MB")[1].split()[0])
    assert 64 < filled <= 256, outputs_text(root, "c_fill_tmp")
    huge = root / "autograded" / "c_huge_output" / "ps1" / "ps1.ipynb"
    assert huge.stat().st_size < 20 * 2**20 and "output truncated" in outputs_text(root, "c_huge_output")

    # others' grades, gradebook rows and every course file are byte-identical
    assert gradebook_rows(root, honest) == rows_before
    files_after = digest_tree(root, skip=("gradebook.db", ".autograder"))
    changed = {k for k in files_before if files_before[k] != files_after.get(k)}
    assert not changed, changed
    assert (root / "gradebook.db").exists()
    assert not host_startup.exists()

    # nothing survives: no process, no mount, no temporary folder, no late write
    time.sleep(4)
    assert not marker.exists() and not (root / "pwned").exists()
    assert sandbox_processes() == []
    assert mounts() == mounts_before
    assert leftovers(tmp_before) == []
    server.shutdown()


@pytest.mark.slow
def test_kill_9_of_a_sandboxed_run_leaves_nothing_and_a_rerun_completes(tmp_path):
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    incoming = tmp_path / "incoming"
    students = [f"s{i}" for i in range(5)]
    for student in students:
        fixture_course.write_submission(root, "ps1", "slow", incoming / f"{student}.ipynb")
    tmp_before = {p.name for p in Path(tempfile.gettempdir()).iterdir()}
    mounts_before = mounts()
    run = subprocess.Popen([sys.executable, "-m", "autograder.cli.main", "grade", "ps1", "--from", str(incoming),
                            "--workers", "2", "--no-progress"], cwd=root, env=fixture_course.cli_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not sandbox_processes():  # a sandboxed kernel is running
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 10
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sandbox_processes() == []
    assert mounts() == mounts_before
    assert leftovers(tmp_before) == []

    again = autograder("grade", "ps1", "--workers", "2", "--no-progress", cwd=root)
    assert again.returncode == 0, again.stdout + again.stderr
    from autograder.core.coursedir import Course

    with Course(root).gradebook() as gb:
        assert sorted(s.student.id for s in gb.find_assignment("ps1").submissions) == students
        assert all(s.score == 3.0 for s in gb.find_assignment("ps1").submissions)
    assert sandbox_processes() == [] and leftovers(tmp_before) == []


@pytest.mark.slow
def test_without_namespaces_grade_refuses_unless_unsandboxed(tmp_path):
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    incoming = tmp_path / "incoming"
    fixture_course.write_submission(root, "ps1", "correct", incoming / "amy.ipynb")
    env = {**fixture_course.cli_env(), sandbox.DISABLE_ENV: "1"}
    command = [sys.executable, "-m", "autograder.cli.main", "grade", "ps1", "--no-progress", "--workers", "1"]
    refused = subprocess.run(command + ["--from", str(incoming)], cwd=root, env=env, capture_output=True, text=True)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Cannot sandbox student code" in refused.stderr and "--unsandboxed" in refused.stderr
    assert "Traceback" not in refused.stderr
    summary = tmp_path / "summary.json"
    temporary = Path(tempfile.mkdtemp(prefix="ag-"))  # short: unix socket paths are at most 107 bytes
    try:
        graded = subprocess.run(command + ["--unsandboxed", "--summary-json", str(summary)], cwd=root,
                                env={**env, "TMPDIR": str(temporary)}, capture_output=True, text=True, timeout=300)
        assert graded.returncode == 0, graded.stdout + graded.stderr
        assert "ran unsandboxed" in graded.stdout and "unsandboxed:" in graded.stdout
        assert any("amy" in line and "unsandboxed" in line for line in graded.stdout.splitlines())
        result = json.loads(summary.read_text())
        assert [(r["student"], r["isolation"], r["score"]) for r in result["results"]] == [("amy", "unsandboxed", 3.0)]
        # its kernel talked over unix sockets, in the worker's folder, which the worker removed at its end
        sockets = temporary / f"autograder-sockets-{os.getuid()}"
        assert sockets.is_dir() and list(sockets.iterdir()) == []
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


REAL_COURSE = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_real_lesson_cannot_read_its_hidden_tests(tmp_path):
    """Lesson 1 of the real course: a submission that prints the instructor's notebook scores
    exactly what the same notebook without that cell scores, and prints nothing of it."""
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REAL_COURSE / "nbgrader_config.py", root)
    shutil.copytree(REAL_COURSE / "source" / "01_input_data", root / "source" / "01_input_data")
    shutil.copytree(REAL_COURSE / "release" / "01_input_data", root / "release" / "01_input_data")
    release = nbformat.read(root / "release" / "01_input_data" / "01_input_data.ipynb", as_version=4)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    nbformat.write(release, incoming / "honest_01_input_data.ipynb")
    spy = nbformat.from_dict(json.loads(json.dumps(release)))
    spy.cells.insert(0, nbformat.v4.new_code_cell(
        "import glob\n"
        f"for path in ['../../../source/01_input_data/01_input_data.ipynb', '{REAL_COURSE}/source/01_input_data/01_input_data.ipynb',\n"
        f"             '{root}/source/01_input_data/01_input_data.ipynb']:\n"
        "    try:\n"
        "        print('LEAK', open(path).read()[:100000])\n"
        "    except Exception as exc:\n"
        "        print('blocked', type(exc).__name__)\n"))
    nbformat.write(spy, incoming / "spy_01_input_data.ipynb")
    summary = tmp_path / "summary.json"
    tmp_before = {p.name for p in Path(tempfile.gettempdir()).iterdir()}
    out = autograder("grade", "01_input_data", "--from", str(incoming), "--workers", "1", "--no-progress",
                     "--summary-json", str(summary), cwd=root, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    # The course's notebook settings reach the trusted checks through a folder of the worker's, gone with it.
    assert leftovers(tmp_before) == []
    scores = {r["student"]: r["score"] for r in json.loads(summary.read_text())["results"]}
    assert scores["spy"] == scores["honest"], scores
    nb = json.loads((root / "autograded" / "spy" / "01_input_data" / "01_input_data.ipynb").read_text())
    text = "".join("".join(o.get("text", "")) for o in nb["cells"][0].get("outputs", []))
    assert "LEAK" not in text and text.count("blocked") == 3, text


FONT_PROBE = """
import os, time
folder = os.environ["MPLCONFIGDIR"]
lists = [n for n in (os.listdir(folder) if os.path.isdir(folder) else []) if n.startswith("fontlist")]
stamps = {n: os.stat(os.path.join(folder, n)).st_mtime_ns for n in lists}
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
plt.figure()
rebuilt = [n for n in os.listdir(folder) if n.startswith("fontlist") and os.stat(os.path.join(folder, n)).st_mtime_ns != stamps.get(n)]
print("FONTS home", folder.startswith(os.environ["HOME"]), "seeded", lists, "rebuilt", rebuilt)
"""


@pytest.mark.slow
def test_a_sandboxed_kernel_starts_with_the_instructors_matplotlib_font_list(tmp_path, monkeypatch):
    """A fresh private home would make matplotlib rescan every system font in every notebook
    (about 0.1 s each); the kernel's home is seeded with the font list, which it cannot change
    for anyone else."""
    cache = tmp_path / "mplcache"
    cache.mkdir()
    env = {**fixture_course.cli_env(), "MPLCONFIGDIR": str(cache)}
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, check=True)
    (listed,) = [p.name for p in cache.iterdir() if p.name.startswith("fontlist")]
    before = (cache / listed).read_bytes()
    monkeypatch.setenv("MPLCONFIGDIR", str(cache))
    root = fixture_course.prepare(tmp_path / "course", assignments=("ps1",))
    incoming = tmp_path / "incoming"
    poison = "\nopen(os.path.join(folder, lists[0]), 'w').write('{}')\n"
    write_ps1(root, incoming / "amy.ipynb", FONT_PROBE + ADD)
    write_ps1(root, incoming / "bob.ipynb", FONT_PROBE + poison + ADD)
    write_ps1(root, incoming / "cat.ipynb", FONT_PROBE + ADD)
    run = autograder("grade", "ps1", "--from", str(incoming), "--workers", "1", "--no-progress", cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr
    for student in ("amy", "bob", "cat"):  # cat comes after bob's poisoning, in the same worker
        assert f"FONTS home True seeded ['{listed}'] rebuilt []" in outputs_text(root, student), student
    assert (cache / listed).read_bytes() == before  # the instructor's own list is untouched
