"""``tasks.py hub`` without root: the one-account demo, up to the moment JupyterHub takes over.

Runs ``hub/serve.py``'s command in this process with ``is_root`` answering no, the proxy install
and the final ``exec`` of JupyterHub replaced: it must say "no isolation between accounts" on the
terminal, give every account a folder of its own, put the instructor's course copy (with the hub's
settings) in theirs, release every lesson into a private exchange, and hand JupyterHub a demo plan.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "hub"))
import serve  # noqa: E402
from classplan import ClassPlan  # noqa: E402


class Exec(Exception):
    pass


@pytest.mark.slow
def test_demo_mode_sets_up_one_account_for_everyone_and_starts_jupyterhub(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(serve, "is_root", lambda: False)
    monkeypatch.setattr(serve, "ensure_proxy", lambda prefix, run: tmp_path / "configurable-http-proxy")

    def fake_exec(path, argv, env):
        raise Exec(path, argv, env)

    monkeypatch.setattr(serve.os, "execve", fake_exec)
    monkeypatch.chdir(tmp_path)
    state = tmp_path / "state"
    with pytest.raises(Exec) as started:
        serve.main(["--students", "2", "--password", "demo-password", "--state-dir", str(state)],
                   ensure_dev_environment=lambda: Path(sys.executable), run=None)
    printed = capsys.readouterr().out
    assert "no isolation between accounts" in printed and "demo-password" in printed

    path, argv, env = started.value.args
    assert Path(path).name == "jupyterhub" and argv[-1].endswith("hub/jupyterhub_config.py")
    plan = ClassPlan.from_json(Path(env["KERAS_COURSE_HUB_PLAN"]).read_text())
    assert plan.settings["mode"] == "demo" and plan.users == ["instructor", "student1", "student2"]
    assert (state / "class-plan.json").stat().st_mode & 0o077 == 0  # the password: owner only
    for user in plan.users:
        assert (state / "homes" / user).is_dir()
    copy = state / "homes" / "instructor" / "keras-sequential"
    assert "Added by `python3 tasks.py hub`" in (copy / "nbgrader_config.py").read_text()
    outbound = Path(plan.exchange_root) / "keras-sequential" / "outbound"
    assert sorted(p.name for p in outbound.iterdir()) == sorted(p.name for p in (ROOT / "release").iterdir()
                                                              if p.is_dir())
    settings = json.loads((state / "jupyter" / "hub_settings.json").read_text())
    assert settings == {"exchange_root": plan.exchange_root, "check_owner": False}
