"""pyproject.toml is the single truth; environment.yml and the platform markers follow it."""
import sys
from pathlib import Path

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@pytest.fixture(scope="module")
def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.fixture(scope="module")
def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_environment_yml_installs_this_package_through_pip_and_nothing_else(environment):
    conda_packages = [d for d in environment["dependencies"] if isinstance(d, str)]
    pip_sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    assert environment["channels"] == ["conda-forge"]
    assert sorted(name.split("=")[0] for name in conda_packages) == ["pip", "python"]
    assert pip_sections == [["-e .[dev]"]], "pip must install this package, so deps come from pyproject"


def test_environment_python_pin_is_allowed_by_pyproject(environment, project):
    pin = next(d for d in environment["dependencies"] if isinstance(d, str) and d.startswith("python="))
    version = pin.split("=", 1)[1]
    assert version in SpecifierSet(project["requires-python"])


def claimed_pythons(project) -> list[str]:
    """The Python minor versions pyproject's requires-python admits (3.0 to 3.30)."""
    allowed = SpecifierSet(project["requires-python"])
    return [f"3.{minor}" for minor in range(31) if f"3.{minor}.0" in allowed]


def test_claimed_pythons_are_the_classifiers(project):
    classified = [c.rsplit(" :: ", 1)[1] for c in project["classifiers"]
                  if c.startswith("Programming Language :: Python :: 3.")]
    assert claimed_pythons(project) == classified == ["3.11", "3.12", "3.13"]


def installed_requirements(project) -> dict[str, "object"]:
    """The installed distribution of each dependency the course declares for this platform,
    read offline. (Their own dependencies are left to pip, which picks older releases where the
    newest needs a later patch release, as soupsieve does with 3.11.5.)"""
    from importlib import metadata

    environment = default_environment()
    return {requirement.name: metadata.distribution(requirement.name)
            for requirement in map(Requirement, project["dependencies"])
            if requirement.marker is None or requirement.marker.evaluate(environment)}


def test_every_dependency_installs_on_every_claimed_python(project):
    """Each distribution's own Requires-Python admits each Python the course claims (3.10 did not:
    nbgrader 0.9.6 and Keras require 3.11)."""
    distributions = installed_requirements(project)
    assert {"nbgrader", "keras", "tensorflow-cpu", "jupyterlab"} <= set(distributions)
    refused = [(name, python, dist.metadata["Requires-Python"])
               for name, dist in sorted(distributions.items())
               for python in claimed_pythons(project)
               if dist.metadata["Requires-Python"]
               and f"{python}.0" not in SpecifierSet(dist.metadata["Requires-Python"])]
    assert refused == []


def test_tensorflow_has_wheels_for_every_claimed_python(project):
    """TensorFlow's wheels are per Python: its classifiers list the versions it is built for."""
    from importlib import metadata

    name = next(Requirement(line).name for line in project["dependencies"]
                if Requirement(line).name.startswith("tensorflow")
                and Requirement(line).marker.evaluate(default_environment()))
    built = {c.rsplit(" :: ", 1)[1] for c in metadata.metadata(name).get_all("Classifier")
             if c.startswith("Programming Language :: Python :: 3.")}
    assert set(claimed_pythons(project)) <= built


def test_tasks_py_refuses_other_pythons_with_a_clear_message(project):
    sys.path.insert(0, str(ROOT))
    try:
        import tasks
    finally:
        sys.path.remove(str(ROOT))
    (low_major, low_minor), (high_major, high_minor) = tasks.SUPPORTED_PYTHONS
    assert [f"3.{m}" for m in range(low_minor, high_minor + 1)] == claimed_pythons(project)
    assert tasks.python_problem((3, 11, 2)) is None
    assert tasks.python_problem((3, 13, 0)) is None
    for old in ((3, 10, 12), (3, 14, 0)):
        message = tasks.python_problem(old)
        assert message and ".".join(map(str, old)) in message and "3.11 to 3.13" in message


def test_license_is_an_spdx_expression(project):
    from packaging.licenses import canonicalize_license_expression

    assert isinstance(project["license"], str), "a TOML table license is deprecated by setuptools"
    assert canonicalize_license_expression(project["license"]) == project["license"]


PLATFORMS = {
    "linux-x86_64": {"sys_platform": "linux", "platform_machine": "x86_64"},
    "linux-aarch64": {"sys_platform": "linux", "platform_machine": "aarch64"},
    "macos-arm64": {"sys_platform": "darwin", "platform_machine": "arm64"},
    "windows": {"sys_platform": "win32", "platform_machine": "AMD64"},
}


@pytest.mark.parametrize("platform, wheel", [
    ("linux-x86_64", "tensorflow-cpu"),
    ("linux-aarch64", "tensorflow"),
    ("macos-arm64", "tensorflow"),
    ("windows", "tensorflow"),
])
def test_each_platform_gets_exactly_one_tensorflow(project, platform, wheel):
    environment = default_environment()
    chosen = []
    for line in project["dependencies"]:
        requirement = Requirement(line)
        if requirement.name not in ("tensorflow", "tensorflow-cpu"):
            continue
        if requirement.marker is None or requirement.marker.evaluate({**environment, **PLATFORMS[platform]}):
            chosen.append(requirement.name)
    assert chosen == [wheel]


def test_field_dependencies_are_declared(project):
    names = {Requirement(line).name for line in project["dependencies"]}
    assert {"jupyterlab", "nbgrader", "keras", "matplotlib", "ipywidgets", "nbclient"} <= names
    dev = {Requirement(line).name for line in project["optional-dependencies"]["dev"]}
    assert {"pytest", "playwright"} <= dev


def test_console_scripts_point_at_real_functions(project):
    import importlib

    for name, target in project["scripts"].items():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function)), name


def test_a_wheel_ships_every_subpackage(tmp_path):
    """A non-editable install must include course.lessons, course.widgets and autograder."""
    import subprocess
    import zipfile

    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = next(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("course/lessons/lesson07.py", "course/widgets/inspector.py", "course/trace.py",
                   "autograder/cli/main.py", "autograder/outputs/templates/class_report.html"):
        assert module in names, f"{module} missing from the wheel"
    assert not any(name.startswith(("tests/", "source/", "benchmarks/")) for name in names)
