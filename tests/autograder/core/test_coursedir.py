"""autograder.core.coursedir: the course's nbgrader config as autograder reads it."""
from __future__ import annotations

import pytest

from autograder.core.coursedir import CourseError, load_config, working_directory


def test_grading_needs_no_hub_login_even_where_the_exchange_uses_the_hubs(tmp_path, monkeypatch):
    """An instructor grading over SSH has no JUPYTERHUB_USER or token: nbgrader's JupyterHub
    plugin would refuse to start the API, while stock `nbgrader autograde` grades fine there."""
    for name in ("JUPYTERHUB_USER", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.Authenticator.plugin_class = 'nbgrader.auth.JupyterHubAuthPlugin'\n"
        "c.CourseDirectory.course_id = 'demo'\n")
    from nbgrader.apps import NbGraderAPI

    config = load_config(tmp_path)
    with working_directory(tmp_path):
        api = NbGraderAPI(config=config)
    assert type(api.authenticator.plugin).__name__ == "NoAuthPlugin"
    assert config.CourseDirectory.course_id == "demo"  # the course's own settings are kept


def test_a_folder_without_nbgrader_config_is_not_a_course(tmp_path):
    with pytest.raises(CourseError, match="nbgrader_config.py"):
        load_config(tmp_path)
