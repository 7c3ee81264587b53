"""Shared pytest fixtures: repository paths, free ports, quiet TensorFlow."""
from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

# Tests that run TensorFlow in this process share 2 cores with other workers.
os.environ.setdefault("COURSE_TF_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

ROOT = Path(__file__).resolve().parents[1]

# nbgrader runs the `alembic` script by name: the environment's scripts come first.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root, which is also the nbgrader course directory."""
    return ROOT


def find_free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def free_port() -> int:
    return find_free_port()
