"""What the instructor sees in the terminal: import problems, progress, the final summary."""
from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from autograder.core.results import Job, Result, Status

STYLE = {"graded": "green", "crashed": "red", "timed_out": "yellow", "failed": "bold red"}
LABEL = {"graded": "graded", "crashed": "crashed", "timed_out": "timed out", "failed": "FAILED"}


def console() -> Console:
    """The terminal; when output goes to a file or pipe, wide enough that no line wraps."""
    out = Console(highlight=False, soft_wrap=True)
    return out if out.is_terminal else Console(highlight=False, soft_wrap=True, width=240)


def print_import(report: Any) -> None:
    """Imported notebooks, new students, and every rejected file with its reason."""
    out = console()
    out.print(f"[bold]{report.assignment}[/]: imported {len(report.imported)} notebook(s) "
              f"from {len(report.students)} student(s)"
              + (f"; {len(report.new_students)} new student(s) added to the gradebook" if report.new_students else ""))
    if report.problems:
        table = Table(title=f"{len(report.problems)} file(s) not imported", title_justify="left")
        table.add_column("student")
        table.add_column("file")
        table.add_column("reason")
        for problem in report.problems:
            table.add_row(problem.student, problem.file, problem.reason)
        out.print(table)


def _line(result: Result) -> str:
    status = result.status.value
    score = f"{result.score:g}/{result.max_score:g}" if result.max_score else "-"
    text = (f"[{STYLE.get(status, 'white')}]{LABEL.get(status, status):9}[/] "
            f"{result.assignment:<20} {result.student:<20} {score:>9} {result.seconds:6.1f} s")
    if result.isolation == "unsandboxed":
        text += "  [yellow]unsandboxed[/]"
    if result.reason:
        text += f"  [dim]{result.reason}[/]"
    return text


def duration(seconds: float) -> str:
    """'45 s', '12 min', '3 h 05 min'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def spread(times: list[float]) -> tuple[float, float, float]:
    """(low, mean, high) seconds per submission: the mean, give or take one standard deviation
    (never below the fastest or above the slowest seen)."""
    mean = statistics.fmean(times)
    sd = statistics.stdev(times) if len(times) > 1 else 0.0
    return max(min(times), mean - sd), mean, min(max(times), mean + sd)


def projection(left: Counter, timings: dict[str, list[float]], workers: int, elapsed: float,
               measured: str) -> str | None:
    """The projected class time: ``elapsed`` so far, plus each assignment's submissions ``left``
    at that assignment's own seconds per submission (another's when it has none yet), on
    ``workers`` workers; with its range (mean give or take one standard deviation). None with no timings."""
    known = {a: t for a, t in timings.items() if t}
    if not known or not sum(left.values()):
        return None
    everything = [t for times in known.values() for t in times]
    low = mean = high = 0.0
    parts, assumed = [], []
    for assignment, count in sorted(left.items()):
        if not count:
            continue
        times = known.get(assignment)
        if times is None:
            assumed.append(assignment)
        a_low, a_mean, a_high = spread(times or everything)
        low, mean, high = low + count * a_low, mean + count * a_mean, high + count * a_high
        parts.append(f"{count} x {a_mean:.1f} s ({assignment})")
    workers = max(1, workers)
    total = [elapsed + value / workers for value in (low, mean, high)]
    text = (f"projected class time: about {duration(total[1])} ({duration(total[0])} to {duration(total[2])}): "
            f"{duration(elapsed)} so far + {' + '.join(parts)} / {workers} worker{'s' if workers != 1 else ''} "
            f"({measured})")
    if assumed:
        text += f"; no timing yet for {', '.join(assumed)}: assumed like the others"
    return text


class GradingDisplay:
    """A progress bar over the class, with one line per student as each finishes."""

    def __init__(self, plain: bool = False, started: float | None = None):
        self.out = console()
        self.plain = plain or not self.out.is_terminal
        self.progress: Progress | None = None
        self.task = None
        self.counts: Counter = Counter()
        self.jobs = 0
        self.workers = 1
        self.projected = False
        self.started = time.monotonic() if started is None else started
        self.left: Counter = Counter()  # submissions still to grade, per assignment
        self.seconds: dict[str, list[float]] = {}  # this run's seconds per graded submission, per assignment

    def __enter__(self) -> "GradingDisplay":
        if not self.plain:
            self.progress = Progress(TextColumn("[bold]grading"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.description}"), TimeElapsedColumn(), console=self.out)
            self.progress.__enter__()
            self.task = self.progress.add_task("", total=None)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def _print(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text)
        else:
            self.out.print(text)
            sys.stdout.flush()

    def plan(self, jobs: list[Job], workers: int, past: dict[str, list[float]] | None = None) -> None:
        """Say at once what the run will grade, where; a long run (more submissions than workers)
        also gets its projected class time from the run log's past timings, if there are any."""
        self.jobs, self.workers = len(jobs), max(1, workers)
        self.left = Counter(job.assignment for job in jobs)
        self._print(f"grading {self.jobs} submission{'s' if self.jobs != 1 else ''} of "
                    f"{', '.join(sorted(self.left))} on {self.workers} worker{'s' if self.workers != 1 else ''}")
        if self.jobs > self.workers and past and any(past.values()):
            line = projection(self.left, past, self.workers, time.monotonic() - self.started, "earlier runs")
            if line:
                self.projected = True
                self._print(line)

    def start(self, job: Job) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=f"[dim]{job.student}[/]")

    def result(self, result: Result, done: int, total: int) -> None:
        self.counts[result.status.value] += 1
        self.left[result.assignment] = max(0, self.left[result.assignment] - 1)
        if result.status == Status.GRADED and result.seconds:
            self.seconds.setdefault(result.assignment, []).append(result.seconds)
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=done, total=total,
                                 description=" ".join(f"{LABEL[s]} {n}" for s, n in self.counts.items()))
        self._print(f"[{done}/{total}] " + _line(result) if self.progress is None else _line(result))
        # No past timings: project from the first round of notebooks (one per worker).
        measured = sum(len(t) for t in self.seconds.values())
        if not self.projected and measured and total > self.workers and measured >= min(self.workers, total):
            line = projection(self.left, self.seconds, self.workers, time.monotonic() - self.started,
                              f"measured on the first {measured}")
            if line:
                self.projected = True
                self._print(line)


def names(items: list[str], most: int = 12) -> str:
    """``a, b, c`` or ``a, b, ... and 7 more``: whole names, never cut mid-word."""
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def who(planned: dict, with_assignment: bool) -> str:
    """A planned submission by its student, and its assignment when a run grades several."""
    return f"{planned['student']} ({planned['assignment']})" if with_assignment else planned["student"]


def print_summary(summary: Any, rejected: Any = None) -> None:
    """Totals per status, then every submission that did not grade cleanly, with its reason."""
    out = console()
    counts = summary.counts()
    graded = len(summary.results)
    table = Table(title="summary", title_justify="left", show_header=False)
    table.add_column()
    table.add_column(justify="right")
    for status in Status:
        table.add_row(f"[{STYLE[status]}]{LABEL[status]}[/]", str(counts.get(status, 0)))
    if summary.skipped:
        table.add_row("already graded (skipped)", str(len(summary.skipped)))
    if rejected is not None and rejected.problems:
        table.add_row("files not imported", str(len(rejected.problems)))
    for kind, n in sorted(summary.isolation().items()):
        table.add_row(f"ran {kind}", str(n))
    if summary.tampered:
        table.add_row("[bold red]not graded: files changed or unsafe[/]", str(len(summary.tampered)))
    if summary.empty:
        table.add_row("no notebook submitted (nothing to grade)", str(len(summary.empty)))
    if summary.unreadable:
        table.add_row("[bold red]not graded: notebook unreadable or misnamed[/]", str(len(summary.unreadable)))
    if summary.not_graded():
        table.add_row("[bold red]not graded in all[/]", str(len(summary.not_graded())))
    if summary.removed:
        table.add_row("submission folder gone", str(len(summary.removed)))
    if graded:
        table.add_row("wall time", f"{summary.wall_seconds:.1f} s ({summary.wall_seconds / graded:.2f} s per "
                                   "submission, from the command's start)")
    if summary.executor:
        table.add_row("ran on", summary.executor)
    out.print(table)
    why = Counter(p["why"] for p in summary.planned)
    several = len({p["assignment"] for p in summary.planned}) > 1
    if why:
        out.print("graded because: " + "; ".join(
            f"{reason}: {n} ({names([who(p, several) for p in summary.planned if p['why'] == reason])})"
            for reason, n in why.most_common()))
    for item in summary.unreadable:
        out.print(f"[bold red]not graded[/] {item['student']} ({item['assignment']}): {item['reason']}")
    for item in summary.removed:
        out.print(f"{item['student']} ({item['assignment']}): {item['reason']}")
    if summary.empty:
        out.print("no notebook in the submission folder (nbgrader skips it too): "
                  + names([f"{student} ({assignment})" for assignment, student in summary.empty]))
    if summary.tampered:
        detail = Table(title="submissions not graded: files changed outside an import, or not regular files",
                       title_justify="left")
        for column in ("assignment", "student", "reason"):
            detail.add_column(column)
        for t in summary.tampered:
            detail.add_row(t["assignment"], t["student"], t["reason"])
        out.print(detail)
    if summary.isolation().get("unsandboxed"):
        out.print("[bold yellow]unsandboxed:[/] student code ran with your rights (--unsandboxed); "
                  "these grades are only as trustworthy as the submissions.")
    problems = [r for r in summary.results if r.status != Status.GRADED]
    if problems:
        detail = Table(title="needs a look (crashed, timed-out and not graded notebooks are flagged in the formgrader)",
                       title_justify="left")
        for column in ("status", "assignment", "student", "reason"):
            detail.add_column(column)
        for r in problems:
            detail.add_row(f"[{STYLE.get(r.status, 'white')}]{LABEL.get(r.status, r.status)}[/]",
                           r.assignment, r.student, r.reason)
        out.print(detail)
    memory = [w for w in summary.workers if w.get("peak_rss")]
    if memory:
        mb = lambda n: f"{n / 2**20:.0f} MB"  # noqa: E731
        out.print(f"{len(summary.workers)} worker(s); peak resident memory per worker: "
                  + ", ".join(f"{mb(w['peak_rss'])} + zygote {mb(w.get('zygote_peak_rss', 0))} "
                              f"+ kernel {mb(w.get('kernel_peak_rss', 0))}" for w in memory)
                  + " (zygote and kernels share pages)")
    for worker in summary.workers:
        if worker.get("warning"):
            out.print(f"[yellow]note:[/] {worker['warning']}")
            break
    if summary.interrupted:
        out.print("[yellow]Interrupted.[/] Every submission listed above is saved; "
                  "run the same command again to grade the rest.")
