"""Who is in the class and what the hub gives them: courses, accounts, groups, roles, services.

Standard library only: ``tasks.py hub`` (which creates the accounts), ``hub/jupyterhub_config.py``
(which configures JupyterHub from the same plan) and the tests all read it, so the local hub, the
Zero to JupyterHub values and the tests name the same course, services and groups.

nbgrader's conventions for a hub (docs: "Using nbgrader with JupyterHub"):

- the formgrader of course ``C`` is the hub service named ``C`` (``/services/C/formgrader``);
- its instructors are in group ``formgrade-C``, its students in ``nbgrader-C``; nbgrader's
  ``JupyterHubAuthPlugin`` reads these groups to show each person only their own courses.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

@dataclass
class Course:
    """One nbgrader course on the hub: its id, its instructor and its students (hub user names)."""

    course_id: str
    instructor: str
    students: tuple[str, ...]
    formgrader_port: int = 0  # set by tasks.py hub (a free port on localhost)

    @property
    def instructor_group(self) -> str:
        return f"formgrade-{self.course_id}"

    @property
    def student_group(self) -> str:
        return f"nbgrader-{self.course_id}"

    @property
    def service_name(self) -> str:
        return self.course_id

    @property
    def formgrader_path(self) -> str:
        return f"/services/{self.course_id}/formgrader"


@dataclass
class ClassPlan:
    """Every course on one hub and where the class's shared files live."""

    courses: list[Course]
    exchange_root: str = "/srv/nbgrader/exchange"
    settings: dict = field(default_factory=dict)

    @property
    def users(self) -> list[str]:
        names: list[str] = []
        for course in self.courses:
            for name in (course.instructor, *course.students):
                if name not in names:
                    names.append(name)
        return names

    @property
    def instructors(self) -> list[str]:
        return [course.instructor for course in self.courses]

    def groups(self) -> dict[str, list[str]]:
        """JupyterHub groups (``c.JupyterHub.load_groups``): instructors and students per course."""
        groups: dict[str, list[str]] = {}
        for course in self.courses:
            groups[course.instructor_group] = [course.instructor]
            groups[course.student_group] = list(course.students)
        return groups

    def roles(self) -> list[dict]:
        """RBAC roles (``c.JupyterHub.load_roles``) nbgrader needs on JupyterHub 4 and later.

        Instructors may open their course's formgrader service (and no other); students may see
        that the service exists (nbgrader's course list asks the hub), nothing more. The
        formgrader service itself may read and manage its course's student group.
        """
        roles = []
        for course in self.courses:
            service = f"service={course.service_name}"
            roles.append({
                "name": f"formgrade-{course.course_id}",
                "description": f"Instructors of {course.course_id}: open its formgrader",
                "groups": [course.instructor_group],
                "scopes": [f"access:services!{service}", "list:services", f"read:services!{service}"],
            })
            roles.append({
                "name": f"nbgrader-{course.course_id}",
                "description": f"Students of {course.course_id}: see its formgrader service listed",
                "groups": [course.student_group],
                "scopes": ["list:services", f"read:services!{service}"],
            })
            # nbgrader's JupyterHubAuthPlugin inside the service reads its user's (the
            # instructor's) groups, and the formgrader adds students to the student group:
            # without these scopes it fails for a non-admin instructor (jupyter/nbgrader#1831).
            students, instructors = f"group={course.student_group}", f"group={course.instructor_group}"
            roles.append({
                "name": f"formgrader-service-{course.course_id}",
                "description": f"The {course.course_id} formgrader: read and manage its students",
                "services": [course.service_name],
                "scopes": [f"read:users!{students}", f"read:groups!{students}", f"groups!{students}",
                           f"read:users!{instructors}", f"read:groups!{instructors}",
                           "list:groups", "list:users"],
            })
        return roles

    def courses_of(self, user: str) -> list[str]:
        """The course ids a user belongs to, as nbgrader's JupyterHubAuthPlugin finds them."""
        return sorted({group.split("-", 1)[1] for group, members in self.groups().items()
                       if user in members})

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "ClassPlan":
        data = json.loads(text)
        courses = [Course(**{**course, "students": tuple(course["students"])})
                   for course in data.pop("courses")]
        return cls(courses=courses, **data)


def make_plan(course_id: str, students: int, prefix: str = "", second_course: str | None = None,
              exchange_root: str = "/srv/nbgrader/exchange") -> ClassPlan:
    """The accounts ``tasks.py hub`` serves.

    The course: ``instructor`` and ``student1`` ... ``studentN``. A second course (another id,
    e.g. another section) gets its own ``instructor2`` and ``student(N+1)`` ... ``student(2N)``.
    ``prefix`` goes before every account name (the tests use ``kstest-``).
    """
    courses = [Course(course_id, f"{prefix}instructor",
                      tuple(f"{prefix}student{i}" for i in range(1, students + 1)))]
    if second_course:
        courses.append(Course(second_course, f"{prefix}instructor2",
                              tuple(f"{prefix}student{i}" for i in range(students + 1, 2 * students + 1))))
    return ClassPlan(courses=courses, exchange_root=exchange_root)
