"""The one atomic writer: an output folder is built beside its place and swapped in whole; a file likewise.

:func:`output_folder` yields an :class:`OutputWriter` on a temporary folder in the same parent as the target.
When the block ends without error it writes ``manifest.json`` last (see :mod:`commonground.io.schema`), then
replaces the target as a whole: no file of an earlier run survives, and a failure part-way (bad data found late,
a full disk, an interrupt) leaves the target as it was. A target that exists, is not empty and has no
commonground manifest is refused unless ``force`` is given, so ``--out ~/Documents`` cannot wipe a folder that
was never ours.

Files and folders get the usual modes (0644 / 0755 under the usual umask 022), as any other command writes them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from commonground.errors import InputError
from commonground.io import schema
from commonground.io.jsonable import jsonable


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class OutputWriter:
    """Writes the files of one output into a temporary folder and records each table's row count."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, int | None] = {}
        self.meta: dict[str, Any] = {}

    def table(self, table: schema.Table, frame: pd.DataFrame, *, parquet: bool = False, index: bool = False,
              folder: str = "") -> None:
        """``table``.csv (and its Parquet twin) from ``frame``."""
        base = self.path / folder if folder else self.path
        base.mkdir(parents=True, exist_ok=True)
        names = [table.csv] + ([table.parquet] if parquet else [])
        frame.to_csv(base / table.csv, index=index)
        if parquet:
            frame.to_parquet(base / table.parquet, index=index)
        for n in names:
            self.rows[f"{folder}/{n}" if folder else n] = len(frame)

    def json(self, name: str, obj: Any) -> None:
        import json

        (self.path / name).write_text(json.dumps(jsonable(obj), indent=2, default=str) + "\n", encoding="utf-8")


@contextmanager
def output_folder(out_dir: str | Path, kind: str, *, force: bool = False, inputs: dict[str, Any] | None = None,
                  seed: int | None = None, extra: dict[str, Any] | None = None) -> Iterator[OutputWriter]:
    """Build an output folder of ``kind`` beside ``out_dir`` and swap it in whole, manifest last.

    Whatever the block puts in ``writer.meta`` is added to the manifest. Raises InputError (before anything is
    written) if ``out_dir`` is a file, or a non-empty folder that is not a commonground output and ``force``
    is not set.
    """
    out = Path(out_dir).resolve()
    check_target(out, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new.", dir=out.parent))
    try:
        writer = OutputWriter(tmp)
        yield writer
        schema.write_manifest(tmp, kind, rows=writer.rows, inputs=inputs, seed=seed,
                              extra={**(extra or {}), **writer.meta})
        _set_modes(tmp)
        _swap(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_target(out: Path, *, force: bool = False) -> None:
    """Refuse to replace a file, or a non-empty folder that commonground did not write (unless ``force``)."""
    if out.is_file() or (out.exists() and not out.is_dir()):
        raise InputError("exists and is a file; --out names a folder", source=str(out))
    if force or not out.is_dir() or schema.is_output_folder(out) or not any(out.iterdir()):
        return
    raise InputError(f"exists, is not empty and is not a commonground output (no {schema.MANIFEST}); "
                     "choose another folder or pass --force to replace it", source=str(out))


def _set_modes(root: Path) -> None:
    """mkdtemp makes a private (0700) folder: give the tree the modes a plain mkdir/open would."""
    mask = _umask()
    os.chmod(root, 0o777 & ~mask)
    for p in root.rglob("*"):
        os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~mask)


def _swap(new: Path, out: Path) -> None:
    """Put ``new`` at ``out``; an existing ``out`` is moved aside first and removed after."""
    if not out.exists():
        os.replace(new, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
    os.rmdir(old)
    os.replace(out, old)
    try:
        os.replace(new, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` (mode 0644 under umask 022)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; outputs are meant to be shared
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
