"""autograder.isolate.sandbox's pieces, without starting a kernel: copying a kernel's files back,
what the sandbox hides and keeps, exit codes, the environment, a machine without namespaces."""
from __future__ import annotations

import signal


def test_copy_back_keeps_new_and_changed_files_only_inside_the_folder(tmp_path):
    from autograder.isolate.sandbox import copy_back, copy_in

    cwd = tmp_path / "autograded" / "amy" / "ps1"
    cwd.mkdir(parents=True)
    (cwd / "ps1.ipynb").write_text("{}")
    (cwd / "data.csv").write_text("1,2")
    (cwd / "old.txt").write_text("old")
    work = tmp_path / "work"
    snapshot = copy_in(str(cwd), str(work))
    (work / "made.txt").write_text("new file")
    (work / "data.csv").write_text("3,4")
    (work / "old.txt").unlink()
    (work / "sub").mkdir()
    (work / "sub" / "deep.txt").write_text("deep")
    (work / "escape").symlink_to(tmp_path)  # a link out of the folder is never followed
    (work / "big.bin").write_bytes(b"x" * 2000)
    skipped = copy_back(str(work), str(cwd), snapshot, limit=1000)
    assert (cwd / "made.txt").read_text() == "new file" and (cwd / "data.csv").read_text() == "3,4"
    assert (cwd / "sub" / "deep.txt").read_text() == "deep"
    assert not (cwd / "old.txt").exists() and (cwd / "ps1.ipynb").exists()
    assert not (cwd / "escape").exists() and not (cwd / "big.bin").exists()
    assert any("big.bin" in s and "limit" in s for s in skipped)
    assert any("escape" in s for s in skipped)


def test_the_sandbox_hides_the_course_and_home_and_keeps_python(tmp_path):
    import os
    import sys

    from autograder.isolate import sandbox

    spec = sandbox.plan(tmp_path, str(tmp_path), "/w", "/i", sandbox.Limits())
    assert str(tmp_path.resolve()) in spec.hide and os.path.realpath(os.path.expanduser("~")) in spec.hide
    assert "/tmp" in spec.hide and "/dev/shm" in spec.hide
    assert os.path.realpath(sys.prefix) in spec.keep and os.path.realpath(sys.base_prefix) in spec.keep
    import course

    assert os.path.dirname(os.path.realpath(course.__file__)) in spec.keep  # editable install, read-only
    assert spec.uid >= 1_000_000
    assert sandbox.Spec.from_dict(__import__("json").loads(spec.to_json())) == spec


def test_kernel_exit_codes_and_environment():
    from autograder.isolate import sandbox

    assert sandbox.decode_exit(128 + signal.SIGKILL) == -signal.SIGKILL
    assert sandbox.decode_exit(3) == 3 and sandbox.decode_exit(None) is None
    env = sandbox.clean_environment({"PATH": "/bin", "HOME": "/root", "JPY_PARENT_PID": "1", "TMPDIR": "/x"})
    assert env["HOME"] == "/tmp/home" and "JPY_PARENT_PID" not in env and env["TMPDIR"] == "/tmp"
    assert env["PATH"] == "/bin"


def test_no_namespaces_is_explained(monkeypatch):
    from autograder.isolate import sandbox

    monkeypatch.setenv(sandbox.DISABLE_ENV, "1")
    ok, why = sandbox.available()
    assert not ok and sandbox.DISABLE_ENV in why


def test_subordinate_ids_are_read_by_name_or_number_largest_range_first(tmp_path):
    from autograder.isolate import sandbox

    table = tmp_path / "subuid"
    table.write_text("alice:100000:65536\n1001:300000:131072\nbob:165536:65536\nbroken line\nalice:x:y\n")
    assert sandbox.subordinate_range("uid", "alice", 1001, str(table)) == (300000, 131072)
    assert sandbox.subordinate_range("uid", "bob", 1002, str(table)) == (165536, 65536)
    assert sandbox.subordinate_range("uid", "carol", 1003, str(table)) is None
    assert sandbox.subordinate_range("uid", "carol", 1003, str(tmp_path / "missing")) is None


def test_a_grader_who_is_not_root_without_subordinate_ids_is_told_how_to_get_them(tmp_path, monkeypatch):
    from autograder.isolate import sandbox

    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 4242)
    monkeypatch.setattr(sandbox, "_me", lambda: ("teacher", 4242, 4242))
    empty = tmp_path / "empty"
    empty.write_text("someone:100000:65536\n")
    monkeypatch.setattr(sandbox, "SUBORDINATE_FILES", {"uid": str(empty), "gid": str(empty)})
    ok, why = sandbox.available()
    assert not ok and "usermod --add-subuids" in why and "teacher" in why, why
    ok, why = sandbox.available(cold=True)
    assert not ok
    granted = tmp_path / "granted"
    granted.write_text("teacher:200000:65536\n")
    monkeypatch.setattr(sandbox, "SUBORDINATE_FILES", {"uid": str(granted), "gid": str(granted)})
    assert sandbox._subordinate_ids_missing() == ""
    ok, why = sandbox.available(cold=True)
    assert not ok and "--cold" in why, why


def test_kernel_uids_of_a_rootless_grader_come_from_its_mapped_range(monkeypatch):
    from autograder.isolate import sandbox

    monkeypatch.setattr(sandbox, "_mapped_ids", lambda: (1, 65536))
    uids = {sandbox.kernel_uid() for _ in range(300)}
    assert all(1 <= uid <= 65536 for uid in uids) and len(uids) == 256
    monkeypatch.setattr(sandbox, "_mapped_ids", lambda: (1, 4294967294))
    assert sandbox.kernel_uid() >= 1_000_000



def test_the_kernels_temp_folders_and_the_workers_scratch_share_the_writable_space():
    from autograder.isolate import sandbox

    writable = 512 * 2**20
    sizes = sandbox.temp_sizes(writable)
    assert set(sizes) == {"/tmp", "/var/tmp", "/dev/shm"} and sum(sizes.values()) <= writable // 2
    assert sandbox.scratch_size(writable) == writable // 2 + sandbox.SCRATCH_EXTRA
    spec = sandbox.Spec(cwd="/c", work="/w", ipc="/i", uid=5, hide=["/tmp", "/course"],
                        limits=sandbox.Limits(writable=writable))
    argv = sandbox.bwrap_argv(spec, ["python"])
    tmp, shm = argv.index("/tmp"), argv.index("/dev/shm")
    assert argv[tmp - 3:tmp + 1] == ["--size", str(sizes["/tmp"]), "--tmpfs", "/tmp"]
    assert argv[shm - 3:shm + 1] == ["--size", str(sizes["/dev/shm"]), "--tmpfs", "/dev/shm"]
    course = argv.index("/course")
    assert argv[course - 3:course + 1] == ["--size", str(2**20), "--tmpfs", "/course"]
