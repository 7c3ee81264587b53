"""Run code cells in a fresh Jupyter kernel (nbclient) and collect what each printed."""
from __future__ import annotations

import nbformat
from nbclient import NotebookClient


def run_cells(*sources: str, timeout: int = 120) -> nbformat.NotebookNode:
    """Execute ``sources`` as code cells of a new notebook in a fresh kernel; return it."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            allow_errors=False, resources={"metadata": {"path": "."}})
    client.execute()
    return notebook


def stderr_of(notebook: nbformat.NotebookNode) -> list[str]:
    """Every piece of text the notebook's cells wrote to stderr, cell by cell."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {index}: {output.get('text', '')}")
    return found
