"""Run time of every reference notebook, against what it cannot avoid.

For each lesson in ``source/``, in the same run: (a) the notebook executed top to
bottom in a fresh kernel (nbclient), and (b) the baseline, a fresh kernel that only
runs ``import tensorflow`` plus the lesson's own training (5 epochs, for the
lessons that train). Prints both, their ratio, and the targets (15 s per lesson,
90 s for the course).

    .venv/bin/python benchmarks/bench_notebooks.py
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
# The same quiet TensorFlow settings for the baseline kernels as `import course` gives the lessons.
os.environ.update(TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
TRAINS = {"05_training", "06_prediction_trace"}
TRAINING = """
import numpy as np
from course.data import load_data
from autograder.coursework.reference import train_reference
x, y = load_data()
train_reference(x, y)
"""


def seconds_to_run(notebook: nbformat.NotebookNode, folder: Path = ROOT) -> float:
    """Wall time of executing ``notebook`` in a fresh kernel, kernel start included."""
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def cells(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


def main() -> None:
    total = 0.0
    print(f"{'lesson':22s} {'notebook s':>10s} {'baseline s':>10s} {'ratio':>6s}  target 15 s")
    for folder in sorted(p for p in (ROOT / "source").iterdir() if p.is_dir()):
        baseline_code = ["import tensorflow"] + ([TRAINING] if folder.name in TRAINS else [])
        baseline = seconds_to_run(cells(*baseline_code))
        lesson = nbformat.read(str(folder / f"{folder.name}.ipynb"), as_version=4)
        seconds = seconds_to_run(lesson, folder)
        total += seconds
        verdict = "ok" if seconds < 15 else "SLOW"
        print(f"{folder.name:22s} {seconds:10.2f} {baseline:10.2f} {seconds / baseline:6.2f}  {verdict}")
    print(f"{'whole course':22s} {total:10.2f} {'':10s} {'':6s}  target 90 s: {'ok' if total < 90 else 'SLOW'}")


if __name__ == "__main__":
    main()
