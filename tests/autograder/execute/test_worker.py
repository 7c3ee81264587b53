"""autograder.execute.worker's config: nbgrader's pipeline with GuardedExecute and the warm kernel manager."""
from __future__ import annotations

from nbgrader.preprocessors import Execute, SaveAutoGrades
from traitlets.config import Config

from autograder.execute.guarded import GuardedExecute
from autograder.execute.worker import worker_config


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
    from autograder.isolate.kernels import WarmKernelManager

    out = worker_config(Config(), 30, sandbox_course="/course", limits={"output": 99, "memory": None})
    manager = WarmKernelManager(config=out)
    assert manager.sandbox_course == "/course" and manager.output_limit == 99
    assert manager.sandbox_limits == {"output": 99, "memory": None}
    plain = WarmKernelManager(config=worker_config(Config(), 30))
    assert plain.sandbox_course == "" and plain.output_limit == 0


def test_a_job_for_a_server_gradebook_records_into_the_workers_own_scratch(tmp_path):
    """The worker's scratch: a private copy of the run's template, made once, and an NbGraderAPI
    recording into it (not into the course's gradebook)."""
    from autograder.core.coursedir import Course
    from autograder.execute.worker import ScratchGradebooks
    from autograder.record.gradebook_batch import copy_assignments
    from tests.fixtures.autograder import fixture_course

    course = Course(fixture_course.prepare(tmp_path / "course", assignments=("ps1",)))
    with course.gradebook() as gb:
        copy_assignments(gb, tmp_path / "template.db")
    scratches = ScratchGradebooks(worker_config(course.config, 30), tmp_path / "private" / "gradebook")
    spec = {"template": str(tmp_path / "template.db"), "course_id": course.course_id}
    api, scratch = scratches.get(spec)
    path = tmp_path / "private" / "gradebook" / "gradebook.db"
    assert api.coursedir.db_url == scratch.url == f"sqlite:///{path}" and path.is_file()
    assert course.db_url != scratch.url and scratches.get(spec) == (api, scratch)  # made once per run
    with api.gradebook as gb:
        assert [nb.name for nb in gb.find_assignment("ps1").notebooks] == ["ps1"] and not gb.students
    scratches.close()
    assert not path.exists()


def test_an_unsandboxed_kernels_reply_is_bounded_by_the_memory_budget_too():
    """--memory-limit sets the writable budget; an unsandboxed run bounds a reply by it as well."""
    from traitlets.config import Config

    from autograder.isolate.kernels import WarmKernelManager, reply_bound

    small = WarmKernelManager(config=worker_config(Config(), 30, limits={"writable": 64 * 2**20}))
    assert small.reply_bytes == reply_bound(64 * 2**20) == 8 * 2**20
    large = WarmKernelManager(config=worker_config(Config(), 30, limits={"writable": 2**30}))
    assert large.reply_bytes == 128 * 2**20
