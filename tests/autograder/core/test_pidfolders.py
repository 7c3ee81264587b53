"""autograder.core.pidfolders: a folder per process; those of processes that are gone are removed."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from autograder.core.pidfolders import owned_folder


def test_folders_of_processes_that_are_gone_are_removed_and_others_kept(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (tmp_path / f"run-{gone}" / "left").mkdir(parents=True)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for name in (f"run-{alive.pid}", "run-notes", f"other-{gone}", f"run-{os.getppid()}"):
            (tmp_path / name).mkdir()
        folder = owned_folder(tmp_path, "run-")
        assert folder == tmp_path / f"run-{os.getpid()}" and folder.stat().st_mode & 0o777 == 0o700
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            [f"run-{alive.pid}", "run-notes", f"other-{gone}", f"run-{os.getppid()}", folder.name])
    finally:
        alive.kill()
        alive.wait()


def test_a_process_reuses_its_own_folder_only_when_asked(tmp_path):
    folder = owned_folder(tmp_path, "w-")
    with pytest.raises(FileExistsError):
        owned_folder(tmp_path, "w-")
    assert owned_folder(tmp_path, "w-", reuse=True) == folder
