"""autograder.outputs.progress: the projected class time at the start of a long run."""
from __future__ import annotations

from autograder.core.results import Result, Status
from autograder.outputs import progress


def test_projected_class_time():
    assert progress.projected_seconds(1000, 2.0, 4) == 500.0
    line = progress.projection(10_000, 2.0, 2, "earlier runs")
    assert line.startswith("projected class time: 10000 submissions x 2.0 s per submission (earlier runs) / 2 workers")
    assert line.endswith("= about 2 h 47 min")
    assert progress.duration(45) == "45 s" and progress.duration(600) == "10 min"


def graded(student: str, seconds: float) -> Result:
    return Result("ps1", student, status=Status.GRADED, seconds=seconds, score=1, max_score=1)


def test_a_long_run_prints_its_projection_once_the_first_round_is_done(capsys):
    display = progress.GradingDisplay(plain=True)
    with display:
        display.plan(jobs=6, workers=2, past_seconds=None)
        display.result(graded("a", 3.0), 1, 6)
        assert "projected" not in capsys.readouterr().out  # one worker has not finished yet
        display.result(graded("b", 5.0), 2, 6)
        out = capsys.readouterr().out
        assert "projected class time: 6 submissions x 4.0 s per submission (measured on the first 2) / 2 workers" in out
        display.result(graded("c", 5.0), 3, 6)
        assert "projected" not in capsys.readouterr().out  # said once


def test_past_timings_project_at_once_and_short_runs_say_nothing(capsys):
    display = progress.GradingDisplay(plain=True)
    display.plan(jobs=40, workers=4, past_seconds=1.5)
    assert "40 submissions x 1.5 s per submission (earlier runs) / 4 workers = about 15 s" in capsys.readouterr().out
    short = progress.GradingDisplay(plain=True)
    short.plan(jobs=2, workers=2, past_seconds=1.5)
    short.result(graded("a", 3.0), 1, 2)
    short.result(graded("b", 3.0), 2, 2)
    assert "projected" not in capsys.readouterr().out
