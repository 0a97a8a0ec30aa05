"""What the golden checks compare: the demo's outputs, two measure tables and a simulation summary.

Each producer runs the ``commonground`` command in-process and returns ``{name: bytes}`` after removing what may
differ between two identical runs on different installs: the code version, wall-clock seconds, library versions,
the folder an input file was read from (its name and sha256 are kept), Parquet writer metadata (a Parquet file is
compared through its table, written as CSV) and Matplotlib's SVG drawings inside the HTML report (their bytes
follow the Matplotlib version; the report's text is still compared).
A TOML file is compared by its parsed content (written by a TOML library, whose layout is not a result).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from commonground.cli import app

GOLDEN = Path(__file__).resolve().parent
MANIFEST = GOLDEN / "manifest.json"
FILES = GOLDEN / "files"
#: Files up to this size are kept whole beside the manifest, so a failing check can show a readable diff.
KEEP_WHOLE = 64_000
#: Keys removed from JSON outputs anywhere in the tree: they name the code version, the machine or the clock.
VOLATILE_KEYS = {"code_version", "seconds", "versions", "scheduler", "n_workers"}
_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_VERSION = re.compile(r"commonground \d+\.\d+\.\d+\S*|<dt>code_version</dt><dd>[^<]*</dd>")


def _drop_volatile(obj: Any) -> Any:
    if isinstance(obj, dict) and {"name", "sha256", "bytes"} <= set(obj):  # a manifest's file entry: the file
        return {k: v for k, v in obj.items() if k not in ("sha256", "bytes")}  # itself is compared
    if isinstance(obj, dict) and {"path", "sha256"} <= set(obj):  # an input: the folder it was read from on
        return {k: Path(v).name if k == "path" and v else _drop_volatile(v)  # this machine is not a result,
                for k, v in obj.items() if k not in VOLATILE_KEYS}  # its name and sha256 are
    if isinstance(obj, dict):
        return {k: _drop_volatile(v) for k, v in obj.items() if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [_drop_volatile(v) for v in obj]
    return obj


def normalise(path: Path) -> bytes:
    """The bytes of an output file with the run-to-run and install-to-install differences removed."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return (json.dumps(_drop_volatile(json.loads(path.read_text())), indent=2) + "\n").encode()
    if suffix == ".toml":  # compared by meaning: the TOML writer is a library's, its layout is not a result
        return (json.dumps(tomllib.loads(path.read_text()), indent=2) + "\n").encode()
    if suffix == ".parquet":
        buf = io.StringIO()
        pd.read_parquet(path).to_csv(buf, index=False)
        return buf.getvalue().encode()
    if suffix == ".html":
        return _VERSION.sub("VERSION", _SVG.sub("<svg/>", path.read_text())).encode()
    return path.read_bytes()


def _run(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    if result.exit_code != 0:
        raise AssertionError(f"commonground {' '.join(args)} exited {result.exit_code}: {result.output}"
                             f"{result.exception!r}")


def _collect(folder: Path, prefix: str, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    return {f"{prefix}/{p.relative_to(folder).as_posix()}": normalise(p)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix not in skip}


def demo(tmp: Path, shared_data: Path) -> dict[str, bytes]:
    """``commonground demo`` (sg-bto, seed 0): inputs, both result folders, demo.json and the report."""
    _run(["demo", "--out", str(tmp / "demo")])
    return _collect(tmp / "demo", "demo")


def measure_tables(tmp: Path, shared_data: Path) -> dict[str, bytes]:
    """``commonground measure --index all`` on Sacramento tracts (one region) and Singapore subzones (55): each
    an output folder (indices.csv, its Parquet twin, manifest.json)."""
    runs = {
        "measure/sacramento": [str(shared_data / "us_sacramento_tracts_2000.csv"), "--unit", "FIPS",
                                   "--groups", "WHITE_,BLACK_,ASIAN_,HISP_", "--by", "MSA"],
        "measure/sg_planning_areas": [str(shared_data / "sg_census2020_ethnic_by_subzone.csv"), "--unit",
                                          "subzone", "--groups", "chinese,malays,indians,others",
                                          "--by", "planning_area"],
    }
    out = {}
    for name, args in runs.items():
        path = tmp / Path(name).name
        _run(["measure", *args, "--index", "all", "--out", str(path)])
        out.update(_collect(path, name))
    return out


def simulation(tmp: Path, shared_data: Path) -> dict[str, bytes]:
    """``commonground simulate uk-migration`` with 2 replicates, in process, without plots (PNG bytes follow
    the Matplotlib version)."""
    _run(["simulate", "uk-migration", "--replicates", "2", "--in-process", "--no-plots",
          "--out", str(tmp / "sim")])
    return _collect(tmp / "sim", "simulate", skip=(".png",))


PRODUCERS: dict[str, Callable[[Path, Path], dict[str, bytes]]] = {
    "demo": demo, "measure": measure_tables, "simulate": simulation}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
