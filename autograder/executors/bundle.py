"""Files as bytes, so a Dask task carries what it grades (no shared filesystem).

A bundle is ``{relative path: bytes}`` of every file under a folder; hidden
files and ``__pycache__``/checkpoint folders are left out. ``unpack`` writes one
back under another folder and refuses paths that would leave it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}


def pack(folder: Path, *, max_bytes: int | None = None) -> tuple[dict[str, bytes], list[str]]:
    """Every file under ``folder`` as ``{posix relative path: bytes}``, and the paths left out
    because the bundle would pass ``max_bytes``."""
    files: dict[str, bytes] = {}
    left_out: list[str] = []
    total = 0
    if not folder.is_dir():
        return files, left_out
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or any(p in SKIP_PARTS or p.startswith(".") for p in rel.parts):
            continue
        size = path.stat().st_size
        if max_bytes is not None and total + size > max_bytes:
            left_out.append(rel.as_posix())
            continue
        files[rel.as_posix()] = path.read_bytes()
        total += size
    return files, left_out


def unpack(files: dict[str, bytes], folder: Path) -> list[Path]:
    """Write a bundle under ``folder``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"refusing to write {name!r} outside {folder}")
        path = folder.joinpath(*rel.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written



def digest(files: dict[str, bytes]) -> str:
    """A short fingerprint of a bundle (names and contents)."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return h.hexdigest()[:16]
