"""Write an output folder all at once: into a temporary sibling first, moved in only when every file is done."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_folder(out_dir: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out_dir``; on success its files move into ``out_dir``.

    A failure part-way (bad data found late, a full disk, an interrupt) leaves ``out_dir`` as it was:
    the rule that bad input writes nothing.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        out.mkdir(parents=True, exist_ok=True)
        for p in tmp.iterdir():
            os.replace(p, out / p.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
