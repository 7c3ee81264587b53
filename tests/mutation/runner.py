"""Run answer-cell mutants (and correct variants) through a lesson's real notebook, in one kernel.

Per lesson one Jupyter kernel (nbclient) runs the source notebook's cells. For each mutant of an
answer cell the kernel's namespace is reset (``%reset -f``; imported modules stay loaded, so this
costs no TensorFlow start-up), the cells above are replayed with the reference answers (``ex.bind``
re-seeds, so every replay repeats the same numbers), then the mutated cell and the visible part of
the test cell run. The visible test's message is judged against what the mutant changed.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import nbformat
from nbclient import NotebookClient

from tests.mutation.mutants import Mutant, mutants

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "source"
HIDDEN = "### BEGIN HIDDEN TESTS"

#: Phrases by which a message names a cause (a diagnosis, not just expected vs found).
DIAGNOSES = ("did you mean", "instead of", "probably", "reuse", "more than once", "looks like",
             "you passed", "you used", "swapped", "returns variance", "returns a count", "never adapted",
             "use axis", "transpos", "batch size", "batch_size", "validation_split", "fraction of 0",
             "median", "variance", "percentage", "min-max", "global", "labels instead",
             "adapted on", "argument is ignored", "ignores its argument", "round(", "rounded")

#: The verdicts, in report order.
VERDICTS = ("named", "symptom", "misleading", "slipped", "equivalent")

FINGERPRINT = r'''
def __mutation_fingerprint(names):
    import json, numbers
    import numpy as _np
    def one(value):
        try:
            import keras as _k
            if isinstance(value, (_k.layers.Layer,)):
                config = {k: v for k, v in value.get_config().items() if k not in ("name",)}
                return ["layer", type(value).__name__, json.dumps(config, default=str, sort_keys=True),
                        [[list(w.shape), round(float(_np.sum(w)), 4)] for w in value.get_weights()]]
        except Exception:
            pass
        if isinstance(getattr(value, "history", None), dict):  # a Keras History: its numbers
            return ["history", {k: [round(float(v), 4) for v in vs] for k, vs in value.history.items()}]
        if callable(value) or type(value).__module__.startswith("matplotlib"):
            return ["callable"]
        if isinstance(value, (str, bool)) or value is None:
            return [type(value).__name__, value]
        if isinstance(value, numbers.Number):
            return ["number", round(float(value), 6)]
        try:
            array = _np.asarray(value, dtype=float)
            return ["array", list(array.shape), round(float(_np.nansum(array)), 4),
                    round(float(_np.nansum(_np.abs(array))), 4)]
        except Exception:
            return [type(value).__name__, repr(value)[:80]]
    print("__FINGERPRINT__" + json.dumps({n: one(globals()[n]) if n in globals() else ["missing"]
                                          for n in names}, default=str))
'''


@dataclass
class Outcome:
    """What a mutant did: the visible test's verdict and message, and the judgement."""

    mutant: Mutant
    verdict: str
    message: str
    hidden_passed: bool | None = None
    detail: str = ""


@dataclass
class Cell:
    index: int
    grade_id: str
    source: str
    test_index: int | None = None
    assigned: list[str] = field(default_factory=list)


def answer_cells(notebook: nbformat.NotebookNode) -> list[Cell]:
    """The notebook's answer cells, each with the test cell that follows it."""
    found: list[Cell] = []
    for index, cell in enumerate(notebook.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            found.append(Cell(index, meta["grade_id"], cell.source, assigned=assigned_names(cell.source)))
        elif meta.get("grade") and found and found[-1].test_index is None:
            found[-1].test_index = index
    return found


def assigned_names(source: str) -> list[str]:
    """Names a cell assigns or defines at its top level."""
    names: list[str] = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    names.append(sub.id)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
    return list(dict.fromkeys(names))


def split_test(source: str) -> tuple[str, str]:
    """(visible part, hidden part) of a test cell."""
    visible, _, hidden = source.partition(HIDDEN)
    hidden = hidden.replace("### END HIDDEN TESTS", "")
    return visible, hidden


#: Where a message relays Python's own words: they name nothing on the course's behalf.
RELAYED = re.compile(r"\(python said:|your code raised", re.IGNORECASE)


def course_words(message: str) -> str:
    """The problems a message lists, in the course's own words: the count line, each item's number
    and the relayed Python error (from "(Python said:" or "your code raised" to the item's end) left out."""
    kept, relaying = [], False
    for line in message.splitlines():
        if re.search(r"\d+ problems? to fix$", line):
            continue
        item = re.match(r"^\s*\d+\. ", line)
        if item:
            relaying, line = False, line[item.end():]
        if relaying:
            continue
        relayed = RELAYED.search(line)
        if relayed:
            relaying, line = True, line[:relayed.start()]
        kept.append(line)
    return "\n".join(kept)


def judge(mutant: Mutant, message: str) -> str:
    """named / misleading / symptom for a failing visible test's message."""
    text = course_words(message).lower().replace("`", "")
    for word in mutant.names:
        word = word.lower()
        if re.fullmatch(r"[\d.\-]+", word):  # a number: whole, never inside "1 problem" or "1000"
            pattern = rf"(?<![\w.]){re.escape(word)}(?![\w]|\.\d)"
        elif re.fullmatch(r"\w{1,3}", word):  # a short name (x, y, T): a whole word
            pattern = rf"(?<![\w.]){re.escape(word)}(?!\w)"
        else:  # a longer word or phrase: its start (so "variance" names "variances")
            pattern = rf"(?<!\w){re.escape(word)}" if word[0].isalnum() else re.escape(word)
        if re.search(pattern, text):
            return "named"
    if any(phrase in text for phrase in DIAGNOSES):
        return "misleading"
    return "symptom"


class LessonKernel:
    """One kernel for one lesson notebook; runs code and reports what it printed or raised."""

    def __init__(self, lesson: str, timeout: int = 120):
        self.lesson = lesson
        self.path = SOURCE / lesson / f"{lesson}.ipynb"
        self.notebook = nbformat.read(self.path, as_version=4)
        # inside the course (git-ignored build/): the quiz finds the course's answer key, as in a clone
        (ROOT / "build").mkdir(exist_ok=True)
        self.workdir = tempfile.TemporaryDirectory(prefix="mutation-", dir=ROOT / "build")
        scratch = nbformat.v4.new_notebook()
        scratch.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        self.client = NotebookClient(scratch, timeout=timeout, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": self.workdir.name}})
        self.scratch = scratch

    def __enter__(self) -> "LessonKernel":
        self.context = self.client.setup_kernel()
        self.context.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.context.__exit__(*exc)
        self.workdir.cleanup()

    def run(self, source: str) -> tuple[str, str | None]:
        """(everything printed, the error's rendered text or None)."""
        cell = nbformat.v4.new_code_cell(source)
        self.scratch.cells = [cell]
        self.client.execute_cell(cell, 0)
        printed, error = [], None
        for output in cell.outputs:
            if output.output_type == "stream":
                printed.append(output.text)
            elif output.output_type == "error":
                traceback = "\n".join(output.get("traceback", []))
                error = _strip_ansi(traceback) or f"{output.ename}: {output.evalue}"
            elif output.output_type in ("display_data", "execute_result"):
                printed.append(str(output.get("data", {}).get("text/plain", "")))
        return "".join(printed), error

    def replay(self, upto: int) -> None:
        """Fresh namespace and working folder, then every code cell above ``upto`` with the reference
        answers (test cells left out: they only check)."""
        for leftover in Path(self.workdir.name).iterdir():  # e.g. the quiz's first answers
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        self.run("%reset -f")
        # the quiz's self-study answers committed in this kernel (they outlive a reset by design)
        self.run("import sys as __sys\nif 'course.quiz' in __sys.modules: __sys.modules['course.quiz'].SESSION.clear()")
        self.run(FINGERPRINT)
        for cell in self.notebook.cells[:upto]:
            if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade"):
                continue
            _, error = self.run(cell.source)
            if error:
                raise RuntimeError(f"{self.lesson}: the reference cell failed on replay:\n{error}")

    def checked_names(self) -> list[str]:
        """Every name the lesson's checks read (the notebook binds its exercises as ``ex``)."""
        if not hasattr(self, "_checked"):
            printed, _ = self.run("import json as __json; print('__NAMES__' + __json.dumps(ex.notebook.answer_names()))")
            line = next(line for line in printed.splitlines() if line.startswith("__NAMES__"))
            self._checked = json.loads(line[len("__NAMES__"):])
        return self._checked

    def fingerprint(self, names: Iterable[str]) -> dict:
        printed, _ = self.run(f"__mutation_fingerprint({list(names)!r})")
        line = next(line for line in printed.splitlines() if line.startswith("__FINGERPRINT__"))
        return json.loads(line[len("__FINGERPRINT__"):])


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def try_answer(kernel: LessonKernel, cell: Cell, source: str) -> dict:
    """Run one version of an answer cell and its test; what it defined, printed and the verdicts."""
    kernel.replay(cell.index)
    _, answer_error = kernel.run(source)
    visible, hidden = split_test(kernel.notebook.cells[cell.test_index].source)
    printed, error = kernel.run(visible)  # right after the answer: the check reads its error
    values = kernel.fingerprint([name for name in cell.assigned if name in kernel.checked_names()])
    hidden_error = None
    if error is None and hidden.strip():
        _, hidden_error = kernel.run(hidden)
    return dict(values=values, answer_error=answer_error, visible_error=error, printed=printed,
                hidden_error=hidden_error)


def run_mutants(lesson: str, only: Iterable[str] | None = None, limit: int | None = None,
                select=None) -> tuple[list[Outcome], dict]:
    """Every mutant of the lesson's answer cells, judged; and the reference runs."""
    outcomes: list[Outcome] = []
    references: dict[str, dict] = {}
    with LessonKernel(lesson) as kernel:
        for cell in answer_cells(kernel.notebook):
            if cell.test_index is None or (only and cell.grade_id not in only):
                continue
            reference = try_answer(kernel, cell, cell.source)
            if reference["visible_error"] or reference["hidden_error"]:
                raise RuntimeError(f"{lesson} {cell.grade_id}: the reference answer fails its test:\n"
                                   f"{reference['visible_error'] or reference['hidden_error']}")
            references[cell.grade_id] = reference
            found = mutants(lesson, cell.grade_id, cell.source)
            if select:
                found = [m for m in found if select(m)]
            for mutant in found[:limit]:
                outcomes.append(classify(mutant, try_answer(kernel, cell, mutant.source), reference))
    return outcomes, references


def classify(mutant: Mutant, run: dict, reference: dict) -> Outcome:
    """The verdict on one mutant's run, compared with the reference answer's run."""
    if run["visible_error"] is None:
        same = run["values"] == reference["values"] and run["answer_error"] is None
        if same and run["hidden_error"] is None:
            return Outcome(mutant, "equivalent", run["printed"].strip()[-300:], True,
                           "values equal the reference's; hidden tests pass")
        differing = [name for name in reference["values"]
                     if run["values"].get(name) != reference["values"][name]]
        detail = (f"differs in: {', '.join(differing)}" if differing else "values equal") + (
            "; hidden tests catch it" if run["hidden_error"] else "; hidden tests pass too")
        return Outcome(mutant, "slipped", run["printed"].strip()[-300:], run["hidden_error"] is None, detail)
    message = run["visible_error"]
    return Outcome(mutant, judge(mutant, message), message)


def check_variant(lesson: str, grade_id: str, source: str) -> dict:
    """Run one rewritten (correct) answer through the visible and the hidden tests."""
    with LessonKernel(lesson) as kernel:
        cell = next(c for c in answer_cells(kernel.notebook) if c.grade_id == grade_id)
        return try_answer(kernel, cell, source)
