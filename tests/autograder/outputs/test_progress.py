"""autograder.outputs.progress: what the run says at once, and its projected class time."""
from __future__ import annotations

from collections import Counter

from autograder.core.results import Job, Result, Status, Summary
from autograder.outputs import progress


def test_projected_class_time_adds_each_lesson_at_its_own_pace_with_a_range():
    line = progress.projection(Counter({"01": 10, "05": 10}), {"01": [1.0, 1.0], "05": [3.0, 5.0]},
                               workers=2, elapsed=10.0, measured="earlier runs")
    # 10 s so far + (10 x 1 s + 10 x 4 s) / 2 workers = 35 s; 05 spans 3.0-5.0 s -> 30-40 s.
    assert line.startswith("projected class time: about 35 s (30 s to 40 s): 10 s so far + "
                           "10 x 1.0 s (01) + 10 x 4.0 s (05) / 2 workers (earlier runs)"), line
    assumed = progress.projection(Counter({"01": 2, "07": 4}), {"01": [2.0]}, 1, 0.0, "earlier runs")
    assert "4 x 2.0 s (07)" in assumed and "no timing yet for 07: assumed like the others" in assumed
    assert progress.projection(Counter({"01": 3}), {}, 1, 0.0, "x") is None
    assert progress.duration(45) == "45 s" and progress.duration(600) == "10 min"
    assert progress.duration(3 * 3600 + 5 * 60) == "3 h 05 min"


def graded(student: str, seconds: float, assignment: str = "ps1") -> Result:
    return Result(assignment, student, status=Status.GRADED, seconds=seconds, score=1, max_score=1)


def jobs(count: int, assignment: str = "ps1") -> list[Job]:
    return [Job(assignment, f"s{i}") for i in range(count)]


def test_the_plan_is_said_at_once_and_a_long_run_projects_after_its_first_round(capsys):
    display = progress.GradingDisplay(plain=True)
    with display:
        display.plan(jobs(6), workers=2, past={"ps1": []})
        assert "grading 6 submissions of ps1 on 2 workers" in capsys.readouterr().out  # before any result
        display.result(graded("a", 3.0), 1, 6)
        assert "projected" not in capsys.readouterr().out  # one worker has not finished yet
        display.result(graded("b", 5.0), 2, 6)
        out = capsys.readouterr().out
        assert "4 x 4.0 s (ps1) / 2 workers (measured on the first 2)" in out, out
        display.result(graded("c", 5.0), 3, 6)
        assert "projected" not in capsys.readouterr().out  # said once


def test_past_timings_project_at_once_and_short_runs_say_nothing(capsys):
    display = progress.GradingDisplay(plain=True, started=None)
    display.plan(jobs(40), workers=4, past={"ps1": [1.5, 1.5]})
    assert "40 x 1.5 s (ps1) / 4 workers (earlier runs)" in capsys.readouterr().out
    short = progress.GradingDisplay(plain=True)
    short.plan(jobs(2), workers=2, past={"ps1": [1.5]})
    short.result(graded("a", 3.0), 1, 2)
    short.result(graded("b", 3.0), 2, 2)
    assert "projected" not in capsys.readouterr().out


def test_the_summary_names_each_submission_once_with_its_assignment_and_where_it_ran(capsys):
    summary = Summary(results=[graded("root", 1.0, a) for a in ("01", "02")], wall_seconds=4.0,
                      planned=[{"assignment": a, "student": "root", "why": "not graded yet"} for a in ("01", "02")],
                      executor="dask (scheduler tcp://127.0.0.1:8786, 2 workers)")
    progress.print_summary(summary)
    out = capsys.readouterr().out
    assert "not graded yet: 2 (root (01), root (02))" in out, out
    assert "dask (scheduler tcp://127.0.0.1:8786, 2 workers)" in out
    assert "from the command's start" in out


def test_every_submission_not_graded_is_counted_and_makes_the_run_not_ok():
    clean = Summary(results=[graded("a", 1.0)])
    assert clean.ok and not clean.not_graded()
    refused = Summary(results=[graded("a", 1.0)],
                      tampered=[{"assignment": "ps1", "student": "b", "reason": "changed"}],
                      unreadable=[{"assignment": "ps1", "student": "c", "reason": "corrupt"}],
                      empty=[("ps1", "d")])
    assert not refused.ok
    assert [row[1] for row in refused.not_graded()] == ["b", "c"]  # d's folder holds nothing to grade
    assert Summary(results=[graded("a", 1.0)], empty=[("ps1", "d")]).ok
    assert refused.to_dict()["not_graded"][1] == {"assignment": "ps1", "student": "c", "reason": "corrupt"}
