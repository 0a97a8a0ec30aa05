"""The output format, in one place: file names, table columns and the ``manifest.json`` of every output folder.

Writers (``Allocation.write``, ``commonground demo``, ``measure --out``, ``price-of-diversity --out``,
``simulate``) and readers (``commonground report``, the web service) take names and columns from here, so a
file cannot be renamed on one side only. Every output folder ends with ``manifest.json`` (written last by
:func:`commonground.io.atomic.output_folder`): its kind, the schema version, each file's name, rows, size and
SHA-256, the fingerprints of the inputs, the code version and the seed. A reader opens the folder through
:func:`read_manifest` and reads the files it lists, never whatever happens to lie in the folder.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commonground.errors import InputError

#: The manifest file in every output folder; written last, so a folder with one is complete.
MANIFEST = "manifest.json"
#: Marks a manifest as ours (a ``manifest.json`` from another tool is not mistaken for one).
FORMAT = "commonground-output"
#: Bumped when a file is renamed or a column changes meaning; readers refuse newer versions.
SCHEMA_VERSION = 1

# Output kinds (the manifest's "kind").
ALLOCATION = "allocation"
COMPARISON = "comparison"
MEASURE = "measure"
PRICE_OF_DIVERSITY = "price-of-diversity"
SIMULATION = "simulation"
FRONTIER = "frontier"
KINDS = (ALLOCATION, COMPARISON, MEASURE, PRICE_OF_DIVERSITY, SIMULATION, FRONTIER)


@dataclass(frozen=True)
class Table:
    """One output table: its file stem, the columns readers rely on, and which of them are numbers/booleans.

    ``columns`` are the columns every file of this table has (writers may add more after them, such as the
    households' attributes); ``numeric`` and ``boolean`` tell a reader of the CSV form how to type them.
    """

    stem: str
    columns: tuple[str, ...]
    numeric: tuple[str, ...] = ()
    boolean: tuple[str, ...] = ()

    @property
    def csv(self) -> str:
        return f"{self.stem}.csv"

    @property
    def parquet(self) -> str:
        return f"{self.stem}.parquet"


# -- allocation folder (Allocation.write, commonground allocate) --------------------------------------------
# After these columns: the households' group attributes, then their other input columns verbatim (docs/inputs.md).
ALLOCATION_TABLE = Table("allocation", ("household_id", "flat_id", "block_id", "neighbourhood_id", "status",
                                        "reason", "queue_position", "utility", "priority", "waiting_days",
                                        "ballot_chances"),
                         numeric=("queue_position", "utility", "waiting_days", "ballot_chances", "lat", "lng"))
# lat/lng (the home's block position) follow ballot_chances when the flats have coordinates.
COMPOSITION_TABLE = Table("composition", ("level", "unit_id", "units", "attribute", "value", "count_before",
                                          "count", "share_before", "share", "cap"),
                          numeric=("units", "count_before", "count", "share_before", "share", "cap", "lat", "lng"))
# lat/lng follow cap when the flats have coordinates: a block's position; a neighbourhood's is the plain mean of
# its blocks' positions (blank when none of its blocks has one).
CAPS_TABLE = Table("caps", ("attribute", "level", "unit_id", "limit", "share_limit", "units", "count",
                            "max_count", "utilisation", "binding"),
                   numeric=("share_limit", "units", "count", "max_count", "utilisation", "lat", "lng"),
                   boolean=("binding",))
# lat/lng follow binding when the flats have coordinates (the unit's position, as in composition).
GROUPS_TABLE = Table("groups", ("attribute", "value", "applicants", "allocated", "skipped", "share_housed",
                                "welfare", "mean_utility_housed", "mean_utility_all"),
                     numeric=("applicants", "allocated", "skipped", "share_housed", "welfare",
                              "mean_utility_housed", "mean_utility_all"))
# The one per-group outcome table (Allocation.group_outcomes): groups.csv above, and the per-group columns of the
# price-of-diversity folder's groups.csv and fairness.csv, which publish some of them under these older names
# (kept: tests and readers rely on them); analysis.welfare and analysis.fairness take the table and rename.
GROUP_OUTCOME_ALIASES = {"value": "group", "allocated": "housed", "mean_utility_all": "mean_utility_applicant"}
ALLOCATION_TABLES = (ALLOCATION_TABLE, COMPOSITION_TABLE, CAPS_TABLE, GROUPS_TABLE)
SUMMARY_JSON = "summary.json"

# -- comparison folder (commonground demo) -----------------------------------------------------------------
DEMO_JSON = "demo.json"
INPUTS_FOLDER = "inputs"
REPORT_HTML = "report.html"

# -- measure folder (commonground measure --out) -----------------------------------------------------------
INDICES_TABLE = Table("indices", ())
#: Explains blank cells (a zero-population region, a group with no members): one text per row.
NOTES_COLUMN = "notes"
# ``measure spatial`` / ``measure null`` / ``measure compare --out`` (issue 14): tidy rows, null summaries and
# comparisons, each in a measure folder
SPATIAL_TABLE = Table("spatial", ("unit", "by", "index", "group", "value"), numeric=("value",))
NULL_TABLE = Table("null", ("observed", "expected", "sd", "bias", "p_value", "adjusted"),
                   numeric=("observed", "expected", "sd", "bias", "p_value", "adjusted"))
COMPARE_TABLE = Table("comparison", ())

# -- price-of-diversity folder --------------------------------------------------------------------------------
POD_SUMMARY = "price_of_diversity.json"
BALLOTS_TABLE = Table("ballots", ("seed", "welfare", "welfare_unconstrained", "price_of_diversity",
                                  "share_of_optimum", "housed", "housed_unconstrained"))
POD_GROUPS_TABLE = Table("groups", ("mechanism", "attribute", "group"))
FAIRNESS_TABLE = Table("fairness", ("group", "applicants", "share_housed", "mean_utility_housed",
                                    "mean_utility_applicant", "max_envy", "max_envy_per_applicant", "envies_most"))
POD_TABLES = (BALLOTS_TABLE, POD_GROUPS_TABLE, FAIRNESS_TABLE)

# -- simulation folder ----------------------------------------------------------------------------------------
SIM_RESULTS = Table("results", ("scenario", "policy", "replicate", "year", "metric", "value"),
                    numeric=("year", "value"))
SIM_SUMMARY = Table("summary", ("scenario", "policy", "year", "metric", "n", "mean", "sd", "ci95_low",
                                "ci95_high", "q05", "q25", "q50", "q75", "q95"))
SIM_JSON = "simulation.json"
SIM_PLOTS = ("indices.png", "market.png")

# -- frontier folder (commonground frontier) -----------------------------------------------------------------
FRONTIER_TABLE = Table("frontier", ("instance", "seed", "mechanism", "seconds", "housed", "turned_away", "welfare",
                                    "justified_envy", "cap_breaches"),
                       numeric=("seed", "seconds", "housed", "turned_away", "welfare", "justified_envy",
                                "cap_breaches"))
FRONTIER_SUMMARY = Table("summary", ("mechanism",))
FRONTIER_DOMINANCE = Table("dominance", ("dominates", "dominated", "strictly_better_on"))
FRONTIER_REPORT = "frontier.md"


# -- the manifest ---------------------------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    dig = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            dig.update(chunk)
    return dig.hexdigest()


def input_fingerprints(**paths: str | Path | None) -> dict[str, dict[str, str]]:
    """``{name: {"path": ..., "sha256": ...}}`` for the input files given (None ones are left out)."""
    out = {}
    for name, p in paths.items():
        if p is None:
            continue
        path = Path(p)
        out[name] = {"path": str(path), "sha256": sha256_file(path) if path.is_file() else ""}
    return out


@dataclass(frozen=True)
class Manifest:
    """A parsed ``manifest.json``: what kind of output a folder is and exactly which files belong to it."""

    folder: Path
    kind: str
    files: dict[str, dict[str, Any]]     # name (relative, "/"-separated) -> {"rows", "bytes", "sha256"}
    data: dict[str, Any]

    def has(self, name: str) -> bool:
        return name in self.files

    def path(self, name: str) -> Path:
        """The path of a listed file; InputError if the run did not write it."""
        if name not in self.files:
            raise InputError(f"this {self.kind} output has no {name} (see {MANIFEST})", source=str(self.folder))
        return self.folder / name

    def table_path(self, table: Table) -> Path:
        """The table's Parquet file if the run wrote one (types kept), else its CSV."""
        return self.path(table.parquet if table.parquet in self.files else table.csv)

    @property
    def parts(self) -> dict[str, str]:
        """For a comparison: label -> sub-folder (in order)."""
        return dict(self.data.get("parts") or {})


def read_manifest(folder: str | Path, *, verify: bool = True) -> Manifest:
    """The manifest of an output folder; InputError (one line) if it has none or the files disagree with it.

    ``verify`` checks every listed file exists with the recorded size and SHA-256, so a file replaced or
    edited after the run is never read as the run's.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise InputError(f"no {MANIFEST}: not a commonground output folder (or one written before outputs "
                         f"had manifests; run the command again to rewrite it)", source=str(folder))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"not valid JSON ({e})", source=str(path)) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"not a commonground manifest (no \"format\": \"{FORMAT}\")", source=str(path))
    version = data.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise InputError(f"schema version {version!r} is newer than this commonground reads ({SCHEMA_VERSION}); "
                         "upgrade commonground", source=str(path))
    kind = data.get("kind")
    if kind not in KINDS:
        raise InputError(f"unknown output kind {kind!r} (known: {', '.join(KINDS)})", source=str(path))
    files = {str(f.get("name")): f for f in data.get("files") or [] if isinstance(f, dict)}
    if verify:
        for name, f in files.items():
            p = folder / name
            if not p.is_file():
                raise InputError(f"{name} is listed in {MANIFEST} but missing", source=str(folder))
            if p.stat().st_size != f.get("bytes") or sha256_file(p) != f.get("sha256"):
                raise InputError(f"{name} changed after the run wrote it (size or SHA-256 differs from "
                                 f"{MANIFEST}); run the command again", source=str(folder))
    return Manifest(folder=folder, kind=str(kind), files=files, data=data)


def is_output_folder(folder: str | Path) -> bool:
    """True if ``folder`` has a commonground ``manifest.json`` (not verified)."""
    path = Path(folder) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def file_entries(folder: Path, rows: dict[str, int | None]) -> list[dict[str, Any]]:
    """One entry per file under ``folder`` (sorted, the manifest itself excluded): name, rows, bytes, sha256.

    Row counts come from ``rows`` and, for files of a nested output (a comparison's allocation folders), from
    that output's own manifest.
    """
    rows = dict(rows)
    for nested in folder.rglob(f"*/{MANIFEST}"):
        prefix = nested.parent.relative_to(folder).as_posix()
        try:
            for f in json.loads(nested.read_text(encoding="utf-8")).get("files", []):
                rows.setdefault(f"{prefix}/{f['name']}", f.get("rows"))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    entries = []
    for p in sorted(q for q in folder.rglob("*") if q.is_file()):
        name = p.relative_to(folder).as_posix()
        if name == MANIFEST:
            continue
        entries.append({"name": name, "rows": rows.get(name), "bytes": p.stat().st_size, "sha256": sha256_file(p)})
    return entries


def write_manifest(folder: str | Path, kind: str, *, rows: dict[str, int | None] | None = None,
                   inputs: dict[str, Any] | None = None, seed: int | None = None,
                   extra: dict[str, Any] | None = None) -> Path:
    """Write ``manifest.json`` listing every file now in ``folder``; returns its path.

    Called last by :func:`commonground.io.atomic.output_folder`; also the way to make a folder assembled by
    hand (tests, older runs) readable, since it states that these files, as they are now, are the output.
    """
    from commonground import __version__

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    folder = Path(folder)
    data: dict[str, Any] = {"format": FORMAT, "kind": kind, "schema_version": SCHEMA_VERSION,
                            "code_version": __version__, "seed": seed, "inputs": inputs or {}}
    clash = sorted(set(extra or {}) & {*data, "format", "files"})
    if clash:
        raise ValueError(f"manifest extras may not replace {', '.join(clash)}")
    data.update(extra or {})
    data["files"] = file_entries(folder, rows or {})
    path = folder / MANIFEST
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def add_to_manifest(folder: str | Path, name: str) -> None:
    """Record a file added to a finished output folder (``report.html`` written by ``commonground report``)."""
    folder = Path(folder)
    path = folder / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    p = folder / name
    entry = {"name": name, "rows": None, "bytes": p.stat().st_size, "sha256": sha256_file(p)}
    files = [f for f in data.get("files", []) if f.get("name") != name] + [entry]
    data["files"] = sorted(files, key=lambda f: f["name"])
    from commonground.io.atomic import atomic_file

    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
