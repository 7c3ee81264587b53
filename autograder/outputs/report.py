"""The class report: one HTML page that shows where the class struggles.

For each assignment: the score distribution, the pass rate of every graded cell
in notebook order (the lowest bars are the stages of the pipeline to re-teach),
the most frequent failure messages with their counts, how grading went
(graded, crashed, timed out, rejected files) and how long it took. Scores come
from the gradebook (the same numbers as the formgrader and the exports),
messages and timings from autograder's run log. Figures are drawn with
matplotlib and embedded in the page, so the file can be mailed as is.
"""
from __future__ import annotations

import base64
import io
import math
from collections import Counter
from pathlib import Path

from autograder.core.coursedir import Course
from autograder.core.results import CellResult, Result, cell_message


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def assignment_data(course: Course, assignment: str) -> dict:
    """Everything the report shows for one assignment, as plain data (also used by tests)."""
    from autograder.outputs.exports import graded_cells, question_rows
    from autograder.plan.intake import rejected_files
    from autograder.record.runlog import RunLog

    rows = question_rows(course, assignment)
    submitted = [r for r in rows if r["status"] not in ("not_submitted", "rejected")]
    totals: dict[str, float] = {}
    for r in submitted:
        totals[r["student_id"]] = totals.get(r["student_id"], 0.0) + float(r["points"] or 0)
    # every student has one row per graded cell, so the first student's rows hold each cell once
    max_score = sum(r["max_points"] for r in rows if r["student_id"] == rows[0]["student_id"]) if rows else 0
    cells = graded_cells(rows)
    pass_rate = {}
    for key in cells:
        results = [r["passed"] for r in submitted if (r["notebook"], r["cell"]) == key]
        pass_rate[key] = (sum(results) / len(results)) if results else None
    log = RunLog(course, assignment).latest()
    failures = failure_counts(course, assignment, log)
    statuses = Counter(record.status.value for record in log.values())
    rejected = rejected_files(course, assignment)
    if rejected:
        statuses["rejected"] = len([s for s in rejected if s != "?"])
    seconds = [record.seconds for record in log.values()]
    return {
        "assignment": assignment, "totals": totals, "max_score": max_score,
        "cells": cells, "pass_rate": pass_rate, "failures": failures.most_common(10),
        "hardest": hardest_cell(cells, pass_rate),
        "statuses": dict(statuses), "seconds": seconds, "rejected": rejected,
    }


#: How a problem of the course's kind ``missing`` (the exercise not started) is counted.
NOT_ATTEMPTED = "not attempted yet: {}"


def problem_lines(cell: CellResult) -> list[str]:
    """What a failed graded cell told the student, one line per problem: the problems its course
    check listed (read as data, never from the rendered text), else its message (the first line
    of its error, or of what it wrote to stderr). [] for a passed cell."""
    if cell.passed:
        return []
    if cell.problems:
        return [NOT_ATTEMPTED.format(p.text) if p.kind == "missing" else p.text for p in cell.problems]
    return [cell.message] if cell.message else []


def failure_counts(course: Course, assignment: str, log: "dict[str, Result]") -> Counter:
    """(cell, problem) -> number of students whose graded cell showed that problem.

    Read from the run log's cell results, where the course's problems are kept; a student graded
    without autograder (stock ``nbgrader autograde``, no run log record) counts each failed cell's
    message, read from the autograded notebook.
    """
    import nbformat

    counts: Counter = Counter()
    for record in log.values():
        counts.update({(cell.cell, line) for cell in record.cells for line in problem_lines(cell)})
    folder = course.folder("autograded")
    for student in sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        if student in log:
            continue
        found: set[tuple[str, str]] = set()
        for path in sorted((folder / student / assignment).glob("*.ipynb")):
            try:
                notebook = nbformat.read(str(path), as_version=4)
            except Exception:  # noqa: BLE001 - an unreadable notebook has no messages to count
                continue
            for cell in notebook.cells:
                meta = cell.metadata.get("nbgrader", {})
                message = cell_message(cell.get("outputs", [])) if meta.get("grade") else ""
                if meta.get("grade_id") and message:
                    found.add((meta["grade_id"], message))
        counts.update(found)
    return counts


def hardest_cell(cells: list, pass_rate: dict) -> dict | None:
    """The graded cell the fewest students passed, first in notebook order on a tie; None when
    every cell was passed by everyone (a cell at 100 % is never the hardest)."""
    rated = [(rate, index, key) for index, key in enumerate(cells)
             if (rate := pass_rate.get(key)) is not None and rate < 1]
    if not rated:
        return None
    rate, _, (notebook, cell) = min(rated)
    return {"notebook": notebook, "cell": cell, "rate": rate}


def score_bins(max_score: float) -> list[float]:
    """Histogram bin edges centred on whole scores: 0, 1, 2, ... each get their own bar
    (or a run of whole scores, for long assignments), never a bar straddling two."""
    top = max(1, math.ceil(max_score))
    width = max(1, math.ceil((top + 1) / 25))
    return [edge - 0.5 for edge in range(0, top + width + 1, width)]


def _figures(data: dict) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figures = {}
    fig, ax = plt.subplots(figsize=(5.5, 3))
    scores = list(data["totals"].values())
    top = data["max_score"] or 1
    bins = score_bins(top)
    ax.hist(scores, bins=bins, color="#4c72b0", edgecolor="white")
    ax.set_xlim(bins[0], bins[-1])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"score (out of {top:g})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{data['assignment']}: scores")
    figures["scores"] = _png(fig)

    several = len({nb for nb, _ in data["cells"]}) > 1
    labels = [f"{nb}: {cell}" if several else cell for nb, cell in data["cells"]]
    rates = [(data["pass_rate"][key] or 0.0) * 100 for key in data["cells"]]
    fig, ax = plt.subplots(figsize=(5.5, 0.45 * max(3, len(labels)) + 0.8))
    colors = ["#c44e52" if r < 50 else "#dd8452" if r < 80 else "#55a868" for r in rates]
    ax.barh(range(len(labels)), rates, color=colors)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who passed (%)")
    ax.set_title("pass rate per graded cell, in notebook order")
    for i, rate in enumerate(rates):
        ax.text(min(rate + 1, 90), i, f"{rate:.0f}%", va="center")
    figures["pass_rate"] = _png(fig)

    if data["failures"]:
        fig, ax = plt.subplots(figsize=(5.5, 0.45 * len(data["failures"]) + 0.8))
        names = [f"{cell}: {message[:50]}" for (cell, message), _ in data["failures"]]
        ax.barh(range(len(names)), [n for _, n in data["failures"]], color="#8172b3")
        ax.set_yticks(range(len(names)), names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("students")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("most frequent failure messages")
        figures["failures"] = _png(fig)

    if data["seconds"]:
        fig, ax = plt.subplots(figsize=(5.5, 2.6))
        ax.hist(data["seconds"], bins=15, color="#937860", edgecolor="white")
        ax.set_xlabel("seconds to grade one submission")
        ax.set_ylabel("submissions")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"time spent grading: {sum(data['seconds']):.0f} s of worker time")
        figures["seconds"] = _png(fig)
    return figures


FIGURES = (("scores", "score histogram"), ("pass_rate", "pass rate per graded cell"),
           ("failures", "most frequent failure messages"), ("seconds", "time spent grading"))


def render(datas: list[dict], course_id: str) -> str:
    """The report page, from ``templates/class_report.html`` (Jinja2, autoescaped)."""
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("autograder.outputs", "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True)
    assignments = [{**d, "figures": _figures(d),
                    "mean": sum(d["totals"].values()) / len(d["totals"]) if d["totals"] else 0.0,
                    "hardest": d.get("hardest", hardest_cell(d["cells"], d["pass_rate"]))}
                   for d in datas]
    return environment.get_template("class_report.html").render(
        course_id=course_id, assignments=assignments, figure_names=FIGURES)


def write_report(course: Course, assignments: list[str] | None = None, output: Path | None = None) -> Path:
    """Write the class report (default ``reports/class_report.html``); return its path."""
    from autograder.outputs.exports import graded_assignments

    names = assignments or graded_assignments(course)
    datas = [assignment_data(course, a) for a in names]
    path = Path(output) if output else course.root / "reports" / "class_report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(datas, course.course_id))
    return path
