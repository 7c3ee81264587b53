"""autograder.core.options: sizes, and which value wins (flag > nbgrader_config.py > default)."""
from __future__ import annotations

import pytest
from traitlets.config import Config

from autograder.core.coursedir import CourseError
from autograder.core.options import DEFAULT_NOTEBOOK_TIMEOUT, Autograder, parse_size


@pytest.mark.parametrize("text, expected", [("4G", 4 * 2**30), ("512m", 512 * 2**20), ("0", None), ("1000", 1000)])
def test_memory_sizes(text, expected):
    assert parse_size(text) == expected


def test_bad_memory_size():
    with pytest.raises(CourseError, match="Not a memory size"):
        parse_size("lots")


def test_config_beats_the_default_and_a_given_value_beats_config():
    config = Config()
    config.Autograder.notebook_timeout = 45
    config.Autograder.workers = 3
    assert Autograder.resolve(Config()).notebook_timeout == DEFAULT_NOTEBOOK_TIMEOUT
    from_config = Autograder.resolve(config, notebook_timeout=None, workers=None)
    assert (from_config.notebook_timeout, from_config.workers) == (45, 3)
    given = Autograder.resolve(config, notebook_timeout=12, workers=None)
    assert (given.notebook_timeout, given.workers) == (12, 3)
    assert Autograder.resolve(config, notebook_timeout=0).notebook_timeout == 0  # 0 (no limit) is a value


def test_never_more_workers_than_jobs():
    options = Autograder.resolve(Config(), workers=8)
    assert options.worker_count(3) == 3 and options.worker_count(20) == 8 and options.worker_count(0) == 1


def test_sizes_and_hard_limit():
    options = Autograder.resolve(Config(), memory_limit="4G", output_limit="0", notebook_timeout=10)
    assert options.memory_bytes == 4 * 2**30 and options.output_bytes == 0
    assert options.hard_limit(3) == 10 * 3 + 120
    assert Autograder.resolve(Config()).output_bytes == 16 * 2**20


def test_the_config_file_keeps_zero_workers_the_command_line_names_a_number():
    """c.Autograder.workers = 0 (one per core) is valid config; on the command line a count is 1 or more."""
    from traitlets import TraitError

    config = Config()
    config.Autograder.workers = 0
    assert Autograder.resolve(config).workers == 0
    workers = Autograder.class_traits()["workers"]
    assert workers.from_string("3") == 3
    for text, message in [("0", "expected 1 or more, got 0"), ("two", "expected a whole number, got 'two'")]:
        with pytest.raises(TraitError, match=message):
            workers.from_string(text)
    with pytest.raises(TraitError):
        Autograder.resolve(config, workers=-1)  # never negative, wherever it comes from


def test_seconds_and_sizes_from_the_command_line():
    from traitlets import TraitError

    timeout = Autograder.class_traits()["notebook_timeout"]
    assert (timeout.from_string("90"), timeout.from_string("1.5"), timeout.from_string("0")) == (90, 1, 0)
    with pytest.raises(TraitError, match="cannot be negative"):
        timeout.from_string("-1")
    with pytest.raises(TraitError, match="expected seconds, got 'soon'"):
        timeout.from_string("soon")
    memory = Autograder.class_traits()["memory_limit"]
    assert memory.from_string("4G") == "4G" and Autograder.resolve(Config(), memory_limit=2**30).memory_bytes == 2**30
    with pytest.raises(TraitError, match="Not a memory size"):
        memory.from_string("lots")



def test_writable_space_and_workers_come_from_one_memory_budget(monkeypatch):
    from autograder.core import options as module
    from autograder.core.options import Autograder

    assert Autograder().writable_bytes == module.DEFAULT_WRITABLE
    assert Autograder(memory_limit="4G").writable_bytes == 2**30
    assert Autograder(memory_limit="1G").writable_bytes == 256 * 2**20
    assert Autograder(memory_limit="128M").writable_bytes == 64 * 2**20
    monkeypatch.setattr(module, "machine_memory", lambda: 8 * 2**30)
    monkeypatch.setattr(module, "default_workers", lambda: 8)
    unlimited = Autograder()
    assert unlimited.worker_count(20) == 8 and unlimited.workers_note(20) == ""
    limited = Autograder(memory_limit="2G")  # 2 GB + 512 MB writable + 768 MB worker each
    assert limited.worker_budget() == 2 * 2**30 + 512 * 2**20 + module.WORKER_OVERHEAD
    assert limited.worker_count(20) == 2
    note = limited.workers_note(20)
    assert note.startswith("2 of 8 workers") and "8.0 GB" in note, note
    assert limited.worker_count(1) == 1 and limited.workers_note(1) == ""
    assert Autograder(memory_limit="64G").worker_count(20) == 1  # never none
