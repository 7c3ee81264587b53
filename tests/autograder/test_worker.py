"""autograder.worker's config: nbgrader's pipeline with GuardedExecute and the warm kernel manager."""
from __future__ import annotations

from nbgrader.preprocessors import Execute, SaveAutoGrades
from traitlets.config import Config

from autograder.execute import GuardedExecute
from autograder.worker import worker_config


def test_worker_config_swaps_only_execute():
    config = Config()
    config.CourseDirectory.db_url = "sqlite:////tmp/x/gradebook.db"
    out = worker_config(config, 30)
    pipeline = out.Autograde.autograde_preprocessors
    assert GuardedExecute in pipeline and Execute not in pipeline and SaveAutoGrades in pipeline
    assert out.GuardedExecute.notebook_timeout == 30
    assert out.CourseDirectory.db_url.endswith("gradebook.db?timeout=120")
    assert issubclass(GuardedExecute, Execute)


def test_a_server_gradebook_url_is_left_alone():
    config = Config()
    config.CourseDirectory.db_url = "postgresql+psycopg2://grader@127.0.0.1:5432/course"
    assert worker_config(config, 30).CourseDirectory.db_url == "postgresql+psycopg2://grader@127.0.0.1:5432/course"


def test_sandbox_and_output_limit_reach_the_kernel_manager_as_config():
    from autograder.kernels import WarmKernelManager

    out = worker_config(Config(), 30, sandbox_course="/course", limits={"output": 99, "memory": None})
    manager = WarmKernelManager(config=out)
    assert manager.sandbox_course == "/course" and manager.output_limit == 99
    assert manager.sandbox_limits == {"output": 99, "memory": None}
    plain = WarmKernelManager(config=worker_config(Config(), 30))
    assert plain.sandbox_course == "" and plain.output_limit == 0
