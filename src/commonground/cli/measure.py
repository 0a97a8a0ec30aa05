"""``commonground measure FILE --unit COL --groups A,B,C [--by COL] [--index ...] [--out DIR]``.

Reads a CSV or Parquet table of counts (one row per areal unit), computes integration indices for the whole
file or per ``--by`` region, prints a Rich table or writes an output folder (``indices.csv``, its Parquet twin
and ``manifest.json``, like every other command's ``--out``). Blank cells (undefined indices) are explained in a
``notes`` column and on stderr. Bad input exits 2 with one line and writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from commonground.cli.common import console, err_console, guarded
from commonground.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

READERS = (".csv", ".txt", ".tsv", ".parquet", ".pq")


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _write(frame: pd.DataFrame, out: Path, *, force: bool, inputs: dict) -> None:
    """The measure output folder: ``indices.csv`` and ``indices.parquet`` (region labels as the first column),
    swapped in whole with its manifest."""
    import pandas as pd

    from commonground.io import schema
    from commonground.io.atomic import output_folder

    with output_folder(out, schema.MEASURE, force=force, inputs=inputs) as w:
        w.table(schema.INDICES_TABLE, frame, parquet=True, index=not isinstance(frame.index, pd.RangeIndex))


def _header(column: str) -> str:
    """``dissimilarity[Black]`` -> ``D Black``; ``theil_h`` -> ``H``."""
    from commonground.measure import INDICES

    name, _, group = column.partition("[")
    symbol = INDICES[name].symbol if name in INDICES else name
    return f"{symbol} {group.rstrip(']')}" if group else symbol


def _rich_table(frame: pd.DataFrame, title: str) -> Table:
    import pandas as pd
    from rich.table import Table

    from commonground.measure import INDICES

    used = dict.fromkeys(c.partition("[")[0] for c in frame.columns)
    caption = ", ".join(f"{INDICES[n].symbol} = {INDICES[n].description}" for n in used if n in INDICES)
    table = Table(title=title, caption=caption, header_style="bold")
    table.add_column(str(frame.index.name or "region"), style="cyan", max_width=28)
    for col in frame.columns:
        table.add_column(_header(str(col)), justify="right", no_wrap=True, min_width=5)
    for label, row in frame.iterrows():
        table.add_row(str(label), *("" if pd.isna(v) else f"{v:.3f}" for v in row))
    return table


def _tell_blanks(notes: pd.Series) -> None:
    """One stderr line when some cells are blank, naming the causes (they are also in the notes column)."""
    blank = notes[notes != ""]
    if blank.empty:
        return
    causes = list(dict.fromkeys(c for n in blank for c in n.split("; ")))
    shown = "; ".join(causes[:6]) + (f"; and {len(causes) - 6} more (see the notes column)" if len(causes) > 6
                                      else "")
    where = ", ".join(str(r) for r in dict.fromkeys(blank.index))
    err_console.print(f"note: blank cells (undefined indices) in {len(blank)} row(s) ({where[:200]}): {shown}",
                      highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ``measure`` command to the ``commonground`` app."""

    @app.command("measure")
    @guarded
    def measure_command(
        file: Path = typer.Argument(..., help="CSV or Parquet table: one row per areal unit (block, output area)."),
        groups: str = typer.Option(..., "--groups", "-g", help="Count columns, comma-separated: A,B,C."),
        unit: str | None = typer.Option(None, "--unit", "-u", help="Unit id column (default: row number)."),
        by: str | None = typer.Option(None, "--by", "-b", help="Region column: one result row per region."),
        total: str | None = typer.Option(None, "--total", "-t",
                                         help="Unit total column for single-group indices "
                                              "(default: the sum of the groups)."),
        index: list[str] | None = typer.Option(None, "--index", "-i",
                                               help="Index names (repeat or comma-separate), or 'all'. Default: "
                                                    "the multigroup summary."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Output folder (created; replaced as a whole): "
                                                                  "indices.csv, indices.parquet, manifest.json. "
                                                                  "Default: print a table."),
        tidy: bool = typer.Option(False, "--tidy", help="One row per region, index and group."),
        force: bool = typer.Option(False, "--force", help="Replace OUT even if it is not a commonground output"),
    ) -> None:
        """Segregation, exposure and diversity indices of a table of counts per areal unit."""
        from commonground.io import schema
        from commonground.io.atomic import check_target
        from commonground.io.schema import input_fingerprints
        from commonground.io.tables import read_table
        from commonground.measure import INDICES, SUMMARY_INDICES, Counts, measure, resolve
        from commonground.measure.notes import blank_notes

        if file.suffix.lower() not in READERS:
            raise InputError(f"unsupported file type '{file.suffix}' (use .csv, .tsv or .parquet)", source=str(file))
        if out is not None:
            if out.suffix.lower() in (*READERS, ".json", ".xlsx"):
                raise InputError(f"--out names a folder ({schema.INDICES_TABLE.csv} and {schema.MANIFEST} are "
                                 f"written inside it), not a '{out.suffix}' file", source=str(out))
            check_target(out, force=force)
        group_list = _split([groups])
        names = _split(index)
        if not group_list:
            raise InputError("--groups names no columns")
        if [n.lower() for n in names] != ["all"]:
            for n in names:
                resolve(n)  # unknown index names fail before the file is read
        frame = read_table(file, text=[c for c in (unit, by) if c])
        counts = Counts.from_frame(frame, group_list, total=total, by=by, unit=unit, source=str(file))
        if not names:
            names = list(SUMMARY_INDICES) if counts.n_groups >= 2 else [
                n for n, s in INDICES.items() if s.family == "single"]
        elif [n.lower() for n in names] == ["all"]:
            names = [n for n, s in INDICES.items() if s.family == "single" or counts.n_groups >= 2]
        result = measure(counts, names, tidy=tidy)
        notes = blank_notes(counts, result, tidy=tidy)
        _tell_blanks(notes)
        if out is not None:
            written = result.assign(**{schema.NOTES_COLUMN: notes})
            _write(written if not tidy else written.set_index(written.columns[0]), out, force=force,
                   inputs=input_fingerprints(counts=file))
            console.print(f"wrote {len(result)} rows x {written.shape[1]} columns to {out}/"
                          f"{schema.INDICES_TABLE.csv} (+ Parquet, {schema.MANIFEST})", highlight=False)
            return
        if tidy:
            result = result.set_index(result.columns[0])
            result["value"] = result["value"].astype(float)
            console.print(result.to_string())
            return
        title = f"{file.name}: {counts.n_units} units, {counts.n_groups} groups" + (f", by {by}" if by else "")
        console.print(_rich_table(result, title))

    _register_subcommands(app)


def _register_subcommands(app: typer.Typer) -> None:
    """``measure spatial | null | compare`` (issue 14): ``measure`` becomes a group whose default is the table."""
    from commonground.cli.measure_more import extend

    extend(app)
