"""Run by ``tasks.py hub`` as a course's instructor, in their copy of the course.

Every lesson of ``release/`` gets into the gradebook (``generate_assignment``, so that grading
later finds its tests) and into the hub's exchange (``release_assignment``), unless it is there
already: re-running the hub never re-releases a lesson students may have fetched.
Prints one line per lesson.
"""
import os
import sys

from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from nbgrader.apps.nbgraderapp import NbGraderApp
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory


def main() -> int:
    app = NbGraderApp()
    app.initialize([])  # loads nbgrader_config.py from here and from JUPYTER_CONFIG_PATH
    config = app.config
    # Before the hub runs there is no hub to ask for courses (JupyterHubAuthPlugin): the
    # instructor releases their own course.
    config.Authenticator.plugin_class = "nbgrader.auth.NoAuthPlugin"
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir, Authenticator(config=config), config=config)
    lessons = sorted(api.get_source_assignments())
    outbound = os.path.join(api.exchange_root, coursedir.course_id, "outbound")
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        known = {assignment.name for assignment in gradebook.assignments}
    failed = 0
    for lesson in lessons:
        if lesson not in known:
            result = api.generate_assignment(lesson, force=True)
            if not result["success"]:
                print(f"{lesson}: generate_assignment failed\n{result.get('log', '')}{result.get('error', '')}")
                failed += 1
                continue
        if os.path.isdir(os.path.join(outbound, lesson)):
            print(f"{lesson}: already released")
            continue
        result = api.release_assignment(lesson)
        print(f"{lesson}: {'released' if result['success'] else 'release failed'}")
        if not result["success"]:
            print(result.get("log", "") + result.get("error", ""))
            failed += 1
        else:
            stamp_language_info(os.path.join(outbound, lesson))
    return 1 if failed else 0


def stamp_language_info(folder: str) -> None:
    """The released notebooks carry the students' kernel's ``language_info`` (this environment's):
    JupyterLab writes it into a notebook when the kernel connects, which would otherwise mark
    every lesson modified a second after it opens."""
    import glob
    import json

    from ipykernel.ipkernel import IPythonKernel

    for path in glob.glob(os.path.join(folder, "*.ipynb")):
        try:
            with open(path, encoding="utf-8") as handle:
                notebook = json.load(handle)
            notebook.setdefault("metadata", {})["language_info"] = IPythonKernel.language_info
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(notebook, handle, indent=1, ensure_ascii=False)
                handle.write("\n")
        except (OSError, ValueError) as error:  # the lesson is released; it only opens "modified"
            print(f"{path}: language_info not written ({error})")


if __name__ == "__main__":
    sys.exit(main())
