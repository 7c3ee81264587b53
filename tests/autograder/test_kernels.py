"""autograder.kernels: what the zygote preloads, and the kernel client's output cap (no kernels)."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.kernels import WarmKernelClient, WarmKernelManager, WarmKernels, plan_preload

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "autograder"


def test_preload_plan_imports_course_first_and_forgets_it():
    preload, forget = plan_preload([FIXTURES / "course" / "source" / "tf1" / "tf1.ipynb"])
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
