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


@pytest.mark.parametrize("python", ["3.10", "3.11", "3.12"])
def test_supported_pythons(project, python):
    assert python in SpecifierSet(project["requires-python"])


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
                   "autograder/cli.py"):
        assert module in names, f"{module} missing from the wheel"
    assert not any(name.startswith(("tests/", "source/", "benchmarks/")) for name in names)
