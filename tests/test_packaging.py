"""pyproject.toml is the single truth; environment.yml and the platform markers follow it; the
wheel is what a class's students get, and it cannot give a quiz answer away."""
import json
import os
import sys
from pathlib import Path

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture(scope="module")
def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.fixture(scope="module")
def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_environment_yml_installs_this_package_through_pip_and_nothing_else(environment):
    conda_packages = [d for d in environment["dependencies"] if isinstance(d, str)]
    pip_sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    assert environment["channels"] == ["conda-forge"]
    assert sorted(name.split("=")[0] for name in conda_packages) == ["pip", "python"]
    assert pip_sections == [["-e .[dev]"]], "pip must install this package, so deps come from pyproject"


def test_environment_python_pin_is_allowed_by_pyproject(environment, project):
    pin = next(d for d in environment["dependencies"] if isinstance(d, str) and d.startswith("python="))
    version = pin.split("=", 1)[1]
    assert version in SpecifierSet(project["requires-python"])


def claimed_pythons(project) -> list[str]:
    """The Python minor versions pyproject's requires-python admits (3.0 to 3.30)."""
    allowed = SpecifierSet(project["requires-python"])
    return [f"3.{minor}" for minor in range(31) if f"3.{minor}.0" in allowed]


def test_claimed_pythons_are_the_classifiers(project):
    classified = [c.rsplit(" :: ", 1)[1] for c in project["classifiers"]
                  if c.startswith("Programming Language :: Python :: 3.")]
    assert claimed_pythons(project) == classified == ["3.11", "3.12", "3.13"]


def installed_requirements(project) -> dict[str, "object"]:
    """The installed distribution of each dependency the course declares for this platform,
    read offline. (Their own dependencies are left to pip, which picks older releases where the
    newest needs a later patch release, as soupsieve does with 3.11.5.)"""
    from importlib import metadata

    environment = default_environment()
    return {requirement.name: metadata.distribution(requirement.name)
            for requirement in map(Requirement, project["dependencies"])
            if requirement.marker is None or requirement.marker.evaluate(environment)}


def test_every_dependency_installs_on_every_claimed_python(project):
    """Each distribution's own Requires-Python admits each Python the course claims (3.10 did not:
    nbgrader 0.9.6 and Keras require 3.11)."""
    distributions = installed_requirements(project)
    assert {"nbgrader", "keras", "tensorflow-cpu", "jupyterlab"} <= set(distributions)
    refused = [(name, python, dist.metadata.get("Requires-Python"))  # some (stack_data) declare none
               for name, dist in sorted(distributions.items())
               for python in claimed_pythons(project)
               if dist.metadata.get("Requires-Python")
               and f"{python}.0" not in SpecifierSet(dist.metadata["Requires-Python"])]
    assert refused == []


def test_tensorflow_has_wheels_for_every_claimed_python(project):
    """TensorFlow's wheels are per Python: its classifiers list the versions it is built for."""
    from importlib import metadata

    name = next(Requirement(line).name for line in project["dependencies"]
                if Requirement(line).name.startswith("tensorflow")
                and Requirement(line).marker.evaluate(default_environment()))
    built = {c.rsplit(" :: ", 1)[1] for c in metadata.metadata(name).get_all("Classifier")
             if c.startswith("Programming Language :: Python :: 3.")}
    assert set(claimed_pythons(project)) <= built


def test_tasks_py_refuses_other_pythons_with_a_clear_message(project):
    sys.path.insert(0, str(ROOT))
    try:
        import tasks
    finally:
        sys.path.remove(str(ROOT))
    (low_major, low_minor), (high_major, high_minor) = tasks.SUPPORTED_PYTHONS
    assert [f"3.{m}" for m in range(low_minor, high_minor + 1)] == claimed_pythons(project)
    assert tasks.python_problem((3, 11, 2)) is None
    assert tasks.python_problem((3, 13, 0)) is None
    for old in ((3, 10, 12), (3, 14, 0)):
        message = tasks.python_problem(old)
        assert message and ".".join(map(str, old)) in message and "3.11 to 3.13" in message


def test_license_is_an_spdx_expression(project):
    from packaging.licenses import canonicalize_license_expression

    assert isinstance(project["license"], str), "a TOML table license is deprecated by setuptools"
    assert canonicalize_license_expression(project["license"]) == project["license"]


PLATFORMS = {
    "linux-x86_64": {"sys_platform": "linux", "platform_machine": "x86_64"},
    "linux-aarch64": {"sys_platform": "linux", "platform_machine": "aarch64"},
    "macos-arm64": {"sys_platform": "darwin", "platform_machine": "arm64"},
    "windows": {"sys_platform": "win32", "platform_machine": "AMD64"},
}


@pytest.mark.parametrize("platform, wheel", [
    ("linux-x86_64", "tensorflow-cpu"),
    ("linux-aarch64", "tensorflow"),
    ("macos-arm64", "tensorflow"),
    ("windows", "tensorflow"),
])
def test_each_platform_gets_exactly_one_tensorflow(project, platform, wheel):
    environment = default_environment()
    chosen = []
    for line in project["dependencies"]:
        requirement = Requirement(line)
        if requirement.name not in ("tensorflow", "tensorflow-cpu"):
            continue
        if requirement.marker is None or requirement.marker.evaluate({**environment, **PLATFORMS[platform]}):
            chosen.append(requirement.name)
    assert chosen == [wheel]


def test_field_dependencies_are_declared(project):
    names = {Requirement(line).name for line in project["dependencies"]}
    assert {"jupyterlab", "nbgrader", "keras", "matplotlib", "ipywidgets", "nbclient"} <= names
    dev = {Requirement(line).name for line in project["optional-dependencies"]["dev"]}
    assert {"pytest", "playwright"} <= dev


def test_console_scripts_point_at_real_functions(project):
    import importlib

    for name, target in project["scripts"].items():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function)), name


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built offline as a class's student environment would get it."""
    import subprocess

    folder = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             "-w", str(folder), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return next(folder.glob("*.whl"))


def test_a_wheel_ships_every_subpackage(wheel):
    """A non-editable install must include course.lessons, course.widgets and autograder."""
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    for module in ("course/lessons/lesson07.py", "course/widgets/inspector.py", "course/trace.py",
                   "autograder/cli/main.py", "autograder/outputs/templates/class_report.html"):
        assert module in names, f"{module} missing from the wheel"
    assert not any(name.startswith(("tests/", "source/", "benchmarks/", "answer_keys/")) for name in names)


# ---------------------------------------------------------------- a class's student environment

#: Run with ``python -I`` in the student's lesson folder: argv[1] is the unpacked wheel, put first on
#: sys.path (so the checkout's editable ``course`` is not the one imported). It answers every question
#: with every option through every public function of the modules that mention the quiz, the quiz's
#: exercises and widget, and the released notebook's cells, in graded mode (the class's config, as a
#: hub gives it) and in self-study mode; it prints every output, as JSON, by mode, question, probe and
#: the letter given (:func:`derivable` judges them).
PROBE = r"""
import ast, contextlib, importlib, inspect, io, json, os, re, sys
from pathlib import Path

site, notebook_path = sys.argv[1], sys.argv[2]
sys.path.insert(0, site)
import course
assert course.__file__.startswith(site), course.__file__
import nbformat
from course import quiz

modules = sorted(".".join(p.relative_to(site).with_suffix("").parts).removesuffix(".__init__")
                 for p in Path(site, "course").rglob("*.py") if "quiz" in p.read_text())
LETTER_PARAMS, QUESTION_PARAMS = {"letter", "value", "answer"}, {"question", "number"}

def shown(value):
    # What a student can see of a value: text as it is (repr would pick its quotes by the text's
    # own content), a display's text formats, a widget's feedback and answer.
    if isinstance(value, str):
        return value
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(map(shown, value)) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{shown(k)}: {shown(v)}" for k, v in value.items()) + "}"
    parts = []
    if hasattr(value, "_repr_mimebundle_") and not inspect.isclass(value):
        try:
            bundle = value._repr_mimebundle_()
            parts += [bundle[k] for k in sorted(bundle) if k.startswith("text/")]
        except Exception as error:
            parts.append(f"bundle failed: {type(error).__name__}: {error}")
    for attribute in ("feedback", "answer"):
        if hasattr(value, attribute) and not inspect.isclass(value):
            parts.append(shown(getattr(getattr(value, attribute), "value", getattr(value, attribute))))
    return "\n".join(parts) if parts else re.sub(r" at 0x[0-9a-f]+", "", repr(value))

def run(function, *args, **kwargs):
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            result = function(*args, **kwargs)
        return out.getvalue() + shown(result)
    except BaseException as error:
        return out.getvalue() + f"raised {type(error).__name__}: {error}"

def fresh():
    quiz.SESSION.clear()
    Path(quiz.ATTEMPTS_FILE).unlink(missing_ok=True)

quiz._in_kernel = lambda: True  # commits as a notebook's kernel does (to .quiz_answers.json)
called, outputs = set(), {}  # outputs: {(mode, number, probe): {letter: text}}

def record(mode, question, name, letter, text):
    outputs.setdefault((mode, question.number, name), {})[letter] = text

def probe_functions(mode, question, letter):
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name, function in inspect.getmembers(module, callable):
            if name.startswith("_") or not getattr(function, "__module__", "").startswith("course"):
                continue
            try:
                parameters = inspect.signature(function).parameters
            except (TypeError, ValueError):
                continue
            given, missing = {}, False
            for parameter in parameters.values():
                if parameter.name in LETTER_PARAMS:
                    given[parameter.name] = letter
                elif parameter.name == "question":
                    given["question"] = question
                elif parameter.name == "number":
                    given["number"] = question.number
                elif parameter.name == "options":
                    given["options"] = question.options
                elif parameter.default is inspect.Parameter.empty and parameter.kind in (
                        parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                    missing = True
            if missing or not (set(given) & (LETTER_PARAMS | QUESTION_PARAMS)):
                continue
            fresh()
            called.add(f"{module_name}.{name}")
            record(mode, question, f"{module_name}.{name}", letter, run(function, **given))

def probe_notebook(mode, letter):
    # The released notebook's cells, every answer cell holding `letter`, then each question's hidden
    # test (as a grader would run it here), its hints, and its widget once the check has committed.
    fresh()
    nb = nbformat.read(notebook_path, as_version=4)
    namespace = {"__name__": "__main__"}
    printed = {}
    for index, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        found = re.fullmatch(r"l07-q(\d)-answer", cell.metadata.get("nbgrader", {}).get("grade_id", ""))
        source = f'answer_q{found.group(1)} = "{letter}"' if found else cell.source
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        def cell_run():
            exec(compile(tree, f"cell{index}", "exec"), namespace)
            if last is not None:
                return eval(compile(ast.Expression(last.value), f"cell{index}", "eval"), namespace)
        number = re.search(r"ex\.(?:ask\(|q)(\d)", cell.source)
        printed.setdefault(int(number.group(1)) if number else 0, []).append(run(cell_run))
    ex = namespace["ex"]
    for question in quiz.QUESTIONS:
        exercise = getattr(ex, f"q{question.number}")
        texts = printed.get(question.number, []) + [
            run(exercise.check, graded=True), run(exercise.hint, 1), run(exercise.hint, 2), run(ex.ask, question.number)]
        record(mode, question, "the released notebook", letter, "\n".join(texts))
    called.add("the released notebook")

for mode in ("graded", "self-study"):
    if mode == "self-study":
        os.environ["COURSE_QUIZ_MODE"] = "self-study"
    assert quiz.mode() == mode, (mode, quiz.mode())
    for letter in "ABCD":
        probe_notebook(mode, letter)
        for question in quiz.QUESTIONS:
            probe_functions(mode, question, letter)

print(json.dumps({"modules": modules, "called": sorted(called), "options": {q.number: q.options for q in quiz.QUESTIONS},
                  "outputs": [[mode, n, name, by_letter] for (mode, n, name), by_letter in outputs.items()]}))
"""


def _masked(text: str, letter: str, options: dict[str, str]) -> str:
    """``text`` with what merely repeats the option given (its letter, "B (its text)", the radio button
    that shows it chosen) masked, and every listing of all the options ("B. text", "<b>B.</b> text")
    replaced by the option's position."""
    import html
    import re

    for index, (shown_letter, shown_option) in enumerate(options.items()):
        for form in (html.escape(shown_option), shown_option):
            text = text.replace(f"<b>{shown_letter}.</b> {form}", f"<option #{index}>")
            text = text.replace(f"{shown_letter}. {form}", f"<option #{index}>")
    for form in (html.escape(options[letter]), options[letter]):
        text = text.replace(f"{letter} ({form})", "<answer>")
    text = text.replace("&#9673;", "<radio>").replace("&#9675;", "<radio>")  # which one is chosen
    return re.sub(rf"(?<![A-Za-z]){letter}(?![A-Za-z])", "<letter>", text)


def derivable(outputs: list, options: dict[str, dict[str, str]], right: dict[int, str]) -> list[dict]:
    """The probe's outputs that give an answer away: one that differs with the option given (beyond
    repeating it), or one that is the same for every option but names the right letter alone."""
    import re

    found = []
    for mode, number, name, by_letter in outputs:
        if len(set(by_letter.values())) > 1:
            masked = {letter: _masked(text, letter, options[str(number)]) for letter, text in by_letter.items()}
            if len(set(masked.values())) > 1:
                found.append({"mode": mode, "question": number, "probe": name, "outputs": masked})
            continue
        text = next(iter(by_letter.values()))
        quoted = set(re.findall(r"['\"]([A-D])['\"]", text))
        named = re.search(rf"\b(answer|option|letter) {right[number]}\b|\b{right[number]} is (right|correct)", text)
        if named or (right[number] in quoted and quoted != set(options[str(number)])):
            found.append({"mode": mode, "question": number, "probe": name, "names the right letter": text})
    return found


def _digest(number: int, letter: str) -> str:
    """The salted digest the quiz once shipped for a letter (any such digest is a lookup table)."""
    import hashlib

    return hashlib.sha256(f"keras-sequential-course:{number}:{letter}".encode()).hexdigest()


def student_leaks(site: Path, student: Path) -> dict:
    """What an installed student package at ``site`` (plus the lesson folder ``student``) gives away
    of the quiz key in ROOT/answer_keys/quiz.toml: files holding a key, and outputs that depend on
    whether the option given is the right one."""
    import re
    import subprocess

    key = tomllib.loads((ROOT / "answer_keys" / "quiz.toml").read_text())
    right = {int(name[1:]): entry["answer"] for name, entry in key.items()}
    secrets = {f"digest of question {n}'s answer": _digest(n, letter) for n, letter in right.items()}
    secrets.update({f"explanation of question {name[1:]}": " ".join(entry["explanation"].split())
                    for name, entry in key.items()})
    found = []
    for folder in (site, student):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            text = " ".join(path.read_bytes().decode("utf-8", "replace").split())
            found += [f"{path.relative_to(folder)}: {what}" for what, secret in secrets.items() if secret in text]
            found += [f"{path.relative_to(folder)}: answer_q{n} = {letter!r}" for n, letter in right.items()
                      if re.search(rf"answer_q{n}\s*=\s*\\?['\"]{letter}\\?['\"]", text)]
            if path.suffix in (".toml", ".json") and "explanation" in text:
                found.append(f"{path.relative_to(folder)}: a key file")
    config = student.parent / "etc"  # the class's settings, as a hub gives every server
    config.mkdir(exist_ok=True)
    (config / "nbgrader_config.py").write_text('c = get_config()\nc.CourseQuiz.mode = "graded"\n')
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(student.parent), "JUPYTER_CONFIG_DIR": str(config),
           "JUPYTER_DATA_DIR": str(student.parent / "data"), "TF_CPP_MIN_LOG_LEVEL": "3",
           "MPLBACKEND": "Agg", "COURSE_WIDGETS": "static"}
    done = subprocess.run([sys.executable, "-I", "-c", PROBE, str(site), str(student / "07_quiz.ipynb")],
                          cwd=student, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    return {"files": found, "differ": derivable(probe["outputs"], probe["options"], right), **probe}


def test_a_class_student_environment_cannot_derive_any_quiz_answer(wheel, tmp_path):
    """The student package of a class (the wheel, installed without the repository) and the released
    quiz: no file holds a key (letters, digests, explanations), and no public function of any module
    that mentions the quiz, no exercise, widget or released cell answers differently for the right
    option than for a wrong one, in graded or self-study mode."""
    import shutil
    import zipfile

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    student = tmp_path / "student" / "07_quiz"
    shutil.copytree(ROOT / "release" / "07_quiz", student)
    leaks = student_leaks(site, student)
    assert leaks["files"] == [], leaks["files"]
    assert not leaks["differ"], json.dumps(leaks["differ"], indent=1)[:6000]
    # the probe reached what it should: the quiz's logic, its key reader, the lesson, the widget, the notebook
    assert {"course.quiz", "course.answer_key", "course.lessons.lesson07", "course.widgets.quiz"} <= set(leaks["modules"])
    assert {"course.quiz.is_correct", "course.quiz.verdict", "course.quiz.instant_verdict", "course.quiz.key",
            "course.quiz.commit", "course.quiz.recorded", "course.answer_key.key", "course.widgets.quiz.ask",
            "course.lessons.lesson07.ask", "the released notebook"} <= set(leaks["called"]), leaks["called"]
    notebook = {(mode, n): by_letter for mode, n, name, by_letter in leaks["outputs"] if name == "the released notebook"}
    assert "answer recorded" in notebook[("graded", 1)]["C"]
    assert "The answer key is not installed here (your instructor has it)" in notebook[("self-study", 1)]["C"]
    assert "NOT GRADED" in notebook[("graded", 1)]["C"]  # the hidden test, run here: no key, no grade
