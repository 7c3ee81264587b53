"""The quiz assesses: graded mode records without a verdict, self-study counts the first answer.

* unit: the mode (environment, nbgrader config, default), the answer key (instructor material:
  in the course directory, outside every package and hidden from graded kernels, read only when
  an answer is scored), the quiz's logic does not import the widget, what each mode's check
  prints, with and without a key, the self-study widget's single attempt;
* notebooks: the release notebook executed in graded mode with wrong and with right answers
  prints the same thing up to the letters (nothing reveals correctness before grading); wrong
  answers score 0 under stock ``nbgrader autograde`` and ``autograder grade``, and the
  feedback then says right or wrong with the explanation; without the key both tools say the
  quiz was not graded, and where the key was looked for; ``autograder check`` in self-study
  mode scores the answer that counts.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course import answer_key, quiz
from course.feedback import CheckFailed, NotAttempted, NotGraded
from tests.course_copy import ROOT, copy_course, graded_cell_outputs, grades, nbgrader, register, submit

RIGHT = "CBDBCACB"
WRONG = "AAAAABAA"  # a wrong letter for every question
ASSIGNMENT = "07_quiz"
VERDICT_WORDS = re.compile(r"✔|✘|&#1000[48];|\bcorrect|\bright\b|\bwrong\b|not quite|try again|"
                           r"not the right", re.IGNORECASE)


def answered(letters: str) -> nbformat.NotebookNode:
    """The release notebook with ``answer_qN = "<letter>"`` in every answer cell."""
    nb = nbformat.read(str(ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"), as_version=4)
    for cell in nb.cells:
        found = re.fullmatch(r"l07-q(\d)-answer", cell.metadata.get("nbgrader", {}).get("grade_id", ""))
        if found:
            number = int(found.group(1))
            cell.source = f'answer_q{number} = "{letters[number - 1]}"'
    return nb


# --------------------------------------------------------------------------- unit


def test_right_and_wrong_letters_are_what_the_answer_key_says():
    """The course directory's key gives one right letter per question: the source notebook's solutions."""
    keys = answer_key.load(ROOT)
    assert sorted(keys) == [q.number for q in quiz.QUESTIONS] and all(len(k.explanation) > 20 for k in keys.values())
    for question, right, wrong in zip(quiz.QUESTIONS, RIGHT, WRONG):
        assert quiz.is_correct(question, right) and not quiz.is_correct(question, wrong)
        assert sum(quiz.is_correct(question, letter) for letter in question.options) == 1
    source = (ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    solutions = dict(re.findall(r'answer_q(\d) = \\"([A-D])\\"', source))
    assert "".join(solutions[str(n)] for n in range(1, 9)) == RIGHT == "".join(keys[n].answer for n in range(1, 9))


def _inside(path: Path, folder: str) -> bool:
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def test_the_key_is_in_the_course_directory_outside_every_package_and_hidden_from_graded_kernels(tmp_path):
    """answer_keys/quiz.toml beside nbgrader_config.py: not in `course/`, which `autograder grade` binds
    back into sandboxed kernels for an editable install, but under the course root it hides;
    c.CourseQuiz.key_file names another file (relative to the config), then the only place."""
    from autograder.isolate import sandbox

    key = answer_key.location(ROOT / "workspace" / ASSIGNMENT)
    assert key == ROOT / "answer_keys" / "quiz.toml" and key.is_file()
    assert not any(_inside(key, folder) for folder in sandbox.python_paths()), sandbox.python_paths()
    assert any(_inside(key, folder) for folder in sandbox.hidden_paths(ROOT))
    for package in ("course", "autograder"):
        assert not _inside(key, str(ROOT / package))
    # A learner's workspace (tasks.py lab) inside the course has its own nbgrader_config.py:
    # the key is still the course's.
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    (tmp_path / "answer_keys").mkdir()
    shutil.copy(key, tmp_path / "answer_keys" / "quiz.toml")
    (tmp_path / "workspace" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "workspace" / "nbgrader_config.py").write_text("c = get_config()\nc.Exchange.root = 'x'\n")
    assert answer_key.location(tmp_path / "workspace" / ASSIGNMENT) == tmp_path / "answer_keys" / "quiz.toml"
    assert answer_key.load(tmp_path / "workspace" / ASSIGNMENT)
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.CourseQuiz.key_file = "private/key.toml"\n')
    # not read now: the setting names another file
    with pytest.raises(answer_key.AnswerKeyMissing) as missing:
        answer_key.load(tmp_path / "autograded" / "s1" / ASSIGNMENT)
    assert f"looked for {tmp_path / 'private' / 'key.toml'}" in str(missing.value)
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "key.toml").write_text('[q1]\nanswer = "c"\nexplanation = "Because."\n')
    assert answer_key.load(tmp_path) == {1: answer_key.Key("C", "Because.")}
    (tmp_path / "private" / "key.toml").write_text('[q1]\nanswer = "C"\n')
    with pytest.raises(answer_key.AnswerKeyMissing, match=r"\[q1\]"):
        answer_key.load(tmp_path)


def test_quiz_logic_does_not_import_the_widget_and_no_import_reads_the_key():
    """The widget uses the quiz's logic, never the reverse. Importing the quiz (as a grader's zygote
    does before it forks students' kernels) opens no answer key: it is read only to score an answer."""
    tree = ast.parse((ROOT / "course" / "quiz.py").read_text())
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + \
        [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m and ("widget" in m)], imported
    code = ("import sys\nopened = []\n"
            "sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == 'open' else None)\n"
            "import course.quiz, course.lessons.lesson07\n"
            "print(sorted(m for m in sys.modules if m.startswith(('course.widgets', 'ipywidgets'))))\n"
            "course.lessons.lesson07.ask(1)\n"  # the question, shown: still no key
            "print([p for p in opened if 'answer_keys' in p])\n"
            "course.quiz.is_correct(course.quiz.question(1), 'A')\n"
            "print(len([p for p in opened if 'answer_keys' in p]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env=dict(os.environ, COURSE_QUIZ_MODE="graded"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split("\n")[:3] == ["[]", "[]", "1"], done.stdout  # read once, to score
    widget = (ROOT / "course" / "widgets" / "quiz.py").read_text()
    assert "from course import quiz" in widget  # the widget uses the quiz's logic


def test_the_mode_comes_from_the_environment_then_the_course_config(tmp_path, monkeypatch):
    monkeypatch.delenv(quiz.MODE_VARIABLE, raising=False)
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.CourseQuiz.mode = "graded"\n')
    (tmp_path / "workspace" / "07_quiz").mkdir(parents=True)
    assert quiz.mode(tmp_path / "workspace" / "07_quiz") == quiz.GRADED
    monkeypatch.setenv(quiz.MODE_VARIABLE, "self-study")
    assert quiz.mode(tmp_path) == quiz.SELF_STUDY
    monkeypatch.setenv(quiz.MODE_VARIABLE, "graded")
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.CourseQuiz.mode = "self-study"\n')
    assert quiz.mode(tmp_path) == quiz.GRADED
    monkeypatch.delenv(quiz.MODE_VARIABLE)
    assert quiz.mode(tmp_path) == quiz.SELF_STUDY
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    assert quiz.mode(tmp_path) == quiz.SELF_STUDY  # the default: self-study
    # the course as shipped: self-study, and the setting is read from its nbgrader_config.py
    assert 'c.CourseQuiz.mode = "self-study"' in (ROOT / "nbgrader_config.py").read_text()


def _lesson(namespace):
    from course.lessons import lesson07

    lesson07.bind(namespace)
    quiz.SESSION.clear()
    return lesson07


def test_each_question_has_its_own_second_hint_that_keeps_the_answer(capsys):
    """hint(2) is specific to its question, and names neither the right option nor its letter."""
    from course.lessons import lesson07

    seconds = [getattr(lesson07, f"q{n}").hint(2) for n in range(1, 9)]
    capsys.readouterr()
    texts = [str(text).split(": ", 1)[1] for text in seconds]
    assert len(set(texts)) == 8 and all(len(text) > 40 for text in texts), texts
    for question, text, right in zip(quiz.QUESTIONS, texts, RIGHT):
        answer = question.options[right]
        assert answer.lower() not in text.lower() or re.search(rf"\b{re.escape(answer)}\b", question.text), text
        if answer.isdigit():
            assert not re.search(rf"\b{answer}\b", text) or answer in question.text, (question.number, text)
        assert quiz.key(question).explanation not in text and not re.search(rf"\b(answer|option) {right}\b", text)
        words = set(re.findall(r"[a-z]{5,}", question.text.lower() + " " + " ".join(question.options.values()).lower()))
        assert words & set(re.findall(r"[a-z]{5,}", text.lower())) or "lesson" in text.lower(), text


def test_graded_mode_records_without_a_verdict(monkeypatch, capsys):
    monkeypatch.setenv(quiz.MODE_VARIABLE, "graded")
    lines = {}
    for letters in (RIGHT, WRONG):
        ex = _lesson({f"answer_q{n}": letters[n - 1] for n in range(1, 9)})
        for n in range(1, 9):
            getattr(ex, f"q{n}").check()
        lines[letters] = capsys.readouterr().out.splitlines()
    for right, wrong, question in zip(lines[RIGHT], lines[WRONG], quiz.QUESTIONS):
        assert "recorded" in right and not VERDICT_WORDS.search(right + wrong), (right, wrong)
        strip = lambda line, letter: line.replace(f"{letter} ({question.options[letter]})", "<answer>")  # noqa: E731, B023
        assert strip(right, RIGHT[question.number - 1]) == strip(wrong, WRONG[question.number - 1])
    # the hidden test grades: wrong fails with the explanation, right passes with it
    with pytest.raises(CheckFailed) as failure:
        ex.q1.check(graded=True)
    assert "A is not the right answer" in str(failure.value) and "max(0, z)" in str(failure.value)
    ex = _lesson({"answer_q1": "C"})
    ex.q1.check(graded=True)
    assert "✔" in capsys.readouterr().out
    with pytest.raises(NotAttempted):
        _lesson({}).q1.check()


def test_self_study_counts_the_first_checked_answer_in_a_session(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(quiz.MODE_VARIABLE, "self-study")
    monkeypatch.setattr(quiz, "_in_kernel", lambda: True)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    namespace = {"answer_q1": "A"}
    ex = _lesson(namespace)
    with pytest.raises(CheckFailed) as failure:
        ex.q1.check()
    assert "not the right answer" in str(failure.value) and "max(0, z)" in str(failure.value)
    namespace["answer_q1"] = "C"  # a second try does not count
    with pytest.raises(CheckFailed) as failure:
        ex.q1.check()
    assert "Your first answer, A, is the one that counts" in str(failure.value)
    from course.widgets.quiz import ask

    monkeypatch.setattr(quiz, "_attempts_path", lambda folder=None: Path("/nonexistent/never-written"))
    widget = ask(1)  # the widget cannot take a second try either
    assert widget.locked and widget.choices.value == "A" and "&#10008;" in widget.feedback.value
    ex = _lesson({"answer_q1": "C"})  # a new session with no file beside it: a fresh notebook
    ex.q1.check()
    assert "✔ Question 1: C is right" in capsys.readouterr().out


def test_one_rule_for_the_cell_the_widget_and_a_restart(tmp_path, monkeypatch, capsys):
    """The first answer a check shows a verdict for counts, kept beside the notebook: a changed cell,
    a restarted kernel and the widget all see it; a grader's run (autograde) commits nothing."""
    from course.widgets.quiz import ask

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(quiz.MODE_VARIABLE, "self-study")
    monkeypatch.setattr(quiz, "_in_kernel", lambda: True)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(CheckFailed):
        _lesson({"answer_q2": "A"}).q2.check()
    assert not (tmp_path / quiz.ATTEMPTS_FILE).exists()  # grading never commits
    monkeypatch.delenv("NBGRADER_EXECUTION")
    with pytest.raises(CheckFailed, match="A is not the right answer"):
        _lesson({"answer_q2": "A"}).q2.check()  # the cell's first checked answer ...
    assert json.loads((tmp_path / quiz.ATTEMPTS_FILE).read_text()) == {"2": "A"}  # ... kept on disk
    ex = _lesson({"answer_q2": "B"})  # _lesson clears the session: a kernel restart, then a new letter
    with pytest.raises(CheckFailed, match="Your first answer, A, is the one that counts; the cell now says B"):
        ex.q2.check()
    widget = ask(2)  # the widget shows the answer the cell committed, locked
    assert widget.locked and widget.choices.value == "A" and "&#10008;" in widget.feedback.value
    # and the other way round: a wrong answer submitted in the widget, nothing in the cell
    widget = ask(3)
    widget.choices.value = "A"
    widget.check_button.click()
    quiz.SESSION.clear()
    with pytest.raises(CheckFailed) as failure:
        _lesson({}).q3.check()
    assert not isinstance(failure.value, NotAttempted)
    assert "A is not the right answer" in str(failure.value) and "first answer, A, given earlier" in str(failure.value)


def test_self_study_widget_allows_one_attempt_then_shows_why(tmp_path, monkeypatch):
    from course.widgets.quiz import QuizQuestion, ask

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(quiz.MODE_VARIABLE, "self-study")
    monkeypatch.setattr(quiz, "_in_kernel", lambda: True)
    quiz.SESSION.clear()
    widget = ask(1)
    assert isinstance(widget, QuizQuestion) and "max(0, z)" not in widget.feedback.value
    widget.choices.value = "A"
    widget.check_button.click()
    assert "&#10008;" in widget.feedback.value and "max(0, z)" in widget.feedback.value
    assert "answer_q1 =" not in widget.feedback.value  # never "write that wrong letter for grading"
    assert widget.locked and widget.check_button.disabled
    widget.choices.value = "C"  # the front end would not allow it; the kernel ignores it too
    widget.check_button.click()
    assert "&#10004;" not in widget.feedback.value
    assert json.loads((tmp_path / quiz.ATTEMPTS_FILE).read_text()) == {"1": "A"}
    quiz.SESSION.clear()  # a new kernel session: the file beside the notebook still holds it
    again = ask(1)  # re-running the cell shows the committed answer, locked
    assert again.locked and again.choices.value == "A" and "&#10008;" in again.feedback.value
    # the check cell then scores the committed answer, not a letter written later
    ex = _lesson({"answer_q1": "C"})
    with pytest.raises(CheckFailed, match="first answer, A"):
        ex.q1.check()


def test_graded_mode_widget_shows_the_question_without_a_button(monkeypatch):
    from course.widgets.quiz import ask

    monkeypatch.setenv(quiz.MODE_VARIABLE, "graded")
    shown = ask(1)._repr_mimebundle_()
    assert "answer_q1" in shown["text/plain"] and not VERDICT_WORDS.search(str(shown))
    assert "button" not in str(shown).lower()


def test_without_a_key_self_study_says_so_graded_records_and_a_hidden_test_is_not_graded(tmp_path, monkeypatch, capsys):
    """A course folder without answer_keys/ (a student's environment in a class): self-study keeps the
    letter and says the key is not installed here, the same for every letter; graded mode's check records
    as always; the hidden test raises NotGraded (no AssertionError: no wrong answer), naming the file."""
    from course.widgets.quiz import ask

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(quiz, "_in_kernel", lambda: True)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv(quiz.MODE_VARIABLE, "self-study")
    said = {}
    for letter in "ABCD":
        (tmp_path / quiz.ATTEMPTS_FILE).unlink(missing_ok=True)
        _lesson({"answer_q1": letter}).q1.check()
        said[letter] = capsys.readouterr().out.replace(f"{letter} ({quiz.question(1).options[letter]})", "<answer>")
        widget = ask(1)  # the answer the check committed, shown without a mark
        assert widget.locked and "not installed here" in widget.feedback.value
        assert not VERDICT_WORDS.search(widget.feedback.value) and "max(0, z)" not in widget.feedback.value
    assert len(set(said.values())) == 1, said
    assert "The answer key is not installed here (your instructor has it)" in said["A"]
    assert not VERDICT_WORDS.search(said["A"]) and "max(0, z)" not in said["A"], said["A"]
    monkeypatch.setenv(quiz.MODE_VARIABLE, "graded")
    ex = _lesson({"answer_q1": "C"})
    ex.q1.check()
    assert "answer recorded: C" in capsys.readouterr().out
    with pytest.raises(NotGraded) as not_graded:
        ex.q1.check(graded=True)
    assert not isinstance(not_graded.value, AssertionError)
    text = str(not_graded.value)
    assert "NOT GRADED" in text and f"looked for {tmp_path / 'answer_keys' / 'quiz.toml'}" in text, text
    assert "CourseQuiz.key_file" in text and "max(0, z)" not in text


# --------------------------------------------------------------------------- notebooks


def _execute(nb: nbformat.NotebookNode, cwd: Path, mode: str) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    env_before = os.environ.get(quiz.MODE_VARIABLE)
    os.environ[quiz.MODE_VARIABLE] = mode
    try:
        NotebookClient(nb, timeout=120, allow_errors=True, resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        if env_before is None:
            os.environ.pop(quiz.MODE_VARIABLE, None)
        else:
            os.environ[quiz.MODE_VARIABLE] = env_before
    return nb


def _outputs(nb: nbformat.NotebookNode) -> list[str]:
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            elif output.output_type == "error":
                texts.append(f"ERROR {output.ename}: {output.evalue}")
            else:
                texts.append(json.dumps(output.get("data", {}), sort_keys=True))
    return texts


@pytest.mark.slow
def test_graded_release_notebook_reveals_nothing_before_submission(tmp_path):
    runs = {}
    for letters in (WRONG, RIGHT):
        folder = tmp_path / letters
        folder.mkdir()
        runs[letters] = _outputs(_execute(answered(letters), folder, "graded"))
    assert len(runs[WRONG]) == len(runs[RIGHT]) >= 16
    text = "\n".join(runs[WRONG] + runs[RIGHT])
    assert "ERROR" not in text and not VERDICT_WORDS.search(text), text
    normal = {}
    for letters, outputs in runs.items():
        joined = "\n".join(outputs)
        for question in quiz.QUESTIONS:
            letter = letters[question.number - 1]
            joined = joined.replace(f"{letter} ({question.options[letter]})", "<answer>")
        normal[letters] = joined
    assert normal[WRONG] == normal[RIGHT]


@pytest.mark.slow
def test_wrong_answers_score_zero_under_stock_nbgrader_and_the_autograder(tmp_path):
    scripts = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=scripts + os.pathsep + os.environ.get("PATH", ""),
               COURSE_QUIZ_MODE="graded")
    scores = {}
    for tool in ("nbgrader", "autograder"):
        course = copy_course(tmp_path / tool)
        register(course, ASSIGNMENT)
        submit(course, "wrong", ASSIGNMENT, answered(WRONG))
        submit(course, "right", ASSIGNMENT, answered(RIGHT))
        command = ([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT] if tool == "nbgrader"
                   else [os.path.join(scripts, "autograder"), "grade", ASSIGNMENT, "--workers", "1"])
        done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
        scores[tool] = {student: grades(course, student, ASSIGNMENT) for student in ("wrong", "right")}
        wrong = {cell: s for cell, s in scores[tool]["wrong"].items() if cell.endswith("-test")}
        right = {cell: s for cell, s in scores[tool]["right"].items() if cell.endswith("-test")}
        assert len(wrong) == 8 and all(score == 0 for score, _ in wrong.values()), (tool, wrong)
        assert all(score == maximum == 1 for score, maximum in right.values()), (tool, right)
        if tool == "autograder":
            done = subprocess.run([os.path.join(scripts, "autograder"), "feedback", ASSIGNMENT],
                                  cwd=course, env=env, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stdout + done.stderr
            page = (course / "feedback" / "wrong" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
            assert page.count("is not the right answer") == 8 and "max(0, z)" in page
        else:
            result = nbgrader(course, "generate_feedback", ASSIGNMENT)
            assert result.returncode == 0, result.stderr
            page = (course / "feedback" / "wrong" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
            assert "is not the right answer" in page and "max(0, z)" in page
    assert scores["nbgrader"] == scores["autograder"]


@pytest.mark.slow
def test_without_the_key_neither_tool_grades_the_quiz_as_wrong(tmp_path):
    """A course directory without answer_keys/: stock nbgrader's hidden tests show NotGraded naming
    the missing file (not a wrong answer's ✘); `autograder grade` exits 1, lists the submission as
    not graded with that reason and flags it; once the key is in place the next run grades it 8/8."""
    scripts = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=scripts + os.pathsep + os.environ.get("PATH", ""), COURSE_QUIZ_MODE="graded")
    missing = "answer_keys/quiz.toml"
    for tool in ("nbgrader", "autograder"):
        course = copy_course(tmp_path / tool)
        shutil.rmtree(course / "answer_keys")
        register(course, ASSIGNMENT)
        submit(course, "right", ASSIGNMENT, answered(RIGHT))
        command = ([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT] if tool == "nbgrader"
                   else [os.path.join(scripts, "autograder"), "grade", ASSIGNMENT, "--workers", "1", "--no-progress"])
        done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=900)
        outputs = graded_cell_outputs(course, "right", ASSIGNMENT)
        errors = [o for grade_id, cell in outputs.items() if grade_id.endswith("-test") for o in cell
                  if o.get("output_type") == "error"]
        assert len(errors) == 8 and {e["ename"] for e in errors} == {"NotGraded"}, (tool, errors)
        assert all(str(course / missing) in e["evalue"] and "✘" not in e["evalue"] for e in errors), errors[0]
        if tool == "nbgrader":
            assert done.returncode == 0, done.stdout + done.stderr  # stock nbgrader records the cells' errors
            continue
        assert done.returncode == 1, done.stdout + done.stderr
        assert "not graded" in done.stdout and str(course / missing) in done.stdout, done.stdout
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            assert gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "right").flagged
        (course / "answer_keys").mkdir()
        shutil.copy(ROOT / missing, course / missing)
        done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "the last attempt failed" in done.stdout, done.stdout  # graded again, without --force
        right = {cell: s for cell, s in grades(course, "right", ASSIGNMENT).items() if cell.endswith("-test")}
        assert len(right) == 8 and all(score == maximum == 1 for score, maximum in right.values()), right


@pytest.mark.slow
def test_self_study_local_score_counts_the_committed_answers(tmp_path):
    folder = tmp_path / ASSIGNMENT
    folder.mkdir()
    nbformat.write(answered(RIGHT[:4] + WRONG[4:]), str(folder / f"{ASSIGNMENT}.ipynb"))
    # the widget committed a wrong first answer to question 1 before the cell was corrected
    (folder / quiz.ATTEMPTS_FILE).write_text(json.dumps({"1": "A"}))
    scripts = str(Path(sys.executable).parent)
    env = dict(os.environ, COURSE_QUIZ_MODE="self-study")
    done = subprocess.run([os.path.join(scripts, "autograder"), "check", str(folder / f"{ASSIGNMENT}.ipynb"),
                           "--json"], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    result = json.loads(done.stdout)
    assert (result["score"], result["max_score"]) == (3, 8), result
    first = next(t for t in result["tests"] if t["name"] == "l07-q1-test")
    assert first["status"] == "failed" and "first answer, A" in first["message"]
    # the check committed the letters it scored: changing the cells gives no second try
    assert json.loads((folder / quiz.ATTEMPTS_FILE).read_text()) == {
        str(n): ("A" if n == 1 else (RIGHT[:4] + WRONG[4:])[n - 1]) for n in range(1, 9)}
    nbformat.write(answered(RIGHT), str(folder / f"{ASSIGNMENT}.ipynb"))
    done = subprocess.run([os.path.join(scripts, "autograder"), "check", str(folder / f"{ASSIGNMENT}.ipynb"),
                           "--json"], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    again = json.loads(done.stdout)
    assert again["score"] == 3, again
    fifth = next(t for t in again["tests"] if t["name"] == "l07-q5-test")
    assert fifth["status"] == "failed" and "first answer, A, is the one that counts; the cell now says C" in fifth["message"]


@pytest.mark.slow
def test_self_check_labels_a_wrong_widget_answer_failed_not_not_attempted(tmp_path):
    """Answered wrongly in the widget, answer cells untouched (their stubs): failed, with the verdict."""
    folder = tmp_path / ASSIGNMENT
    folder.mkdir()
    shutil.copy(ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", folder)
    (folder / quiz.ATTEMPTS_FILE).write_text(json.dumps({"1": "A", "2": RIGHT[1]}))
    scripts = str(Path(sys.executable).parent)
    env = dict(os.environ, COURSE_QUIZ_MODE="self-study")
    done = subprocess.run([os.path.join(scripts, "autograder"), "check", str(folder / f"{ASSIGNMENT}.ipynb"),
                           "--json"], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    result = json.loads(done.stdout)
    status = {t["name"]: t for t in result["tests"]}
    assert status["l07-q1-test"]["status"] == "failed", status["l07-q1-test"]
    assert "A is not the right answer" in status["l07-q1-test"]["message"]
    assert status["l07-q2-test"]["status"] == "passed" and result["score"] == 1
    assert all(status[f"l07-q{n}-test"]["status"] == "not attempted" for n in range(3, 9)), status


def test_self_check_trusts_a_checks_own_verdict_over_a_stub_above():
    from nbformat.v4 import new_code_cell, new_notebook

    from autograder.outputs.selfcheck import score_notebook

    def cell(source, grade_id, **meta):
        made = new_code_cell(source)
        made.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, "locked": False, **meta}
        return made

    def failing(ename, text):
        test = cell("ex.q1.check()", f"test-{ename}", grade=True, solution=False, points=1)
        test.outputs = [nbformat.from_dict({"output_type": "error", "ename": ename, "evalue": text,
                                            "traceback": []})]
        return test

    stub = "# YOUR CODE HERE\nraise NotImplementedError()"
    nb = new_notebook(cells=[
        cell(stub, "a1", grade=False, solution=True), failing("CheckFailed", "✘ Question 1: A is not the right answer"),
        cell(stub, "a2", grade=False, solution=True), failing("NotAttempted", "… Question 2: not attempted yet"),
        cell(stub, "a3", grade=False, solution=True), failing("NameError", "name 'x' is not defined"),
    ])
    assert [t.status for t in score_notebook(nb).tests] == ["failed", "not attempted", "not attempted"]

