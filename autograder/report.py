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
import html
import io
from collections import Counter
from pathlib import Path

from autograder.coursedir import Course


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def assignment_data(course: Course, assignment: str) -> dict:
    """Everything the report shows for one assignment, as plain data (also used by tests)."""
    from autograder.exports import graded_cells, question_rows
    from autograder.grading import RunLog
    from autograder.submissions import rejected_files

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
    failures: Counter = Counter()
    for record in log.values():
        for cell in record.get("cells", []):
            if not cell.get("passed") and cell.get("message"):
                failures[(cell["cell"], cell["message"])] += 1
    statuses = Counter(record["status"] for record in log.values())
    rejected = rejected_files(course, assignment)
    if rejected:
        statuses["rejected"] = len([s for s in rejected if s != "?"])
    seconds = [record.get("seconds", 0.0) for record in log.values()]
    return {
        "assignment": assignment, "totals": totals, "max_score": max_score,
        "cells": cells, "pass_rate": pass_rate, "failures": failures.most_common(10),
        "statuses": dict(statuses), "seconds": seconds, "rejected": rejected,
    }


def _figures(data: dict) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    figures = {}
    fig, ax = plt.subplots(figsize=(5.5, 3))
    scores = list(data["totals"].values())
    top = data["max_score"] or 1
    ax.hist(scores, bins=min(20, max(5, int(top) + 1)), range=(0, top), color="#4c72b0", edgecolor="white")
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


CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.grid{display:flex;flex-wrap:wrap;gap:1em}.grid figure{margin:0}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
.num{text-align:right}.low{color:#c44e52;font-weight:bold}"""


def render(datas: list[dict], course_id: str) -> str:
    esc = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Class report: {esc(course_id)}</title>",
             f"<style>{CSS}</style></head><body><h1>Class report: {esc(course_id)}</h1>"]
    if datas:
        parts.append("<table><tr><th>assignment</th><th>students graded</th><th>mean score</th>"
                     "<th>hardest graded cell</th></tr>")
        for d in datas:
            mean = sum(d["totals"].values()) / len(d["totals"]) if d["totals"] else 0
            rated = [(rate, key) for key, rate in d["pass_rate"].items() if rate is not None]
            hardest = min(rated) if rated else None
            parts.append(f"<tr><td><a href='#{esc(d['assignment'])}'>{esc(d['assignment'])}</a></td>"
                         f"<td class='num'>{len(d['totals'])}</td><td class='num'>{mean:.2f} / {d['max_score']:g}</td>"
                         f"<td>{esc(hardest[1][1]) + f' ({hardest[0] * 100:.0f}% pass)' if hardest else '-'}</td></tr>")
        parts.append("</table>")
    for d in datas:
        figures = _figures(d)
        parts.append(f"<h2 id='{esc(d['assignment'])}'>{esc(d['assignment'])}</h2>")
        parts.append("<p>" + ", ".join(f"{esc(k.replace('_', ' '))}: <b>{v}</b>" for k, v in sorted(d["statuses"].items()))
                     + "</p><div class='grid'>")
        for key, alt in (("scores", "score histogram"), ("pass_rate", "pass rate per graded cell"),
                         ("failures", "most frequent failure messages"), ("seconds", "time spent grading")):
            if key in figures:
                parts.append(f"<figure><img alt='{alt}' src='{figures[key]}'></figure>")
        parts.append("</div>")
        if d["failures"]:
            parts.append("<h3>Most frequent failure messages</h3><table><tr><th>count</th><th>cell</th><th>message</th></tr>")
            for (cell, message), count in d["failures"]:
                parts.append(f"<tr><td class='num'>{count}</td><td>{esc(cell)}</td><td>{esc(message)}</td></tr>")
            parts.append("</table>")
        parts.append("<h3>Pass rate per graded cell</h3><table><tr><th>notebook</th><th>cell</th><th>passed</th></tr>")
        for (nb, cell) in d["cells"]:
            rate = d["pass_rate"][(nb, cell)]
            shown = "-" if rate is None else f"{rate * 100:.0f}%"
            css = " class='num low'" if rate is not None and rate < 0.5 else " class='num'"
            parts.append(f"<tr><td>{esc(nb)}</td><td>{esc(cell)}</td><td{css}>{shown}</td></tr>")
        parts.append("</table>")
        if d["rejected"]:
            parts.append("<h3>Files not imported</h3><table><tr><th>student</th><th>file</th><th>reason</th></tr>")
            for student, problems in sorted(d["rejected"].items()):
                for p in problems:
                    parts.append(f"<tr><td>{esc(student)}</td><td>{esc(p['file'])}</td><td>{esc(p['reason'])}</td></tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(course: Course, assignments: list[str] | None = None, output: Path | None = None) -> Path:
    """Write the class report (default ``reports/class_report.html``); return its path."""
    from autograder.exports import graded_assignments

    names = assignments or graded_assignments(course)
    datas = [assignment_data(course, a) for a in names]
    path = Path(output) if output else course.root / "reports" / "class_report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(datas, course.course_id))
    return path
