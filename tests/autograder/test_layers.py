"""autograder/ is layered, and ``ls autograder/`` shows the layers.

Each subpackage imports only from the subpackages below it, top to bottom:

    cli         the ``autograder`` command
    grading     ``grade``: the whole flow in one function (autograder/grading.py)
    executors   where a plan runs: local workers or a Dask cluster
    execute     grading one notebook: the worker process, the guarded Execute step, its setup
    check       the trusted checks (a process)
    isolate     sandbox, zygote, kernels, process helpers (sandbox and zygote are processes)
    outputs     exports, feedback, the class report, progress, self-check
    plan        intake of submissions, the plan of a run
    record      the run log and recorder, gradebook batches
    core        results, options, the course directory, pidfolders

``outputs`` sits low because it only reads what a run recorded (plan, record, core),
but only ``cli`` and ``grading`` may import it: grading itself (executors, execute,
check, isolate) never writes a report. ``coursework`` (this course's own tools) is
beside the flow: it may import ``core`` and ``course``, and nothing imports it.

Lazy imports (inside functions) count as much as top-level ones. Only ``check`` and
``coursework`` may import ``course``. Only modules of ``isolate``, ``check`` and
``execute`` are started as processes (``python -m autograder...``). The flat modules
at the package root other than ``grading`` are aliases of moved modules, kept for one
release, as is ``executors.dask.grade_on_dask`` (now ``grading.grade_on_dask``): see ALIASES.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Top to bottom: a module may import its own layer and the layers after it.
LAYERS = ["cli", "grading", "executors", "execute", "check", "isolate", "outputs", "plan", "record", "core"]
#: Who may import ``outputs`` (besides outputs itself and the aliases).
OUTPUTS_USERS = {"cli", "grading"}
#: Beside the flow: may import these layers; no layer imports it.
COURSEWORK_USES = {"core"}
#: The only layers that may import the course library.
COURSE_USERS = {"check", "coursework"}
#: The only layers whose modules run as processes (``python -m autograder.<layer>...``).
PROCESS_LAYERS = {"isolate", "check", "execute"}
#: One-release aliases of moved public functions: (module, what it may import upwards for the alias).
ALIASES = {("autograder/executors/dask.py", "autograder.grading")}  # grade_on_dask: now in grading
#: The package's lazily imported public names (``from autograder import grade``), and where they live.
PUBLIC = {f"autograder.{name}": "autograder.core" for name in ("Course", "CourseError", "Summary", "Result", "Status")}
PUBLIC["autograder.grade"] = "autograder.grading"


def layer_of(module: str) -> str | None:
    """``autograder.plan.intake`` -> ``plan``; ``autograder`` (the package's own __init__) -> None."""
    parts = module.split(".")
    if parts[0] != "autograder" or len(parts) == 1:
        return None
    return parts[1]


def module_name(path: Path, package_root: Path) -> str:
    parts = list(path.relative_to(package_root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(tree: ast.AST) -> list[tuple[int, str]]:
    """Every ``autograder``/``course`` module a module imports, anywhere in it (lazy imports count)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "autograder":  # from autograder import sandbox: a submodule, or a public name
                found += [(node.lineno, f"autograder.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.split(".")[0] in ("autograder", "course")]


def process_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """``"-m", "autograder.x.y"`` in a list or call: the module started as a process."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple)):
            items = node.elts
        elif isinstance(node, ast.Call):
            items = node.args
        else:
            continue
        for first, second in zip(items, items[1:]):
            if (isinstance(first, ast.Constant) and first.value == "-m" and isinstance(second, ast.Constant)
                    and isinstance(second.value, str) and second.value.startswith("autograder")):
                found.append((node.lineno, second.value))
    return found


def violations(package_root: Path) -> list[str]:
    """What breaks the layering in the package at ``package_root`` (a folder named ``autograder``)."""
    wrong = []
    for path in sorted(package_root.rglob("*.py")):
        here = module_name(path, package_root)
        source = layer_of(here)
        tree = ast.parse(path.read_text())
        where = f"{path.relative_to(package_root.parent)}"
        is_alias = path.parent == package_root and source not in (None, "grading")
        if is_alias and not (ast.get_docstring(tree) or "").startswith("Moved to autograder."):
            wrong.append(f"{where}: a module beside grading.py that is no alias of a moved module: put it in a layer")
        for line, name in imports(tree):
            name = PUBLIC.get(name, name)
            target = layer_of(name)
            if name.split(".")[0] == "course":
                if source not in COURSE_USERS:
                    wrong.append(f"{where}:{line} imports {name}: only {sorted(COURSE_USERS)} may import course")
                continue
            if source is None or target is None or target == source:
                continue
            if is_alias or (where, name) in ALIASES:
                continue  # an alias imports the module it names (see the module docstring)
            if target not in LAYERS + ["coursework"] or (source not in LAYERS + ["coursework"]):
                wrong.append(f"{where}:{line} imports {name}: {target or source} is in no layer")
            elif target == "coursework":
                wrong.append(f"{where}:{line} imports {name}: nothing imports coursework")
            elif source == "coursework":
                if target not in COURSEWORK_USES:
                    wrong.append(f"{where}:{line} imports {name}: coursework may import only {sorted(COURSEWORK_USES)}")
            elif LAYERS.index(target) < LAYERS.index(source):
                wrong.append(f"{where}:{line} imports {name}: {source} is below {target}")
            elif target == "outputs" and source not in OUTPUTS_USERS:
                wrong.append(f"{where}:{line} imports {name}: only {sorted(OUTPUTS_USERS)} may import outputs")
        for line, name in process_modules(tree):
            if layer_of(name) not in PROCESS_LAYERS:
                wrong.append(f"{where}:{line} runs {name} as a process: only {sorted(PROCESS_LAYERS)} are processes")
    return wrong


def test_autograder_is_layered():
    assert violations(ROOT / "autograder") == []


def test_every_subpackage_is_in_a_layer():
    folders = {p.name for p in (ROOT / "autograder").iterdir() if (p / "__init__.py").exists()}
    assert folders == (set(LAYERS) - {"grading"}) | {"coursework"}


# -- the checker itself, on fake trees ------------------------------------------------------
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "autograder"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in path.relative_to(root).parents:
            (root / folder / "__init__.py").touch()
        path.write_text(text)
    return root


def test_a_clean_fake_tree_passes(tmp_path):
    root = _tree(tmp_path, {"core/results.py": "import json\n",
                            "plan/planner.py": "from autograder.core.results import Job\n",
                            "cli/main.py": "def run():\n    from autograder.outputs import report\n",
                            "check/trusted.py": "import course\ncmd = ['python', '-m', 'autograder.check.trusted']\n",
                            "grading.py": "from autograder.plan.planner import make_plan\n"})
    assert violations(root) == []


@pytest.mark.parametrize("files, expected", [
    ({"core/results.py": "from autograder.plan.planner import Plan\n"}, "core is below plan"),
    ({"isolate/zygote.py": "def f():\n    from autograder.check import trusted\n"}, "isolate is below check"),
    ({"executors/local.py": "def f():\n    from autograder.grading import grade\n"}, "executors is below grading"),
    ({"executors/local.py": "def f():\n    from autograder import grade\n"}, "executors is below grading"),
    ({"execute/worker.py": "from autograder.outputs.report import write_report\n"}, "only ['cli', 'grading'] may import outputs"),
    ({"record/runlog.py": "import course.data\n"}, "only ['check', 'coursework'] may import course"),
    ({"plan/intake.py": "from autograder.coursework import reference\n"}, "nothing imports coursework"),
    ({"coursework/reference.py": "from autograder.grading import grade\n"}, "coursework may import only ['core']"),
    ({"helpers.py": "import os\n"}, "no alias of a moved module"),
    ({"executors/grader.py": "cmd = [sys.executable, '-m', 'autograder.plan.planner']\n"}, "runs autograder.plan.planner as a process"),
])
def test_a_bad_import_in_a_fake_tree_is_named(tmp_path, files, expected):
    found = violations(_tree(tmp_path, files))
    assert len(found) == 1 and expected in found[0], found
