"""A class on a real JupyterHub: ``python3 tasks.py hub`` as root, driven through Chromium.

One hub serves the module (two courses: ``keras-sequential`` with ``instructor`` and
``student1``/``2``, and ``kstest-other`` with ``instructor2`` and ``student3``/``4``; every
account name starts with this run's own prefix, e.g. ``kstest1a2b-student1``). The tests run in
file order: the whole cycle first (two students
fetch, answer and submit lesson 1 in JupyterLab; the instructor collects in the formgrader, grades
with ``autograder grade`` and returns feedback from a terminal in their hub server; a student
fetches the feedback and sees their score), then what must stay private, then the two courses,
and last that SIGTERM leaves nothing running.
"""
from __future__ import annotations

import json
import pwd
import re
import subprocess
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder.isolate import sandbox
from tests.hub.classhub import (SCORE, SECOND_COURSE, Browser, ClassHub, leftover_processes,
                                require_root_and_chromium, screenshot, wait_for)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

COURSE = "keras-sequential"
LESSON = "01_input_data"
#: What each student types into lesson 1's answer cells (grade id -> code); student 2 leaves q2.
ANSWERS = {
    "student1": {"l01-q1-answer": "x, y = load_data()",
                        "l01-q2-answer": "n_samples, n_features = x.shape"},
    # Student 2's answer also looks around: from the grader's working folder
    # (autograded/<student>/<lesson>) the course's source/ is three levels up, unless sandboxed.
    "student2": {"l01-q1-answer": "x, y = load_data(); import os; "
                                  "print('probe', os.getuid(), os.path.isdir('../../../source'))"},
}
PROBE = re.compile(r"probe (\d+) (True|False)")


@pytest.fixture(scope="module")
def hub():
    require_root_and_chromium()
    server = ClassHub(students=2, second_course=SECOND_COURSE)
    try:
        server.start()
        print(f"hub started in {server.started_seconds:.0f} s")
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="module")
def browser(hub):
    opened = Browser(hub)
    try:
        yield opened
    finally:
        opened.close()


def status_of(page, url: str) -> int:
    return page.request.get(url, max_redirects=0, fail_on_status_code=False).status


def json_of(page, url: str):
    response = page.request.get(url, fail_on_status_code=False)
    assert response.status == 200, (url, response.status, response.text()[:500])
    return response.json()


def open_assignment_list(page) -> None:
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()


# --------------------------------------------------------------------------- the cycle

def test_a_student_logs_in_through_the_form_and_sees_the_seven_lessons(hub, browser):
    page = browser.login(hub.user("student1"), wait_for_lab=False)
    try:
        page.locator(".lm-MenuBar-item", has_text="Nbgrader").wait_for(timeout=180_000)
        assert page.url.startswith(f"{hub.url}/user/{hub.user('student1')}/lab"), page.url
        open_assignment_list(page)
        released = page.locator("#released_assignments_list .list_item")
        released.first.wait_for(timeout=60_000)
        names = sorted(text.split("\n")[0] for text in released.all_inner_texts())
        lessons = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "release").iterdir()
                         if p.is_dir())
        assert names == lessons and len(lessons) == 7, names
        extensions = json_of(page, f"{hub.url}/user/{hub.user('student1')}/lab/api/extensions")
        loaded = {extension["name"] for extension in extensions}
        assert {"jupyter-nbgrader", "jupyter-widgets-jupyterlab-manager"} <= loaded, loaded
        # no instructor tools for students: menu items, the Create Assignment panel, server side
        page.locator(".lm-MenuBar-item", has_text="Nbgrader").click()
        items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
        page.keyboard.press("Escape")
        assert "Assignment List" in items and not {"Formgrader", "Course List"} & set(items), items
        assert page.locator(".lm-TabBar-tabLabel", has_text="Create Assignment").count() == 0
        assert status_of(page, f"{hub.url}/user/{hub.user('student1')}/formgrader") == 404
    finally:
        screenshot(page, "assignment_list.png")
        page.context.close()


def _run_all_cells(page, panel) -> None:
    """Run > Run All Cells, as a person would: again if no cell started within 30 s.

    Under load (2 cores shared with other jobs) the first click, just after the kernel
    connected, now and then starts nothing; a person then clicks again.
    """
    started = panel.locator(".jp-InputArea-prompt", has_text=re.compile(r"\[(\*|\d+)\]"))
    for _ in range(3):
        page.keyboard.press("Escape")
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if started.count():
                return
            time.sleep(0.5)
    pytest.fail("Run All Cells started no cell, three times")


def _fetch_answer_submit(hub: ClassHub, browser: Browser, key: str) -> None:
    student = hub.user(key)
    page = browser.login(student)
    try:
        open_assignment_list(page)
        released = page.locator("#released_assignments_list .list_item", has_text=LESSON)
        released.wait_for(timeout=60_000)
        released.get_by_role("button", name="Fetch").click()
        mine = hub.home(student) / COURSE / LESSON / f"{LESSON}.ipynb"
        wait_for(mine.exists, 60, f"{student}'s fetched notebook")

        page.goto(f"{hub.url}/user/{student}/lab/tree/{COURSE}/{LESSON}/{LESSON}.ipynb")
        panel = page.locator(".jp-NotebookPanel")
        panel.wait_for(timeout=60_000)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=120_000)
        wait_for(lambda: any(kernel["execution_state"] == "idle" for kernel in
                             json_of(page, f"{hub.url}/user/{student}/api/kernels")),
                 120, f"{student}'s kernel, idle")
        notebook = nbformat.read(str(mine), as_version=4)
        ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells]
        cells = panel.locator(".jp-Notebook .jp-Cell")
        for grade_id, code in ANSWERS[key].items():
            editor = cells.nth(ids.index(grade_id)).locator(".cm-content")
            editor.click()
            page.keyboard.press("Control+a")
            page.keyboard.type(code)
        _run_all_cells(page, panel)
        passed = panel.locator(".jp-OutputArea-output", has_text="correct")
        wait_for(lambda: passed.count() >= len(ANSWERS[key]), 180, f"{student}'s passing checks")
        page.keyboard.press("Control+s")
        wait_for(lambda: all(code in mine.read_text() for code in ANSWERS[key].values()), 30,
                 f"{student}'s saved answers")

        open_assignment_list(page)
        fetched = page.locator("#fetched_assignments_list .list_item", has_text=LESSON).first
        fetched.wait_for(timeout=60_000)
        fetched.get_by_role("button", name="Submit").click()
        page.locator("#submitted_assignments_list .list_item", has_text=LESSON).first.wait_for(timeout=60_000)
    finally:
        screenshot(page, f"{key}_submitted.png")
        page.context.close()


def _collect_in_the_formgrader(hub: ClassHub, browser: Browser) -> None:
    """The instructor (not a hub admin) opens the formgrader in its own tab and collects."""
    page = browser.login(hub.user("instructor"))
    try:
        response = page.goto(f"{hub.url}/services/{COURSE}/formgrader")
        assert response.status == 200
        row = page.locator("tr", has_text=LESSON)
        row.wait_for(timeout=60_000)
        row.locator("td.collect a").click()
        page.get_by_text(f"Successfully collected submissions of '{LESSON}'").wait_for(timeout=60_000)
    finally:
        screenshot(page, "formgrader_collected.png")
        page.context.close()
    for key in ANSWERS:
        assert (hub.course_copy() / "submitted" / hub.user(key) / LESSON / f"{LESSON}.ipynb").exists()


def _grade_in_a_terminal(hub: ClassHub, browser: Browser) -> str:
    """The instructor's terminal in their hub server: grade, feedback, release the feedback."""
    page = browser.login(hub.user("instructor"))
    done = hub.home(hub.user("instructor")) / "grading.done"
    log = hub.home(hub.user("instructor")) / "grading.log"
    try:
        page.locator(".jp-LauncherCard", has_text="Terminal").click()
        page.locator(".jp-Terminal .xterm-screen").wait_for(timeout=60_000)
        page.locator(".jp-Terminal .xterm-screen").click()
        time.sleep(1)
        # Sandboxed, as the instructor (not root): a user namespace with their subordinate ids.
        page.keyboard.type(f"cd ~/{COURSE} && (autograder grade {LESSON} --workers 1 && "
                           f"autograder feedback {LESSON} && nbgrader release_feedback {LESSON}) "
                           f"> ~/grading.log 2>&1; echo $? > ~/grading.done\n")
        wait_for(done.exists, 420, "the grading commands in the instructor's terminal")
    finally:
        screenshot(page, "instructor_terminal.png")
        page.context.close()
    output = log.read_text(errors="replace")
    assert done.read_text().strip() == "0", output
    return output


def _student_sees_feedback(hub: ClassHub, browser: Browser, student: str) -> tuple[float, float]:
    page = browser.login(student)
    try:
        open_assignment_list(page)
        submitted = page.locator("#submitted_assignments_list .list_item", has_text=LESSON).first
        submitted.wait_for(timeout=60_000)
        submitted.get_by_role("button", name="Fetch Feedback").click()
        feedback_dir = hub.home(student) / COURSE / LESSON / "feedback"
        pages = wait_for(lambda: list(feedback_dir.glob(f"*/{LESSON}.html")), 60,
                         f"{student}'s feedback in their home")
        relative = pages[0].relative_to(hub.home(student))
        page.goto(f"{hub.url}/user/{student}/files/{relative}")
        page.get_by_text("Score").first.wait_for(timeout=30_000)
        found = SCORE.search(page.inner_text("body"))
        assert found, page.inner_text("body")[:2000]
        return float(found.group(1)), float(found.group(2))
    finally:
        screenshot(page, f"{student.removeprefix(hub.prefix)}_feedback.png")
        page.context.close()


def test_the_whole_class_cycle_in_the_browser(hub, browser):
    for student in ANSWERS:
        _fetch_answer_submit(hub, browser, student)
    _collect_in_the_formgrader(hub, browser)
    output = _grade_in_a_terminal(hub, browser)
    assert "unsandboxed" not in output, output
    graded = hub.course_copy() / "autograded" / hub.user("student2") / LESSON / f"{LESSON}.ipynb"
    probe = PROBE.findall(graded.read_text())
    instructor_uid = pwd.getpwnam(hub.user("instructor")).pw_uid
    # Graded in the sandbox: another user id than the instructor's, and the course out of sight.
    assert probe and all(int(uid) != instructor_uid and seen == "False" for uid, seen in probe), probe
    first, total = _student_sees_feedback(hub, browser, hub.user("student1"))
    second, total_2 = _student_sees_feedback(hub, browser, hub.user("student2"))
    assert total == total_2 > 0
    assert first > second > 0, (first, second, total)  # student 2 left question 2 unanswered


# --------------------------------------------------------------------------- what stays private

def _final_status(page, url: str):
    """Status and text of ``url`` for this page's login, after the hub's redirects."""
    response = page.request.get(url, fail_on_status_code=False)
    return response.status, response.text()


def test_a_student_cannot_read_another_students_home_submission_or_feedback(hub, browser):
    """Through the filesystem (a terminal in their server) and through the hub (contents API)."""
    first = hub.home(hub.user("student1"))
    notebook = first / COURSE / LESSON / f"{LESSON}.ipynb"
    inbound = hub.exchange / COURSE / "inbound"
    feedback = hub.exchange / COURSE / "feedback"
    assert notebook.exists() and any(inbound.iterdir()) and feedback.is_dir() and any(feedback.iterdir()), \
        "the cycle test leaves a notebook, a submission and feedback to protect"
    # the owner and the instructor can: the same commands would show a leak
    assert hub.run_as(hub.user("student1"), ["cat", str(notebook)]).returncode == 0
    listed = hub.run_as(hub.user("instructor"), ["ls", str(inbound)])
    assert f"{hub.user('student1')}+" in listed.stdout, listed
    for command in (["ls", str(first)], ["cat", str(notebook)], ["ls", str(inbound)],
                    ["ls", str(feedback)], ["ls", str(hub.course_copy())]):
        result = hub.run_as(hub.user("student2"), command)
        assert result.returncode != 0 and "Permission denied" in result.stderr, (command, result)

    page = browser.login(hub.user("student2"))
    try:
        status, _ = _final_status(page, f"{hub.url}/user/{hub.user('student2')}/api/contents/{COURSE}/{LESSON}")
        assert status == 200  # their own copy
        for path in (f"{COURSE}/{LESSON}/{LESSON}.ipynb", f"{COURSE}/{LESSON}/feedback", ""):
            status, text = _final_status(page, f"{hub.url}/user/{hub.user('student1')}/api/contents/{path}")
            assert status == 403, (path, status, text[:300])
            assert "l01-q1-answer" not in text and '"content"' not in text
    finally:
        page.context.close()


def test_a_student_cannot_open_the_formgrader_or_another_courses_assignments(hub, browser):
    page = browser.login(hub.user("student1"))
    try:
        for course in (COURSE, SECOND_COURSE):
            status, text = _final_status(page, f"{hub.url}/services/{course}/formgrader")
            assert status == 403 and "Manage Assignments" not in text, (course, status)
        courses = json_of(page, f"{hub.url}/user/{hub.user('student1')}/courses")
        assert courses == {"success": True, "value": [COURSE]}, courses
        other = json_of(page, f"{hub.url}/user/{hub.user('student1')}/assignments?course_id={SECOND_COURSE}")
        assert other["success"] and other["value"] == [], other
        fetched = page.request.post(f"{hub.url}/user/{hub.user('student1')}/assignments/fetch",
                                    form={"course_id": SECOND_COURSE, "assignment_id": LESSON},
                                    headers={"X-XSRFToken": _xsrf(page)}, fail_on_status_code=False)
        assert not (hub.home(hub.user("student1")) / SECOND_COURSE).exists(), fetched.text()[:500]
    finally:
        page.context.close()


def _xsrf(page) -> str:
    return next((cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "_xsrf"), "")


def test_two_courses_each_person_sees_only_their_own(hub, browser):
    page = browser.login(hub.user("student3"))
    try:
        courses = json_of(page, f"{hub.url}/user/{hub.user('student3')}/courses")
        assert courses == {"success": True, "value": [SECOND_COURSE]}, courses
        open_assignment_list(page)
        released = page.locator("#released_assignments_list .list_item")
        released.first.wait_for(timeout=60_000)
        texts = released.all_inner_texts()
        assert len(texts) == 7 and all(SECOND_COURSE in text for text in texts), texts
        assert not any(f"\n{COURSE}\n" in f"\n{text}\n" for text in texts)
    finally:
        screenshot(page, "second_course_assignment_list.png")
        page.context.close()
    page = browser.login(hub.user("instructor2"))
    try:
        status, text = _final_status(page, f"{hub.url}/services/{COURSE}/formgrader")
        assert status == 403, status  # not this instructor's course
        response = page.goto(f"{hub.url}/services/{SECOND_COURSE}/formgrader")
        assert response.status == 200
        page.locator("tr", has_text=LESSON).wait_for(timeout=60_000)
        assert "Manage Assignments" in page.inner_text("body")
    finally:
        screenshot(page, "second_course_formgrader.png")
        page.context.close()


INSPECTOR_CELLS = [
    "import course\nimport keras\nfrom course.data import load_data\n"
    "from course.widgets import ActivationInspector\n\nx, y = load_data()\n"
    "normalizer = keras.layers.Normalization()\nnormalizer.adapt(x)\n"
    "model = keras.Sequential([keras.Input((20,)), normalizer, keras.layers.Dense(64, activation='relu'),\n"
    "                          keras.layers.Dense(32, activation='relu'), keras.layers.Dense(1, activation='sigmoid')])",
    "ActivationInspector(model, x, y)",
]


def test_the_course_widgets_work_in_a_students_hub_server(hub, browser):
    """The activation inspector draws live in a student's JupyterLab on the hub (ipywidgets)."""
    import os
    import pwd

    student = hub.user("student3")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in INSPECTOR_CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                       "language": "python"}
    path = hub.home(student) / "inspector.ipynb"
    nbformat.write(notebook, str(path))
    account = pwd.getpwnam(student)
    os.chown(path, account.pw_uid, account.pw_gid)
    page = browser.login(student)
    try:
        page.goto(f"{hub.url}/user/{student}/lab/tree/inspector.ipynb")
        panel = page.locator(".jp-NotebookPanel")
        panel.wait_for(timeout=60_000)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=120_000)
        wait_for(lambda: any(kernel["execution_state"] == "idle" for kernel in
                             json_of(page, f"{hub.url}/user/{student}/api/kernels")),
                 120, f"{student}'s kernel, idle")
        _run_all_cells(page, panel)
        output = panel.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-slider"))
        output.wait_for(timeout=180_000)
        table = output.locator("table.course-inspector")
        table.wait_for(timeout=60_000)
        assert "sample 0" in table.inner_text()
    finally:
        screenshot(page, "widgets_on_the_hub.png")
        page.context.close()


def test_a_student_cannot_submit_under_another_name(hub):
    """A folder filed in inbound under another student's name is not collected as theirs."""
    from datetime import datetime, timezone

    lesson = "02_normalization"
    inbound = hub.exchange / COURSE / "inbound"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    source = Path(__file__).resolve().parents[2] / "release" / lesson / f"{lesson}.ipynb"
    for name, tag in ((hub.user("student1"), "own"), (hub.user("student2"), "forged")):
        folder = inbound / f"{name}+{lesson}+{stamp}+{tag}"
        made = hub.run_as(hub.user("student1"), ["sh", "-c", f'mkdir "{folder}" && cp "{source}" "{folder}/" '
                                              f'&& echo "{stamp}" > "{folder}/timestamp.txt"'])
        assert made.returncode == 0, made  # anyone may write into inbound (nbgrader's design)
    collected = hub.run_as(hub.user("instructor"), ["nbgrader", "collect", lesson], cwd=hub.course_copy())
    output = collected.stdout + collected.stderr
    assert collected.returncode == 0, output
    submitted = hub.course_copy() / "submitted"
    assert (submitted / hub.user("student1") / lesson / f"{lesson}.ipynb").exists(), output
    assert not (submitted / hub.user("student2") / lesson).exists(), output
    assert (f"names student {hub.user('student2')} but was submitted by {hub.user('student1')}"
            in output), output


def test_the_quiz_key_is_in_the_instructors_copy_and_out_of_every_students_reach(hub):
    """The graders read the answer key from the instructor's course copy; a student's server, whose
    course package and config come from the hub, finds none, and cannot read the instructor's."""
    key = hub.course_copy() / "answer_keys" / "quiz.toml"
    assert key.is_file()
    student = hub.user("student1")
    peek = hub.run_as(student, ["cat", str(key)])
    assert peek.returncode != 0 and "answer" not in peek.stdout, peek.stdout[:200]
    probe = ("import course.answer_key as k\n"
             "try:\n    k.load(); print('KEY FOUND')\n"
             "except k.AnswerKeyMissing as exc:\n    print('no key:', exc)\n")
    found = hub.run_as(student, ["python", "-c", probe])
    assert found.returncode == 0 and "no key:" in found.stdout and "KEY FOUND" not in found.stdout, \
        found.stdout + found.stderr


# --------------------------------------------------------------------------- grading as the instructor

def test_the_instructors_sandbox_holds_against_a_class_of_cheats(hub, tmp_path):
    """The instructor is not root: ``autograder grade`` sandboxes in a user namespace of theirs.
    The cheats of tests/autograder/test_adversarial_class.py (read the hidden tests, write the
    gradebook, overwrite classmates, edit the course, leave startup files, fork bombs, detached
    processes, the network) earn only their honest point, and nothing of the course changes."""
    from tests.autograder.test_adversarial_class import ADD, cheats, digest_tree, outputs_text, write_ps1
    from tests.fixtures.autograder import fixture_course

    instructor = hub.user("instructor")
    account = pwd.getpwnam(instructor)
    base = hub.home(instructor) / "cheats"
    root = fixture_course.prepare(base / "course", assignments=("ps1",))
    marker = base / "detached-marker"
    attacks = {name: code for name, code in cheats(root, 9, marker).items()
               if name not in ("c_huge_file", "c_huge_output")}  # limits: tested as root
    for student, code in attacks.items():
        write_ps1(root, base / "attackers" / f"{student}.ipynb", "import os, json, subprocess\n" + code + "\n" + ADD)
    write_ps1(root, base / "attackers" / "alice.ipynb", ADD, fixture_course.SOLUTIONS[("ps1", "mean")])
    subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(base)], check=True)
    before = digest_tree(root, skip=("gradebook.db", ".autograder", "submitted", "autograded"))

    graded = hub.run_as(instructor, ["autograder", "grade", "ps1", "--from", str(base / "attackers"),
                                     "--workers", "1", "--no-progress", "--summary-json", str(base / "summary.json")],
                        cwd=root, COURSE_TF_THREADS="1")  # as over SSH: no hub login in the environment
    out = graded.stdout + graded.stderr
    assert graded.returncode == 0, out
    result = json.loads((base / "summary.json").read_text())
    assert {r["student"]: r["score"] for r in result["results"]} == {**{s: 1.0 for s in attacks}, "alice": 3.0}, out
    assert result["isolation"] == {"sandboxed": len(attacks) + 1}, out
    for student in attacks:
        text = outputs_text(root, student)
        for word in ("LEAK", "WRITTEN", "DELETED", "OVERWROTE", "EDITED", "NETWORK"):
            assert word not in text, (student, text[:3000])
    assert digest_tree(root, skip=("gradebook.db", ".autograder", "submitted", "autograded")) == before
    assert not (hub.home(instructor) / ".ipython" / "profile_default" / "startup" / "00-cheat.py").exists()
    time.sleep(4)
    assert not marker.exists() and not (root / "pwned").exists()
    # No process of the run is left: kernels ran as the instructor's subordinate ids.
    first, count = sandbox.subordinate_range("uid", instructor, account.pw_uid)
    left = [p.info for p in psutil.process_iter(["pid", "uids", "cmdline"])
            if p.info["uids"] and first <= p.info["uids"].real < first + count]
    assert left == [], left


# --------------------------------------------------------------------------- stopping

def test_sigterm_stops_the_hub_proxy_servers_and_services(hub, browser):
    running = leftover_processes(hub.plan.users, hub.state_dir)
    servers = [p for p in running if "jupyterhub-singleuser" in " ".join(p.info["cmdline"] or [])]
    assert len(servers) >= 4, [p.info["cmdline"] for p in running]  # 2 formgraders + user servers
    proxy_pid = int((hub.state_dir / "proxy.pid").read_text())
    assert psutil.pid_exists(proxy_pid)
    hub_pid = hub.process.pid
    hub.stop(seconds=60)
    # The hub has exited; what it stopped (servers, their kernels and terminals) may still be on its
    # way out for a moment, more so on a loaded machine: nothing may be left after a short grace.
    def alive(process) -> bool:
        try:
            return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    def described(process) -> tuple:
        try:
            return process.pid, process.cmdline()
        except psutil.NoSuchProcess:
            return process.pid, "(gone)"

    deadline = time.monotonic() + 20
    while True:
        left = [p for p in leftover_processes(hub.plan.users, hub.state_dir) if alive(p)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not left, [described(p) for p in left]
    assert not psutil.pid_exists(proxy_pid) or psutil.Process(proxy_pid).status() == psutil.STATUS_ZOMBIE
    assert not psutil.pid_exists(hub_pid) or psutil.Process(hub_pid).status() == psutil.STATUS_ZOMBIE
