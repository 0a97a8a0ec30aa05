"""``commonground measure spatial | null | compare``: spatial indices, inference and change, from the shell.

``commonground measure FILE ...`` (the aspatial table, :mod:`commonground.cli.measure`) stays as it is: the
``measure`` group runs it when its first argument is not one of these subcommand names.

* ``measure spatial FILE --groups ... --index centralization,delta,... [--geometry SHP | --x/--y/--area]
  [--edges CSV]`` -- the spatially explicit and neighbour-based indices;
* ``measure null FILE --groups ... --index D --null systematic --reps 199`` -- an index against random
  allocation (aspatial or spatial indices);
* ``measure compare A B`` -- two count tables (indices, difference, optional decomposition and test), two
  allocation output folders (caps vs baseline, or before vs after) or two simulation output folders (year 0
  vs year 10).

Tidy output (``--tidy``) has the columns ``unit, by, index, group, value``: ``unit`` names what the rows
measured are (the unit column, or the allocation level), ``by`` the region. Bad input exits 2 with one line
and writes nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from commonground.cli.choices import MEASURE_NULLS as NULLS
from commonground.cli.choices import MEASURE_TEST_NULLS as TEST_NULLS
from commonground.cli.common import console, guarded
from commonground.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from typer import _click  # annotation only: the click typer vendors and types with (no plain `click`)

    from commonground.io import schema
    from commonground.measure import Counts


class _Lazy:
    """A module imported on first use, so registering these commands imports no NumPy, pandas or measure stack
    (``commonground --help`` stays fast; cli/__init__.py)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


def _lazy_function(module: str, name: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    return call


if not TYPE_CHECKING:
    np = _Lazy("numpy")
    pd = _Lazy("pandas")
    schema = _Lazy("commonground.io.schema")
bd = _Lazy("commonground.measure.boundary")
ex = _Lazy("commonground.measure.explicit")
pr = _Lazy("commonground.measure.profiles")
_measure = _Lazy("commonground.measure")
check_target = _lazy_function("commonground.io.atomic", "check_target")
output_folder = _lazy_function("commonground.io.atomic", "output_folder")
input_fingerprints = _lazy_function("commonground.io.schema", "input_fingerprints")
read_table = _lazy_function("commonground.io.tables", "read_table")
resolve = _lazy_function("commonground.measure", "resolve")
decompose_difference = _lazy_function("commonground.measure.compare", "decompose_difference")
one_region = _lazy_function("commonground.measure.compare", "one_region")
two_sample_test = _lazy_function("commonground.measure.compare", "two_sample_test")
randomization_null = _lazy_function("commonground.measure.inference", "randomization_null")
mutual_difference = _lazy_function("commonground.measure.mutual", "mutual_difference")
spatial_dissimilarity = _lazy_function("commonground.measure.spatial", "spatial_dissimilarity")

DEFAULT_SUBCOMMAND = "table"
TIDY_COLUMNS = ["unit", "by", "index", "group", "value"]


class DefaultGroup(TyperGroup):
    """A group that runs ``table`` when the first argument is not a subcommand (``measure FILE ...``)."""

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [DEFAULT_SUBCOMMAND, *args]
        return super().parse_args(ctx, args)


# -- geometry for spatial indices --------------------------------------------------------------------------------
@dataclass
class Geometry:
    coords: np.ndarray | None = None
    areas: np.ndarray | None = None
    perimeters: np.ndarray | None = None
    edges: pd.DataFrame | None = None
    source: str = ""

    def need(self, what: str, index: str) -> Any:
        value = getattr(self, what)
        if value is None:
            how = {"coords": "--geometry FILE or --x/--y columns", "areas": "--geometry FILE or --area COLUMN",
                   "perimeters": "--geometry FILE", "edges": "--edges FILE (or --geometry FILE)"}[what]
            raise InputError(f"{index} needs unit {what}: give {how}")
        return value


#: spatial index name -> (function of (Counts, Geometry), description)
SPATIAL: dict[str, tuple[Callable[[Counts, Geometry], pd.DataFrame | pd.Series], str]] = {
    "absolute_centralization": (lambda c, g: ex.absolute_centralization(
        c, g.need("coords", "absolute_centralization"), g.need("areas", "absolute_centralization")), "ACE"),
    "relative_centralization": (lambda c, g: ex.relative_centralization(
        c, g.need("coords", "relative_centralization")), "RCE"),
    "absolute_concentration": (lambda c, g: ex.absolute_concentration(c, g.need("areas", "absolute_concentration")),
                               "ACO"),
    "relative_concentration": (lambda c, g: ex.relative_concentration(c, g.need("areas", "relative_concentration")),
                               "RCO"),
    "delta": (lambda c, g: ex.delta(c, g.need("areas", "delta")), "DEL"),
    "absolute_clustering": (lambda c, g: ex.absolute_clustering(
        c, g.need("coords", "absolute_clustering"), g.need("areas", "absolute_clustering")), "ACL"),
    "relative_clustering": (lambda c, g: ex.relative_clustering(
        c, g.need("coords", "relative_clustering"), g.need("areas", "relative_clustering")), "RCL"),
    "spatial_dissimilarity": (lambda c, g: spatial_dissimilarity(
        c, g.need("edges", "spatial_dissimilarity").iloc[:, :2]), "SD"),
    "boundary_dissimilarity": (lambda c, g: bd.boundary_dissimilarity(c, g.need("edges", "boundary_dissimilarity")),
                               "BSD"),
    "par_dissimilarity": (lambda c, g: bd.par_dissimilarity(
        c, g.need("edges", "par_dissimilarity"), g.need("perimeters", "par_dissimilarity"),
        g.need("areas", "par_dissimilarity")), "PARD"),
    "spatial_proximity_profile": (lambda c, g: bd.spatial_proximity_profile(
        c, g.need("edges", "spatial_proximity_profile")), "SPP"),
    "global_distortion": (lambda c, g: pr.global_distortion(c, g.need("coords", "global_distortion")), "GD"),
}
SPATIAL_DEFAULT = ("absolute_centralization", "relative_centralization", "absolute_concentration",
                   "relative_concentration", "delta")


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _geometry(frame: pd.DataFrame, unit: str | None, geometry: Path | None, geometry_id: str | None,
              x: str | None, y: str | None, area: str | None, edges: Path | None) -> Geometry:
    g = Geometry()
    ids = frame[unit].astype(str).to_numpy() if unit else np.arange(len(frame)).astype(str)
    if geometry is not None:
        from commonground.measure import geo

        gpd = geo._gpd()
        if not geometry.exists():
            raise FileNotFoundError(2, "no such file", str(geometry))
        try:
            gdf = gpd.read_file(geometry)
        except Exception as e:  # noqa: BLE001 - any reader failure is bad input
            raise InputError(f"cannot read the geometry ({str(e).splitlines()[0]})", source=str(geometry)) from None
        key = geometry_id or unit
        if key is None or key not in gdf.columns:
            raise InputError(f"the geometry needs the unit id column '{key}' (give --geometry-id)",
                             source=str(geometry), column=key)
        gdf = gdf.set_index(gdf[key].astype(str))
        missing = [i for i in ids if i not in gdf.index]
        if missing:
            raise InputError(f"unit {missing[0]!r} has no polygon", source=str(geometry), column=key)
        gdf = gdf.loc[ids]
        if gdf.crs is not None and gdf.crs.is_geographic:
            gdf = gdf.to_crs(gdf.estimate_utm_crs())
            console.print(f"note: {geometry.name} is in a geographic CRS; projected to {gdf.crs.to_string()} for "
                          "distances and areas", highlight=False)
        ug = geo.unit_geometry(gdf)
        g.coords, g.areas, g.perimeters = ug.coords, ug.areas, ug.perimeters
        g.edges = geo.shared_boundaries(gdf.reset_index(drop=True).assign(_id=ids), unit="_id")
        g.source = str(geometry)
    if x or y:
        if not (x and y):
            raise InputError("give both --x and --y")
        for col in (x, y):
            if col not in frame.columns:
                raise InputError(f"no column '{col}'", column=col)
        g.coords = frame[[x, y]].to_numpy(dtype=np.float64)
    if area:
        if area not in frame.columns:
            raise InputError(f"no column '{area}'", column=area)
        g.areas = frame[area].to_numpy(dtype=np.float64)
    if edges is not None:
        cols = list(read_table(edges, text=[]).columns)
        if len(cols) < 2:
            raise InputError("the edge list needs two columns: unit id and neighbour id", source=str(edges))
        edge_table = read_table(edges, text=cols[:2])  # ids as text, like the unit column
        parts = {"unit": edge_table.iloc[:, 0].astype(str), "neighbour": edge_table.iloc[:, 1].astype(str)}
        if len(cols) >= 3:
            parts["weight"] = pd.to_numeric(edge_table.iloc[:, 2], errors="coerce")
            if parts["weight"].isna().any():
                row = int(np.flatnonzero(parts["weight"].isna().to_numpy())[0]) + 1
                raise InputError("weight is not a number", source=str(edges), row=row, column=cols[2])
        g.edges = pd.DataFrame(parts)
    return g


def _tidy(result: pd.DataFrame | pd.Series, name: str, unit: str, by: str) -> pd.DataFrame:
    if isinstance(result, pd.Series):
        return pd.DataFrame({"unit": unit, "by": result.index.astype(str), "index": name, "group": "",
                             "value": result.to_numpy(dtype=float)})
    long = result.stack().rename("value").reset_index()
    return pd.DataFrame({"unit": unit, "by": long.iloc[:, 0].astype(str), "index": name,
                         "group": long.iloc[:, 1].astype(str), "value": long["value"].to_numpy(dtype=float)})


def _emit(table: pd.DataFrame, out: Path | None, title: str, kind: schema.Table, force: bool,
          inputs: dict[str, Any]) -> None:
    if out is not None:
        with output_folder(out, schema.MEASURE, force=force, inputs=input_fingerprints(**inputs)) as w:
            w.table(kind, table, parquet=True)
        console.print(f"wrote {len(table)} rows x {table.shape[1]} columns to {out}/{kind.csv} "
                      f"(+ Parquet, {schema.MANIFEST})", highlight=False)
        return
    console.print(f"[bold]{title}[/]")
    console.print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"), highlight=False)


def _check_out(out: Path | None, force: bool) -> None:
    if out is not None:
        if out.suffix.lower() in (".csv", ".tsv", ".txt", ".parquet", ".pq", ".json", ".xlsx"):
            raise InputError(f"--out names a folder (tables and {schema.MANIFEST} are written inside it), not a "
                             f"'{out.suffix}' file", source=str(out))
        check_target(out, force=force)


def _counts(file: Path, groups: str, unit: str | None, by: str | None, total: str | None) -> tuple[
        pd.DataFrame, Counts]:
    group_list = _split([groups])
    if not group_list:
        raise InputError("--groups names no columns")
    frame = read_table(file, text=[c for c in (unit, by) if c])
    return frame, _measure.Counts.from_frame(frame, group_list, total=total, by=by, unit=unit, source=str(file))


def _index_function(name: str, g: Geometry) -> tuple[str, Callable[[Counts], Any]]:
    key = name.strip().lower().replace("-", "_")
    if key in SPATIAL:
        f = SPATIAL[key][0]

        def bound(c: Counts) -> Any:
            return f(c, g)

        bound.__name__ = key
        return key, bound
    spec = resolve(name)
    return spec.name, spec.func


# -- comparing two results -------------------------------------------------------------------------------------
def _kind(path: Path) -> str:
    if path.is_dir():
        if (path / "results.parquet").exists():
            return "simulation"
        if (path / "composition.csv").exists() or (path / "composition.parquet").exists():
            return "allocation"
        raise InputError("a folder must be an allocation output (composition.csv) or a simulation output "
                         "(results.parquet)", source=str(path))
    if not path.exists():
        raise FileNotFoundError(2, "no such file", str(path))
    return "table"


def _allocation_counts(folder: Path, attribute: str | None, level: str, when: str) -> tuple[Counts, str]:
    comp = pd.read_parquet(folder / "composition.parquet") if (folder / "composition.parquet").exists() else \
        pd.read_csv(folder / "composition.csv", dtype={"unit_id": str, "value": str})
    need = {"level", "unit_id", "attribute", "value", "count", "count_before"}
    if not need <= set(comp.columns):
        raise InputError(f"composition table lacks columns {sorted(need - set(comp.columns))}",
                         source=str(folder / "composition.csv"))
    attrs = list(dict.fromkeys(comp["attribute"]))
    attribute = attribute or (attrs[0] if attrs else None)
    if attribute is None or attribute not in attrs:  # None only when there are no attributes
        raise InputError(f"unknown attribute '{attribute}' (have: {', '.join(map(str, attrs))})",
                         source=str(folder / "composition.csv"))
    levels = list(dict.fromkeys(comp["level"]))
    if level not in levels:
        raise InputError(f"unknown level '{level}' (have: {', '.join(map(str, levels))})",
                         source=str(folder / "composition.csv"))
    sub = comp[(comp["attribute"] == attribute) & (comp["level"] == level)]
    wide = sub.pivot_table(index="unit_id", columns="value", values="count" if when == "after" else "count_before",
                           aggfunc="sum", fill_value=0)
    return _measure.Counts(wide.to_numpy(dtype=float), [str(v) for v in wide.columns], units=wide.index.to_numpy(),
                  source=str(folder)), attribute


def _compare_simulations(a: Path, b: Path, year_a: int, year_b: int) -> pd.DataFrame:
    ra, rb = pd.read_parquet(a / "results.parquet"), pd.read_parquet(b / "results.parquet")
    keys = ["scenario", "policy", "metric"]
    for path, r, year in ((a, ra, year_a), (b, rb, year_b)):
        missing = {"scenario", "policy", "replicate", "year", "metric", "value"} - set(r.columns)
        if missing:
            raise InputError(f"results lack columns {sorted(missing)}", source=str(path / "results.parquet"))
        if year not in set(r["year"]):
            raise InputError(f"no year {year} (have {r['year'].min()}..{r['year'].max()})",
                             source=str(path / "results.parquet"))
    xa = ra[ra["year"] == year_a].set_index([*keys, "replicate"])["value"].rename("a")
    xb = rb[rb["year"] == year_b].set_index([*keys, "replicate"])["value"].rename("b")
    both = pd.concat([xa, xb], axis=1).dropna()
    if both.empty:
        raise InputError("the two simulations share no scenario, policy, metric and replicate")
    both["difference"] = both["b"] - both["a"]
    g = both.groupby(level=keys)
    out = pd.DataFrame({"a": g["a"].mean(), "b": g["b"].mean(), "difference": g["difference"].mean(),
                        "sd": g["difference"].std(ddof=1), "n": g["difference"].size()})
    half = 1.96 * out["sd"] / np.sqrt(out["n"])
    out["ci95_low"], out["ci95_high"] = out["difference"] - half, out["difference"] + half
    return out.reset_index()


def _compare_counts(ca: Counts, cb: Counts, names: list[str], decompose: bool, test: str | None, reps: int,
                    seed: int | None, unit: str, zero_fill: float = 0.0) -> pd.DataFrame:
    groups = [g for g in ca.groups if g in cb.groups]
    if not groups:
        raise InputError("the two tables have no group in common")
    ca, cb = ca.select(groups) if ca.groups != tuple(groups) else ca, cb.select(groups) if cb.groups != tuple(
        groups) else cb
    rows = []
    for n in names:
        spec = resolve(n)
        va, vb = spec.func(ca), spec.func(cb)
        labels = list(groups) if spec.family == "single" else [""]
        a_vals = np.atleast_1d(va.to_numpy()[0]) if spec.family == "single" else np.atleast_1d(va.iloc[0])
        b_vals = np.atleast_1d(vb.to_numpy()[0]) if spec.family == "single" else np.atleast_1d(vb.iloc[0])
        part = pd.DataFrame({"unit": unit, "index": spec.name, "group": labels, "a": a_vals, "b": b_vals})
        part["difference"] = part["b"] - part["a"]
        if decompose and spec.family == "single":
            d = decompose_difference(cb, ca, spec.name)  # b relative to a: diff = b - a
            part["spatial"] = d.loc[labels, "spatial"].to_numpy()
            part["composition"] = d.loc[labels, "composition"].to_numpy()
        if test:
            t = two_sample_test(cb, ca, spec.name, null=test, reps=reps, seed=seed)
            part["p_value"] = t.p_value.to_numpy()
        rows.append(part)
    table = pd.concat(rows, ignore_index=True)
    if decompose and ca.n_groups >= 2:  # units matched by id; units in only one table are additions/removals
        xa = pd.DataFrame(ca.x, index=ca.units).reindex(ca.units.union(cb.units), fill_value=0)
        xb = pd.DataFrame(cb.x, index=cb.units).reindex(ca.units.union(cb.units), fill_value=0)
        m = mutual_difference(xa.to_numpy(), xb.to_numpy(), zero_fill=zero_fill)
        extra = pd.DataFrame({"unit": unit, "index": "mutual_information", "group": "", "a": [m["M1"]],
                              "b": [m["M2"]], "difference": [m["diff"]], "group_marginal": [m["group_marginal"]],
                              "unit_marginal": [m["unit_marginal"]], "structural": [m["structural"]],
                              "additions_removals": [m["additions_removals"]]})
        table = pd.concat([table[table["index"] != "mutual_information"], extra], ignore_index=True)
    return table


def extend(app: typer.Typer) -> None:
    """Turn ``measure`` into a group: ``table`` (the existing command, the default), ``spatial``, ``null``,
    ``compare``."""
    group = typer.Typer(cls=DefaultGroup, no_args_is_help=True, help="Integration indices: aspatial table "
                        "(default), spatial indices, inference, and comparison of two results.")
    for info in list(app.registered_commands):
        if info.name == "measure":
            app.registered_commands.remove(info)
            info.name = DEFAULT_SUBCOMMAND
            group.registered_commands.append(info)

    @group.command("spatial")
    @guarded
    def spatial_command(
        file: Path = typer.Argument(..., help="CSV or Parquet table: one row per areal unit."),
        groups: str = typer.Option(..., "--groups", "-g", help="Count columns, comma-separated."),
        unit: str | None = typer.Option(None, "--unit", "-u", help="Unit id column (matches the geometry)."),
        by: str | None = typer.Option(None, "--by", "-b", help="Region column: one result per region."),
        total: str | None = typer.Option(None, "--total", "-t", help="Unit total column."),
        index: list[str] | None = typer.Option(None, "--index", "-i", help=f"Spatial indices ({', '.join(SPATIAL)})"
                                               "; default: centralization, concentration, Delta."),
        geometry: Path | None = typer.Option(None, "--geometry", help="Polygons (shapefile, GeoPackage) with the unit "
                                             "ids; needs the [geo] extra."),
        geometry_id: str | None = typer.Option(None, "--geometry-id", help="Unit id column in the geometry."),
        x: str | None = typer.Option(None, "--x", help="Centroid x column (projected)."),
        y: str | None = typer.Option(None, "--y", help="Centroid y column (projected)."),
        area: str | None = typer.Option(None, "--area", help="Unit area column."),
        edges: Path | None = typer.Option(None, "--edges", help="Neighbour list CSV: unit, neighbour[, weight]."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Output folder: spatial.csv (+ Parquet, manifest)."),
        force: bool = typer.Option(False, "--force", help="Replace OUT even if it is not a commonground output"),
    ) -> None:
        """Spatial segregation indices (centralization, concentration, clustering, boundary D, ...)."""
        _check_out(out, force)
        names = _split(index) or list(SPATIAL_DEFAULT)
        for n in names:
            if n.strip().lower() not in SPATIAL:
                raise InputError(f"unknown spatial index '{n}' (have: {', '.join(SPATIAL)})")
        frame, counts = _counts(file, groups, unit, by, total)
        g = _geometry(frame, unit, geometry, geometry_id, x, y, area, edges)
        table = pd.concat([_tidy(SPATIAL[n.strip().lower()][0](counts, g), n.strip().lower(), unit or "row",
                                 by or "all") for n in names], ignore_index=True)
        table["by"] = table["by"] if by else "all"
        _emit(table[TIDY_COLUMNS], out, f"{file.name}: {counts.n_units} units, spatial indices",
              schema.SPATIAL_TABLE, force, {"counts": file, "geometry": geometry, "edges": edges})

    @group.command("null")
    @guarded
    def null_command(
        file: Path = typer.Argument(..., help="CSV or Parquet table: one row per areal unit."),
        groups: str = typer.Option(..., "--groups", "-g", help="Count columns, comma-separated."),
        unit: str | None = typer.Option(None, "--unit", "-u", help="Unit id column."),
        by: str | None = typer.Option(None, "--by", "-b", help="Region column."),
        total: str | None = typer.Option(None, "--total", "-t", help="Unit total column."),
        index: str = typer.Option("dissimilarity", "--index", "-i", help="One index (aspatial or spatial)."),
        null: str = typer.Option("permutation", "--null", help=f"Null model: {', '.join(NULLS)}."),
        reps: int = typer.Option(199, "--reps", help="Random draws."),
        seed: int | None = typer.Option(None, "--seed", help="Random seed (reproducible draws)."),
        geometry: Path | None = typer.Option(None, "--geometry", help="Polygons, for a spatial index."),
        geometry_id: str | None = typer.Option(None, "--geometry-id", help="Unit id column in the geometry."),
        x: str | None = typer.Option(None, "--x", help="Centroid x column."),
        y: str | None = typer.Option(None, "--y", help="Centroid y column."),
        area: str | None = typer.Option(None, "--area", help="Unit area column."),
        edges: Path | None = typer.Option(None, "--edges", help="Neighbour list CSV."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Output folder: null.csv (+ Parquet, manifest)."),
        force: bool = typer.Option(False, "--force", help="Replace OUT even if it is not a commonground output"),
    ) -> None:
        """An index against its distribution under random allocation: expected value, p-value, adjusted."""
        _check_out(out, force)
        if null not in NULLS:
            raise InputError(f"--null must be one of {', '.join(NULLS)}, got '{null}'")
        frame, counts = _counts(file, groups, unit, by, total)
        g = _geometry(frame, unit, geometry, geometry_id, x, y, area, edges)
        _, func = _index_function(index, g)
        result = randomization_null(counts, func if index.strip().lower() in SPATIAL else index, reps=reps,
                                    null=null, seed=seed)
        table = result.summary().reset_index()
        _emit(table, out, f"{file.name}: {result.index} under the {null} null, {reps} draws", schema.NULL_TABLE,
              force, {"counts": file, "geometry": geometry, "edges": edges})

    @group.command("compare")
    @guarded
    def compare_command(
        a: Path = typer.Argument(..., help="First result: a count table, an allocation folder or a simulation folder."),
        b: Path = typer.Argument(..., help="Second result, of the same kind."),
        groups: str | None = typer.Option(None, "--groups", "-g", help="Count columns (tables)."),
        unit: str | None = typer.Option(None, "--unit", "-u", help="Unit id column (tables)."),
        total: str | None = typer.Option(None, "--total", "-t", help="Unit total column (tables)."),
        by: str | None = typer.Option(None, "--by", "-b", help="Region column (tables) -- with --region."),
        region: str | None = typer.Option(None, "--region", help="Compare this region of both tables."),
        index: list[str] | None = typer.Option(None, "--index", "-i", help="Indices (default D, H, M)."),
        decompose: bool = typer.Option(False, "--decompose", help="Split each difference: spatial/composition "
                                       "(single-group) and marginal/structural (M)."),
        zero_fill: float = typer.Option(0.0, "--zero-fill", min=0.0, help="--decompose of M: count put in zero cells "
                                        "when a table's zeros admit no table with the other's margins (R "
                                        "segregation uses 1e-10); 0 = refuse such tables."),
        test: str | None = typer.Option(None, "--test", help=f"Two-sample test null: {', '.join(TEST_NULLS)}."),
        reps: int = typer.Option(199, "--reps", help="Draws for --test."),
        seed: int | None = typer.Option(None, "--seed", help="Random seed for --test."),
        attribute: str | None = typer.Option(None, "--attribute", help="Allocation: the attribute to measure."),
        level: str = typer.Option("block", "--level", help="Allocation: block or neighbourhood."),
        when_a: str = typer.Option("after", "--when-a", help="Allocation A: after or before (existing residents)."),
        when_b: str = typer.Option("after", "--when-b", help="Allocation B: after or before."),
        year_a: int = typer.Option(0, "--year-a", help="Simulation A: year."),
        year_b: int | None = typer.Option(None, "--year-b", help="Simulation B: year (default: its last)."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Output folder: comparison.csv (+ Parquet, "
                                        "manifest)."),
        force: bool = typer.Option(False, "--force", help="Replace OUT even if it is not a commonground output"),
    ) -> None:
        """Has segregation changed between A and B, and why? (difference = B - A)"""
        _check_out(out, force)
        kind_a, kind_b = _kind(a), _kind(b)
        if kind_a != kind_b:
            raise InputError(f"cannot compare a {kind_a} with a {kind_b}")
        if test is not None and test not in TEST_NULLS:
            raise InputError(f"--test must be one of {', '.join(TEST_NULLS)}, got '{test}'")
        if zero_fill and not decompose:
            raise InputError("--zero-fill applies with --decompose only (it fills zero cells for M's "
                             "decomposition)")
        names = _split(index) or ["dissimilarity", "theil_h", "mutual_information"]
        for n in names:
            resolve(n)
        if kind_a == "simulation":
            if year_b is None:
                year_b = int(pd.read_parquet(b / "results.parquet", columns=["year"])["year"].max())
            table = _compare_simulations(a, b, year_a, year_b)
            _emit(table, out, f"simulation {a.name} year {year_a} vs {b.name} year {year_b} (difference = B - A)",
                  schema.COMPARE_TABLE, force, {})
            return
        if kind_a == "allocation":
            for w in (when_a, when_b):
                if w not in ("after", "before"):
                    raise InputError(f"--when must be 'after' or 'before', got '{w}'")
            ca, attr = _allocation_counts(a, attribute, level, when_a)
            cb, _ = _allocation_counts(b, attr, level, when_b)
            table = _compare_counts(ca, cb, names, decompose, test, reps, seed, level, zero_fill)
            _emit(table, out, f"{attr} by {level}: {a.name} ({when_a}) vs {b.name} ({when_b}), difference = B - A",
                  schema.COMPARE_TABLE, force, {})
            return
        if not groups:
            raise InputError("--groups is needed to compare two tables")
        _, ca = _counts(a, groups, unit, by, total)
        _, cb = _counts(b, groups, unit, by, total)
        if region is not None:
            ca, cb = one_region(ca, region), one_region(cb, region)
        elif ca.n_regions != 1 or cb.n_regions != 1:
            raise InputError("--by splits the tables into regions: choose one with --region")
        table = _compare_counts(ca, cb, names, decompose, test, reps, seed, unit or "row", zero_fill)
        _emit(table, out, f"{a.name} vs {b.name} (difference = B - A)", schema.COMPARE_TABLE, force,
              {"a": a, "b": b})

    app.add_typer(group, name="measure")
