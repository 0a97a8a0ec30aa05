"""Tell what kind of output a path holds, from its ``manifest.json``, and build its report page.

Every output folder names its kind and its files in ``manifest.json`` (:mod:`commonground.io.schema`); the
report reads exactly those files (checked against their recorded SHA-256), never whatever else lies in the
folder, so a file left over from another run or edited since cannot be shown as this run's. A folder without a
manifest is refused with a one-line error saying so. Kinds:

* ``allocation``: ``summary.json``, ``composition``, ``caps``, ``groups``, ``allocation`` tables (CSV and
  Parquet twins), as ``Allocation.write`` and ``commonground allocate`` write them;
* ``comparison``: allocation folders compared side by side (``commonground demo``: ``with-caps/``,
  ``without-caps/``, ``inputs/``, ``demo.json``), labelled by the manifest's ``parts``;
* ``simulation``: ``results.parquet``, tidy scenario, policy, replicate, year, metric, value; with
  ``summary.csv`` and ``simulation.json``;
* ``price-of-diversity``: ``price_of_diversity.json`` with ``ballots.csv``, ``groups.csv``, ``fairness.csv``;
* ``measure``: ``indices.csv`` (``commonground measure --out DIR``). A measurement table file (``.csv`` or
  ``.parquet``) may also be given directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from commonground.errors import InputError
from commonground.io import schema
from commonground.io.schema import Manifest, read_manifest
from commonground.report.allocation import allocation_sections
from commonground.report.data import AllocationData
from commonground.report.measurement import is_index_table, measurement_sections, read_index_table
from commonground.report.page import Page
from commonground.report.pod import pod_sections
from commonground.report.simulation import simulation_sections

EXPECTED = ("an output folder written by commonground (allocate, demo, measure, price-of-diversity, simulate: "
            f"it has {schema.MANIFEST}) or a measurement table (.csv or .parquet)")
TABLE_SUFFIXES = (".csv", ".parquet")


@dataclass
class OutputFolder:
    """What was found at ``path`` (folders and files), ready to render."""

    path: Path
    allocations: list[tuple[str, Path, tuple[Path, ...]]] = field(default_factory=list)
    simulation: Path | None = None
    pod: bool = False
    index_tables: list[Path] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        kinds = []
        if len(self.allocations) == 1:
            kinds.append("allocation")
        elif self.allocations:
            kinds.append("comparison")
        if self.pod:
            kinds.append("price of diversity")
        if self.simulation:
            kinds.append("simulation")
        if self.index_tables:
            kinds.append("measurement")
        return kinds

    def page(self, source: str | None = None) -> Page:
        """The report page; ``source`` names the output in the page instead of its path (e.g. "run 12" when a
        web app renders from a temporary folder)."""
        page = Page(title=_title(self), source=source if source is not None else str(self.path))
        data = [AllocationData.from_folder(p, label, coords) for label, p, coords in self.allocations]
        if source is not None:
            for d, (_, p, _) in zip(data, self.allocations, strict=True):
                d.source = source if p == self.path else f"{source}/{p.name}"
        if data:
            page.subtitle = _allocation_subtitle(data)
        elif self.index_tables:
            page.subtitle = "Index tables: " + ", ".join(t.name for t in self.index_tables)
        for s in pod_sections(self.path) if self.pod else []:
            page.add(s)
        if self.simulation is not None:
            for s in simulation_sections(self.simulation):
                page.add(s)
        for t in self.index_tables:
            for s in measurement_sections(read_index_table(t), t.name, several=len(self.index_tables) > 1):
                page.add(s)
        for s in allocation_sections(data) if data else []:
            page.add(s)
        return page


def inspect_output(path: Path) -> OutputFolder:
    """Find what ``path`` holds, from its manifest; InputError naming the path and the problem otherwise."""
    if not path.exists():
        raise InputError(f"no such folder (expected {EXPECTED})", source=str(path))
    found = OutputFolder(path)
    if path.is_file():
        if path.suffix.lower() in TABLE_SUFFIXES and is_index_table(path):
            found.index_tables.append(path)
            return found
        raise InputError(f"not a report input: expected {EXPECTED}", source=str(path))
    manifest = read_manifest(path)
    if manifest.kind == schema.ALLOCATION:
        found.allocations.append((path.name, path, (path.parent,)))
    elif manifest.kind == schema.COMPARISON:
        found.allocations = [(label, path / sub, (path,)) for label, sub in manifest.parts.items()]
    elif manifest.kind == schema.SIMULATION:
        found.simulation = path
    elif manifest.kind == schema.PRICE_OF_DIVERSITY:
        found.pod = True
    elif manifest.kind == schema.MEASURE:
        found.index_tables = [manifest.table_path(schema.INDICES_TABLE)]
    return found


def is_allocation_folder(path: Path) -> bool:
    """True if ``path`` has a manifest saying it is an allocation (files not verified)."""
    return kind_of(path) == schema.ALLOCATION


def kind_of(path: Path) -> str | None:
    """The kind an output folder's manifest declares, or None if it has no readable manifest."""
    try:
        manifest: Manifest = read_manifest(path, verify=False)
    except InputError:
        return None
    return manifest.kind


def _title(found: OutputFolder) -> str:
    kinds = found.kinds
    if kinds == ["allocation"]:
        return "Allocation report"
    if kinds == ["comparison"]:
        return "Allocation: " + " vs ".join(label for label, _, _ in found.allocations)
    return " and ".join(k.capitalize() if i == 0 else k for i, k in enumerate(kinds)) + " report"


def _allocation_subtitle(data: list[AllocationData]) -> str:
    s = data[0].summary
    head = (f"{int(s.get('households', 0)):,} households, {int(s.get('vacant_flats', 0)):,} vacant flats"
            if isinstance(s.get("households"), int) and isinstance(s.get("vacant_flats"), int) else "")
    runs = "; ".join(f"{d.label}: {d.summary.get('mechanism', '?')} under {d.summary.get('policy', '?')}"
                     for d in data)
    return f"{head}; {runs}" if head else runs
