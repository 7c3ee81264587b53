"""JupyterHub configuration for a class taking the Keras Sequential course (JupyterHub 5 and 6).

``python3 tasks.py hub`` starts ``jupyterhub -f hub/jupyterhub_config.py`` with the environment
variable ``KERAS_COURSE_HUB_PLAN`` naming the class plan it wrote (a JSON file, readable by root
only: see ``hub/classplan.py``): the courses, their instructors and students, the ports, the
folders and the demo password. Everything the hub serves follows from that plan:

- each account is a Linux user (``LocalProcessSpawner``) whose server opens JupyterLab with
  nbgrader's Assignment List; in demo mode (not root) every account runs as the one user who
  started the hub, in its own folder: no isolation between accounts;
- nbgrader's shared exchange in a system folder; nbgrader's ``JupyterHubAuthPlugin`` shows each
  person the courses of their groups (``formgrade-<course>`` instructors, ``nbgrader-<course>``
  students);
- the formgrader of each course is the hub service named after the course id, run as that course's
  instructor in their copy of the course, opened at ``/services/<course>/formgrader`` in its own tab
  (inside JupyterLab it does not load on JupyterHub 4.1+: jupyter/nbgrader#1870).

**Your campus login.** The demo logs in with one shared password (JupyterHub's
``SharedPasswordAuthenticator``). Replace it in ``<state dir>/local_config.py``, which this file
loads last, e.g. with OAuthenticator (``c.JupyterHub.authenticator_class = "generic-oauth"``, plus
its client id, secret and URLs) or LTI 1.3 (``ltiauthenticator``:
``c.JupyterHub.authenticator_class = "lti13"``). The account names it returns must be the Linux
users' names, and the groups above must list them (``c.JupyterHub.load_groups``).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from classplan import ClassPlan  # noqa: E402  (hub/classplan.py, standard library only)

c = get_config()  # noqa: F821  (provided by JupyterHub)

with open(os.environ["KERAS_COURSE_HUB_PLAN"]) as plan_file:
    PLAN = ClassPlan.from_json(plan_file.read())
S = PLAN.settings
DEMO = S["mode"] == "demo"

# --- the hub, its proxy and its state -------------------------------------------------------
c.JupyterHub.ip = S.get("ip", "127.0.0.1")
c.JupyterHub.port = S["port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = S["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{S['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [S["proxy_command"]]
c.ConfigurableHTTPProxy.pid_file = os.path.join(S["state_dir"], "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(S["state_dir"], "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(S["state_dir"], "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(S["state_dir"], "jupyterhub.pid")
# Ctrl-C or SIGTERM stops every user server, every service and the proxy with the hub.
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.shutdown_on_logout = False
c.JupyterHub.template_vars = {
    "announcement_login": (
        "Demo mode: every account runs as one user, with no isolation between accounts."
        if DEMO else f"Keras Sequential course: {', '.join(course.course_id for course in PLAN.courses)}"),
}

# --- who logs in -------------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = S["password"]
c.Authenticator.allowed_users = set(PLAN.users)
c.Authenticator.admin_users = set()  # instructors grade without hub admin rights
c.JupyterHub.load_groups = {name: {"users": members} for name, members in PLAN.groups().items()}
c.JupyterHub.load_roles = PLAN.roles()

# --- each person's server ----------------------------------------------------------------------
VENV_BIN = os.path.join(S["venv"], "bin")
USER_ENV = {
    # nbgrader's hub settings (exchange root, JupyterHubAuthPlugin) for every account:
    "JUPYTER_CONFIG_PATH": S["user_config_dir"],
    "PATH": VENV_BIN + os.pathsep + "/usr/local/bin:/usr/bin:/bin",
    "COURSE_QUIZ_MODE": "graded",  # a class: the quiz says right or wrong only with the feedback
}
c.Spawner.cmd = [os.path.join(VENV_BIN, "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
INSTRUCTORS = set(PLAN.instructors)


def config_path(spawner) -> str:
    """Students' servers read their own settings first (no instructor tools in JupyterLab)."""
    if spawner.user.name in INSTRUCTORS or "student_config_dir" not in S:
        return S["user_config_dir"]
    return os.pathsep.join([S["student_config_dir"], S["user_config_dir"]])


c.Spawner.environment = {**USER_ENV, "JUPYTER_CONFIG_PATH": config_path}
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 180
# The server's own hub token may read its owner's groups and the course services: nbgrader's
# Assignment List and course list ask the hub which courses this person takes.
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server",
                                 "read:users:groups!user", "read:users:name!user",
                                 "list:services", "read:services"]
c.Spawner.args = ["--ServerApp.terminals_enabled=True",
                  "--LabApp.news_url=None",
                  "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
if DEMO:
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(S["homes"], "{username}")
else:
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
    c.Spawner.notebook_dir = "~"

# --- one formgrader service per course, run as its instructor in their course copy ------------
c.JupyterHub.services = []
for course in PLAN.courses:
    service = {
        "name": course.service_name,
        "url": f"http://127.0.0.1:{course.formgrader_port}",
        "command": [os.path.join(VENV_BIN, "jupyterhub-singleuser"),
                    "--LabApp.news_url=None",
                    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        "cwd": S["course_copies"][course.course_id],
        "environment": {**USER_ENV, "JUPYTERHUB_DEFAULT_URL": "/formgrader"},
        "oauth_no_confirm": True,
        "display": False,  # opened at /services/<course>/formgrader, not from the hub's home page
    }
    if not DEMO:
        service["user"] = course.instructor
    c.JupyterHub.services.append(service)

# --- the instructor's own changes (campus login, limits, ...), loaded last ----------------------
LOCAL = os.path.join(S["state_dir"], "local_config.py")
if os.path.exists(LOCAL):
    load_subconfig(LOCAL)  # noqa: F821
