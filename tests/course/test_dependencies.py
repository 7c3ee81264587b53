"""course/ is one concept per module, and dependencies point one way.

Each test here fails when a duplicate comes back: a second ``class Stage``, a second
``activation_name``, another pass through ``model.layers``, another reader of a History
or of an optimizer's step count, another "is it a Sequential" check, an import of
``autograder`` from ``course``, or quiz logic that imports the quiz widget.
"""
import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"

#: Concepts that must be defined once in course/, and the module that owns each.
ONE_HOME = {
    "Stage": "course/stages.py",             # one stage model
    "run_stages": "course/stages.py",        # the stages of a model on data
    "layer_outputs": "course/model_facts.py",  # one pass through the layers
    "activation_name": "course/model_facts.py",
    "history_dict": "course/model_facts.py",   # one history reader
    "accuracy_key": "course/model_facts.py",
    "optimizer_steps": "course/model_facts.py",
    "is_sequential": "course/model_facts.py",
    "describe_layer": "course/stages.py",
    "stage_names": "course/stages.py",
    "classify": "course/prediction.py",      # probabilities to classes
    "scores": "course/prediction.py",        # loss and accuracy of predictions
    "KNOWN_ERRORS": "course/errors.py",      # read from known_errors.toml
    "shape_text": "course/formatting.py",
    "html_table": "course/formatting.py",
    "epoch_table": "course/training_trace.py",
    "EPOCH_TABLE": "course/reference_epochs.py",  # one table of reference numbers
    "TraceError": "course/arguments.py",
    "check_model": "course/arguments.py",
    "course_config": "course/settings.py",   # one reader of the course's nbgrader_config.py
    "AnswerKeyMissing": "course/answer_key.py",  # one reader of the quiz's answer key
    "location": "course/answer_key.py",
    "NotGraded": "course/feedback.py",       # a check the grader cannot score
    "setting": "course/settings.py",
}


def modules():
    for path in sorted(COURSE.rglob("*.py")):
        yield str(path.relative_to(ROOT)), ast.parse(path.read_text())


def imported_modules(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def definitions(tree):
    """Names a module defines: its classes, functions and constants (methods are not modules' names)."""
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name
        elif isinstance(node, ast.Assign):
            yield from (target.id for target in node.targets if isinstance(target, ast.Name))


def test_course_never_imports_autograder():
    offenders = {path: name for path, tree in modules()
                 for name in imported_modules(tree) if name.split(".")[0] == "autograder"}
    assert not offenders, offenders


def test_quiz_logic_does_not_import_the_quiz_widget():
    tree = ast.parse((COURSE / "quiz.py").read_text())
    assert not [name for name in imported_modules(tree) if name.startswith("course.widgets")]


def test_each_concept_is_defined_once_in_its_module():
    homes = {name: [] for name in ONE_HOME}
    for path, tree in modules():
        for name in definitions(tree):
            if name in homes:
                homes[name].append(path)
    wrong = {name: paths for name, paths in homes.items() if paths != [ONE_HOME[name]]}
    assert not wrong, f"defined elsewhere or more than once: {wrong}"


def test_no_module_defines_a_class_twice_across_course():
    classes = Counter(node.name for _, tree in modules() for node in ast.walk(tree)
                      if isinstance(node, ast.ClassDef))
    assert not {name: n for name, n in classes.items() if n > 1}


def _attribute_calls(tree, attribute):
    """Lines using ``isinstance(..., <something>.<attribute>)`` or ``getattr(..., "<attribute>")``."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id == "isinstance" and len(node.args) == 2:
            kinds = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
            if any(isinstance(kind, ast.Attribute) and kind.attr == attribute for kind in kinds):
                yield node.lineno
        if node.func.id == "getattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                and node.args[1].value == attribute:
            yield node.lineno


def test_one_sequential_check_one_history_reader_one_step_counter():
    for attribute in ("Sequential", "history", "iterations"):
        found = {path for path, tree in modules() if list(_attribute_calls(tree, attribute))}
        assert found == {"course/model_facts.py"}, (attribute, found)


def test_one_pass_through_the_layers():
    """Only model_facts.layer_outputs calls each of ``model.layers`` on data."""
    found = set()
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.For) and isinstance(node.iter, ast.Attribute) and node.iter.attr == "layers":
                calls = [n for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                         and isinstance(node.target, ast.Name) and n.func.id == node.target.id]
                if calls:
                    found.add(path)
    assert found == {"course/model_facts.py"}, found
