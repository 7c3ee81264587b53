"""autograder.isolate.kernels: what the zygote preloads, the kernel client's output cap, and (one real
kernel) the unix sockets an unsandboxed kernel listens on."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.isolate.kernels import WarmKernelClient, WarmKernelManager, WarmKernels, plan_preload
from tests.fixtures.autograder import fixture_course


def test_preload_plan_imports_course_first_and_forgets_it():
    preload, forget = plan_preload([fixture_course.COURSE / "source" / "tf1" / "tf1.ipynb"])
    assert preload[0] == "course" and forget == ["course"]
    assert "keras" in preload and "numpy" in preload


def test_preload_plan_skips_libraries_that_bind_to_the_kernel(tmp_path):
    nb = new_notebook(cells=[new_code_cell("%matplotlib inline\nimport matplotlib.pyplot as plt\n"
                                           "import ipywidgets\nfrom json import dumps\nimport no_such_module_xyz")])
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    preload, forget = plan_preload([path])
    assert preload == ["json"] and forget == []


def test_outputs_beyond_the_managers_limit_are_cut_with_a_note():
    from traitlets.config import Config

    config = Config()
    config.WarmKernelManager.output_limit = 10
    manager = WarmKernelManager(config=config)
    client = WarmKernelClient(parent=manager)
    assert client.output_limit == 10
    stream = lambda text: {"msg_type": "stream", "header": {"msg_type": "stream"},  # noqa: E731
                           "content": {"name": "stdout", "text": text}}
    assert client._cap(stream("12345"))["content"]["text"] == "12345"
    cut = client._cap(stream("6789012345"))
    assert "output truncated" in cut["content"]["text"] and cut["content"]["name"] == "stdout"
    assert client._cap({"msg_type": "display_data", "header": {}, "content": {"data": {"text/plain": "x" * 99}}}
                       )["content"] == {"name": "stdout", "text": ""}
    error = {"msg_type": "error", "content": {"ename": "E"}}
    assert client._cap(error) is error  # errors always reach nbgrader (they decide the score)


def test_no_output_limit_by_default():
    client = WarmKernelClient(parent=WarmKernelManager())
    big = {"msg_type": "stream", "header": {}, "content": {"name": "stdout", "text": "x" * 2**20}}
    assert client._cap(big) is big


def test_files_not_copied_back_are_taken_once():
    WarmKernels.take_skipped()
    WarmKernels.note_skipped(["big.bin: larger than 32 MB"])
    assert WarmKernels.take_skipped() == ["big.bin: larger than 32 MB"]
    assert WarmKernels.take_skipped() == []


def test_an_unsandboxed_kernel_listens_on_unix_sockets_in_a_private_folder_not_on_tcp_ports(tmp_path):
    """TCP ports picked by one worker and bound by its kernel later can be taken in between by another
    worker's kernel (which then dies before its first cell): unsandboxed kernels use unix sockets, in a
    0700 folder of this process's own, removed with the kernel; a killed worker's folder goes at the next start."""
    import os
    import stat
    import subprocess
    import sys

    from jupyter_core.utils import run_sync

    from autograder.isolate import kernels

    first = kernels.private_socket_folder()
    assert first is not None
    os.rmdir(first)
    folders = Path(first).parents[1]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (folders / dead / "stale").mkdir(parents=True)  # a worker killed with kill -9 left this
    kernels._SOCKET_FOLDERS = None  # as in a new worker
    manager = WarmKernelManager(kernel_name="python3")
    run_sync(manager.start_kernel)(cwd=str(tmp_path))
    try:
        assert not (folders / dead).exists()
        folder = Path(manager.connection_file).parent
        assert manager.transport == "ipc" and folder.parent == folders / str(os.getpid())
        assert folder.stat().st_mode & 0o777 == 0o700 and folder.parent.stat().st_mode & 0o777 == 0o700
        client = manager.client()
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=60)
        reply = run_sync(client.execute_interactive)("import os; print(os.getpid())", timeout=60,
                                                     output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok"
        channels = sorted(p.name for p in folder.iterdir() if stat.S_ISSOCK(p.stat().st_mode))
        assert channels == [f"k-{port}" for port in range(1, 6)]  # shell, iopub, stdin, control, heartbeat
        client.stop_channels()
    finally:
        run_sync(manager.shutdown_kernel)(now=True)
    assert not folder.exists()
    kernels.remove_socket_folders()  # what the worker does at its end
    assert not (folders / str(os.getpid())).exists()
