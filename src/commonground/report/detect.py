"""Tell what kind of output a path holds, by the files present, and build its report page.

Recognised (several may be present in one folder; each adds its sections):

* an allocation folder: ``summary.json``, ``composition.csv``, ``caps.csv``, ``groups.csv``, ``allocation.csv``
  (as ``Allocation.write`` and ``commonground allocate`` write them);
* a folder of allocation folders, compared side by side (``commonground demo``: ``with-caps/``,
  ``without-caps/``, ``inputs/``, ``demo.json``);
* a simulation folder: ``results.parquet`` (or ``results.csv``), tidy scenario, policy, replicate, year,
  metric, value; with ``summary.csv`` and ``simulation.json`` if present;
* a price-of-diversity folder: ``price_of_diversity.json`` with ``ballots.csv``, ``groups.csv``, ``fairness.csv``
  (``commonground price-of-diversity --out``);
* measurement (index) tables: a ``.csv``/``.parquet`` file as ``commonground measure --out`` writes it, given
  directly or found at the top of the folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from commonground.errors import InputError
from commonground.report.allocation import allocation_sections
from commonground.report.data import AllocationData
from commonground.report.measurement import is_index_table, measurement_sections, read_index_table
from commonground.report.page import Page
from commonground.report.pod import is_pod_folder, pod_sections
from commonground.report.simulation import SIMULATION_FILES, simulation_sections

EXPECTED = ("an allocation folder (summary.json, composition.csv, caps.csv, groups.csv, allocation.csv), "
            "a folder of allocation folders (as 'commonground demo' writes), a simulation folder "
            "(results.parquet or results.csv), a price-of-diversity folder (price_of_diversity.json) "
            "or a measurement table (.csv or .parquet)")
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
    """Find what ``path`` holds; InputError naming the path and what was expected if it is nothing known."""
    if not path.exists():
        raise InputError(f"no such folder (expected {EXPECTED})", source=str(path))
    found = OutputFolder(path)
    if path.is_file():
        if path.suffix.lower() in TABLE_SUFFIXES and is_index_table(path):
            found.index_tables.append(path)
            return found
        raise InputError(f"not a report input: expected {EXPECTED}", source=str(path))
    if is_allocation_folder(path):
        found.allocations.append((path.name, path, (path.parent,)))
    else:
        labels = _demo_labels(path)
        subs = sorted((p for p in path.iterdir() if p.is_dir() and is_allocation_folder(p)),
                      key=lambda p: (labels.get(p.name, (len(labels), ""))[0], p.name))
        found.allocations = [(labels.get(p.name, (0, p.name))[1], p, (path,)) for p in subs]
    if any((path / f).is_file() for f in SIMULATION_FILES):
        found.simulation = path
    found.pod = is_pod_folder(path)
    if not found.allocations and not found.simulation and not found.pod:
        found.index_tables = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES
                                    and is_index_table(p))
    if not found.kinds:
        what = "an empty folder" if not any(path.iterdir()) else "none of the expected files"
        raise InputError(f"{what}: expected {EXPECTED}", source=str(path))
    return found


def is_allocation_folder(path: Path) -> bool:
    return (path / "summary.json").is_file() and any((path / f"composition{s}").is_file() for s in TABLE_SUFFIXES)


def _demo_labels(path: Path) -> dict[str, tuple[int, str]]:
    """Folder name -> (order, label) from ``demo.json`` (keys like "with caps" for folder ``with-caps``)."""
    try:
        keys = list(json.loads((path / "demo.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return {}
    return {str(k).replace(" ", "-"): (i, str(k)) for i, k in enumerate(keys)}


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
