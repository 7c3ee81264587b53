"""The committed hub configurations parse and name the course, services and groups of the local hub.

``hub/jupyterhub_config.py`` (what ``tasks.py hub`` runs), the Zero to JupyterHub values
(``hub/helm/values.yaml``) and the formgrader Deployment (``hub/helm/formgrader.yaml``) must agree
with ``hub/classplan.py`` and the course's ``nbgrader_config.py``: a renamed course or group in one
place and not the others fails here, without starting anything.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config, PyFileConfigLoader

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "hub"))
from classplan import ClassPlan, make_plan  # noqa: E402

HUB = ROOT / "hub"
COURSE_ID = re.search(r'course_id\s*=\s*"([^"]+)"', (ROOT / "nbgrader_config.py").read_text()).group(1)


def plan_with_settings(tmp_path: Path, demo: bool = False, second_course: str | None = None) -> ClassPlan:
    plan = make_plan(COURSE_ID, 3, second_course=second_course, exchange_root=str(tmp_path / "exchange"))
    for port, course in enumerate(plan.courses, start=9551):
        course.formgrader_port = port
    plan.settings = {
        "mode": "demo" if demo else "class", "ip": "127.0.0.1", "port": 8000, "hub_port": 8081,
        "proxy_api_port": 8001, "proxy_command": "/opt/proxy/configurable-http-proxy",
        "state_dir": str(tmp_path), "venv": "/opt/keras-course-hub/venv",
        "user_config_dir": str(tmp_path / "jupyter"), "homes": str(tmp_path / "homes"),
        "student_config_dir": str(tmp_path / "jupyter-students"),
        "course_copies": {course.course_id: f"/home/{course.instructor}/{course.course_id}"
                          for course in plan.courses},
        "password": "a-demo-password",
    }
    return plan


def load_hub_config(tmp_path: Path, monkeypatch, plan: ClassPlan) -> Config:
    path = tmp_path / "class-plan.json"
    path.write_text(plan.to_json())
    monkeypatch.setenv("KERAS_COURSE_HUB_PLAN", str(path))
    loader = PyFileConfigLoader("jupyterhub_config.py", path=str(HUB))
    return loader.load_config()


def test_the_plan_round_trips_through_json(tmp_path):
    plan = plan_with_settings(tmp_path, second_course="other-section")
    again = ClassPlan.from_json(plan.to_json())
    assert again == plan
    assert plan.users == ["instructor", "student1", "student2", "student3",
                          "instructor2", "student4", "student5", "student6"]
    assert plan.courses_of("student2") == [COURSE_ID]
    assert plan.courses_of("student5") == ["other-section"]
    assert plan.courses_of("instructor2") == ["other-section"]


def test_jupyterhub_config_serves_the_plans_courses_groups_and_services(tmp_path, monkeypatch):
    plan = plan_with_settings(tmp_path, second_course="other-section")
    config = load_hub_config(tmp_path, monkeypatch, plan)
    services = {service["name"]: service for service in config.JupyterHub.services}
    assert sorted(services) == sorted([COURSE_ID, "other-section"])
    formgrader = services[COURSE_ID]
    assert formgrader["user"] == "instructor" and formgrader["oauth_no_confirm"] is True
    assert formgrader["environment"]["JUPYTERHUB_DEFAULT_URL"] == "/formgrader"
    assert formgrader["cwd"] == f"/home/instructor/{COURSE_ID}"
    assert formgrader["command"][0].endswith("/jupyterhub-singleuser")
    assert services["other-section"]["user"] == "instructor2"
    assert config.JupyterHub.load_groups == {
        f"formgrade-{COURSE_ID}": {"users": ["instructor"]},
        f"nbgrader-{COURSE_ID}": {"users": ["student1", "student2", "student3"]},
        "formgrade-other-section": {"users": ["instructor2"]},
        "nbgrader-other-section": {"users": ["student4", "student5", "student6"]},
    }
    roles = {role["name"]: role for role in config.JupyterHub.load_roles}
    assert roles[f"formgrade-{COURSE_ID}"]["scopes"][0] == f"access:services!service={COURSE_ID}"
    assert not any("admin" in scope for role in roles.values() for scope in role["scopes"])
    assert config.Authenticator.admin_users == set()
    assert config.Authenticator.allowed_users == set(plan.users)
    assert config.JupyterHub.spawner_class.endswith("LocalProcessSpawner")
    assert "SimpleLocalProcessSpawner" not in config.JupyterHub.spawner_class
    assert "Keras Sequential course" in config.JupyterHub.template_vars["announcement_login"]
    # students' servers read their own settings first (no instructor tools); instructors do not
    config_path = config.Spawner.environment["JUPYTER_CONFIG_PATH"]

    class Spawner:
        def __init__(self, name):
            self.user = type("User", (), {"name": name})()

    assert config_path(Spawner("student1")).split(":") == [str(tmp_path / "jupyter-students"),
                                                           str(tmp_path / "jupyter")]
    assert config_path(Spawner("instructor2")) == str(tmp_path / "jupyter")


def test_demo_mode_says_there_is_no_isolation_on_the_login_page(tmp_path, monkeypatch):
    config = load_hub_config(tmp_path, monkeypatch, plan_with_settings(tmp_path, demo=True))
    assert config.JupyterHub.spawner_class.endswith("SimpleLocalProcessSpawner")
    assert "no isolation between accounts" in config.JupyterHub.template_vars["announcement_login"]
    assert all("user" not in service for service in config.JupyterHub.services)


def test_a_local_config_replaces_the_demo_login(tmp_path, monkeypatch):
    (tmp_path / "local_config.py").write_text('c.JupyterHub.authenticator_class = "generic-oauth"\n')
    config = load_hub_config(tmp_path, monkeypatch, plan_with_settings(tmp_path))
    assert config.JupyterHub.authenticator_class == "generic-oauth"


def helm_values() -> dict:
    return yaml.safe_load((HUB / "helm" / "values.yaml").read_text())


def test_helm_values_name_the_same_course_services_groups_and_roles(tmp_path, monkeypatch):
    values = helm_values()
    plan = plan_with_settings(tmp_path)
    course = plan.courses[0]
    hub = values["hub"]
    # roles: exactly the local hub's, by name, groups, services and scopes
    local = {role["name"]: role for role in plan.roles()}
    assert set(hub["loadRoles"]) == set(local)
    for name, role in hub["loadRoles"].items():
        for key in ("groups", "services", "scopes"):
            assert role.get(key) == local[name].get(key), (name, key)
    # the formgrader service, named after the course
    service = hub["services"][course.service_name]
    assert service["oauth_no_confirm"] is True and service["display"] is False
    # groups, set in extraConfig as Python (the same names as the local hub)
    snippet = Config()
    exec(hub["extraConfig"]["class-groups"], {"c": snippet})  # noqa: S102
    assert set(snippet.JupyterHub.load_groups) == {course.instructor_group, course.student_group}
    # the server token may read what nbgrader's Assignment List asks, as locally
    exec(hub["extraConfig"]["server-token-scopes"], {"c": snippet})  # noqa: S102
    local_config = load_hub_config(tmp_path, monkeypatch, plan)
    assert snippet.Spawner.server_token_scopes == local_config.Spawner.server_token_scopes
    assert values["singleuser"]["extraEnv"]["COURSE_QUIZ_MODE"] == "graded"
    assert values["singleuser"]["defaultUrl"] == "/lab"


def test_the_formgrader_deployment_matches_the_service(tmp_path):
    documents = list(yaml.safe_load_all((HUB / "helm" / "formgrader.yaml").read_text()))
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    service = next(d for d in documents if d["kind"] == "Service")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["JUPYTERHUB_SERVICE_NAME"] == COURSE_ID
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == f"/services/{COURSE_ID}/"
    assert env["JUPYTERHUB_CLIENT_ID"] == f"service-{COURSE_ID}"
    assert env["JUPYTERHUB_DEFAULT_URL"] == "/formgrader"
    assert container["command"][0] == "jupyterhub-singleuser"
    url = helm_values()["hub"]["services"][COURSE_ID]["url"]
    assert url == f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}"


def test_the_dask_gateway_note_uses_an_option_autograder_has():
    values_text = (HUB / "helm" / "values.yaml").read_text()
    assert "Dask Gateway" in values_text and "autograder grade 05_training --scheduler" in values_text
    scripts = Path(sys.executable).parent
    shown = subprocess.run([str(scripts / "autograder"), "grade", "--help"], capture_output=True,
                           text=True, timeout=120)
    assert "--scheduler" in shown.stdout, shown.stdout + shown.stderr


@pytest.mark.parametrize("name", ["jupyterhub_config.py", "classplan.py", "serve.py",
                                  "prepare_course.py", "nbgrader_hub_config.py"])
def test_hub_python_files_compile(name):
    compile((HUB / name).read_text(), name, "exec")


def test_the_course_id_of_the_hub_is_the_courses():
    sys.path.insert(0, str(HUB))
    import serve

    assert serve.course_id_of(ROOT / "nbgrader_config.py") == COURSE_ID
    assert json.loads(make_plan(COURSE_ID, 1).to_json())["courses"][0]["course_id"] == COURSE_ID
