"""The library calls: render a report for an output folder, or compare allocations held in memory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from commonground.io import schema
from commonground.io.atomic import atomic_file
from commonground.io.schema import add_to_manifest, is_output_folder
from commonground.report.allocation import allocation_sections
from commonground.report.data import AllocationData
from commonground.report.detect import inspect_output
from commonground.report.page import Page, render_page

if TYPE_CHECKING:
    from commonground.allocate.result import Allocation

REPORT_NAME = schema.REPORT_HTML


def render_report(path: str | Path, *, source: str | None = None) -> str:
    """The HTML report for an allocation, comparison, measurement, price-of-diversity or simulation output.

    ``path`` is an output folder (or a measurement table file). ``source`` is how the page names it (default:
    the path). Raises :class:`~commonground.errors.InputError` naming the folder and what was expected when it
    holds none of these.
    """
    return render_page(inspect_output(Path(path)).page(source))


def write_report(path: str | Path, out: str | Path | None = None, *,
                 on_stage: Callable[[str], None] | None = None) -> Path:
    """Render the report for ``path`` and write it to ``out`` (default: ``report.html`` in the folder; beside a
    measurement table file, ``<name>.report.html``). Nothing is written if the folder is not recognised.
    ``on_stage`` is told each stage as it starts (a command's progress display)."""
    def stage(text: str) -> None:
        if on_stage:
            on_stage(text)

    path = Path(path)
    stage("finding the outputs")
    found = inspect_output(path)
    stage(f"reading the {' and '.join(found.kinds)} tables and drawing the charts")
    page = found.page(None)
    stage(f"writing {len(page.sections)} sections")
    html = render_page(page)
    if out is None:
        out = path / REPORT_NAME if path.is_dir() else path.with_name(f"{path.stem}.{REPORT_NAME}")
    out = write_html(html, Path(out))
    if path.is_dir() and out.resolve().parent == path.resolve() and is_output_folder(path):
        add_to_manifest(path, out.name)  # the folder's manifest keeps listing every file in it
    return out


def comparison_page(results: Mapping[str, Allocation], title: str = "") -> Page:
    """The page comparing labelled allocations of the same problem (e.g. with and without caps)."""
    data = [AllocationData.from_allocation(label, a) for label, a in results.items()]
    first = next(iter(results.values()), None)
    subtitle = ""
    if first is not None:
        subtitle = (f"{first.problem.n_households:,} households, {int((~first.problem.development.occupied).sum()):,}"
                    f" vacant flats in {first.problem.development.n_blocks:,} blocks; "
                    + "; ".join(f"{lab}: {a.mechanism} under {a.policy.name}" for lab, a in results.items()))
    page = Page(title=title or ("Allocation: " + " vs ".join(results)), subtitle=subtitle)
    for s in allocation_sections(data):
        page.add(s)
    return page


def render_comparison_report(results: Mapping[str, Allocation], title: str = "") -> str:
    return render_page(comparison_page(results, title))


def write_comparison_report(results: Mapping[str, Allocation], path: str | Path) -> Path:
    """Write one page comparing labelled allocations side by side; returns ``path``."""
    if not results:
        raise ValueError("no allocations to compare")
    return write_html(render_comparison_report(results), Path(path))


def write_html(html: str, out: Path) -> Path:
    """Write atomically (a temporary file moved into place), so a reader never sees half a report."""
    with atomic_file(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return out
