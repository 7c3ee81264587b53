"""Folders named after the process that owns them, removed once that process is gone.

A run or a worker killed with ``kill -9`` cannot clean up after itself; the next one
that makes a folder in the same place removes the folders of processes that no longer
exist (a folder of a live process, or of another user's, is left alone).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path


def owned_folder(parent: Path, prefix: str, reuse: bool = False) -> Path:
    """``parent/<prefix><this pid>``, private (0700) and new (or this process's own already, with
    ``reuse``), after removing the ``prefix<pid>`` folders of processes that are gone."""
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.glob(prefix + "*"):
        pid = old.name[len(prefix):]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        shutil.rmtree(old, ignore_errors=True)
    folder = parent / f"{prefix}{os.getpid()}"
    folder.mkdir(mode=0o700, exist_ok=reuse)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
