"""The one result type every mechanism returns: who got what, who was skipped and why, and what it did.

Tables (pandas) are derived on demand from the arrays, so a result stays cheap to build in hot loops
(simulations make thousands) and identical results compare equal array for array.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from commonground import __version__
from commonground.io import schema
from commonground.io.atomic import output_folder
from commonground.io.jsonable import jsonable
from commonground.model.problem import Problem
from commonground.policy.caps import LEVELS, Policy, max_count
from commonground.policy.state import limit_codes

if TYPE_CHECKING:
    from commonground.model.development import Development

ALLOCATED, SKIPPED = "allocated", "skipped"


@dataclass(frozen=True, eq=False)
class Allocation:
    """Outcome of one mechanism on one problem under one policy.

    ``flat_of[h]`` is the flat index household h got (-1: none); ``reason[h]`` says why a household was
    skipped (``""`` if housed); ``queue_position[h]`` is its 1-based place in the ballot queue (-1 where
    the mechanism has no queue). ``info`` holds mechanism extras (solver status, proven gap, …).

    Parameters
    ----------
    problem : Problem
        The problem allocated.
    policy : Policy
        The policy the mechanism applied.
    mechanism : str
        The mechanism's registered name.
    seed : int or None
        Seed of the mechanism's random draws.
    flat_of, reason, queue_position : numpy.ndarray
        Per household, as above.
    info : dict, optional
        Mechanism extras.

    Examples
    --------
    Four households, three flats; block B has one flat, so a 50 % Malay cap there allows none (strict rule):

    >>> import pandas as pd
    >>> from commonground.allocate import ballot
    >>> from commonground.model import Development, Households, Problem
    >>> from commonground.policy import Cap, Policy
    >>> dev = Development.from_frame(pd.DataFrame({"flat_id": ["a1", "a2", "b1"], "block_id": ["A", "A", "B"],
    ...                                            "neighbourhood_id": "N"}))
    >>> hh = Households.from_frame(pd.DataFrame({"household_id": ["h1", "h2", "h3", "h4"],
    ...                                          "ethnicity": ["Malay", "Malay", "Malay", "Chinese"]}))
    >>> pol = Policy(name="demo", caps=(Cap.of("ethnicity", "block", {"Malay": 0.5}),))
    >>> problem = Problem.build(dev, hh)
    >>> result = ballot(problem, pol, seed=0)
    >>> result.n_allocated, result.welfare()
    (2, 2.0)
    >>> result.skip_reasons().to_dict()
    {'block B: Malay cap 50% reached': 2}
    >>> result.counts("ethnicity").loc["A"].to_dict()
    {'Chinese': 1, 'Malay': 1}
    >>> result.cap_utilisation()[["unit_id", "count", "max_count", "binding"]].to_numpy().tolist()
    [['A', 1, 1, True], ['B', 0, 0, True]]
    >>> result.same_as(ballot(Problem.build(dev, hh), pol, seed=0))
    True
    """

    problem: Problem
    policy: Policy
    mechanism: str
    seed: int | None
    flat_of: np.ndarray
    reason: np.ndarray
    queue_position: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)

    # -- basic views -------------------------------------------------------------------------------
    @property
    def allocated(self) -> np.ndarray:
        """Boolean array: household h got a flat."""
        return self.flat_of >= 0

    @property
    def n_allocated(self) -> int:
        """Number of households housed."""
        return int(self.allocated.sum())

    @property
    def status(self) -> np.ndarray:
        """Object array of ``"allocated"`` / ``"skipped"`` per household (the ``status`` column)."""
        return np.where(self.allocated, ALLOCATED, SKIPPED).astype(object)

    def same_as(self, other: Allocation) -> bool:
        """Identical outcome (same flats, reasons and queue), e.g. for same-seed reproducibility checks.

        Parameters
        ----------
        other : Allocation
            Another result on the same households.

        Returns
        -------
        bool
            True if flats, skip reasons and queue positions are equal array for array.
        """
        return (np.array_equal(self.flat_of, other.flat_of) and np.array_equal(self.reason, other.reason)
                and np.array_equal(self.queue_position, other.queue_position))

    def household_utility(self) -> np.ndarray:
        """Each household's utility from its flat.

        Returns
        -------
        numpy.ndarray
            Float per household; NaN if unhoused.
        """
        return self.problem.assignment_utility(self.flat_of)

    # -- tables ------------------------------------------------------------------------------------
    def households_frame(self) -> pd.DataFrame:
        """One row per household: the ``allocation.csv`` table.

        Returns
        -------
        pandas.DataFrame
            household_id, flat_id, block_id, neighbourhood_id, status, reason, queue_position, utility, priority,
            waiting_days, ballot_chances (lat, lng when the flats have coordinates), then the households' group
            attributes and carried columns.
        """
        dev, hh = self.problem.development, self.problem.households
        f = self.flat_of
        got = f >= 0
        fi = np.where(got, f, 0)
        df = pd.DataFrame({
            "household_id": hh.ids,
            "flat_id": np.where(got, dev.flat_ids[fi], np.array(None, dtype=object)),
            "block_id": np.where(got, dev.block_ids[dev.flat_block[fi]], None),
            "neighbourhood_id": np.where(got, dev.neighbourhood_ids[dev.flat_neighbourhood[fi]], None),
            "status": self.status,
            "reason": self.reason,
            "queue_position": np.where(self.queue_position > 0, self.queue_position, pd.NA),
            "utility": self.household_utility(),
            "priority": hh.priority,
            "waiting_days": hh.waiting_days,
            "ballot_chances": hh.ballot_chances,
        })
        df["queue_position"] = df["queue_position"].astype("Int64")
        if dev.block_lat is not None and dev.block_lng is not None:  # where the home is, for maps
            blk = dev.flat_block[fi]
            df["lat"] = np.where(got, dev.block_lat[blk], np.nan)
            df["lng"] = np.where(got, dev.block_lng[blk], np.nan)
        # Group attributes, then the input's other columns verbatim (carried through, never grouped).
        for a, v in [*hh.attributes.items(), *hh.carried.items()]:
            if a not in df.columns:
                df[a] = v
        return df

    def counts(self, attribute: str, level: str = "block", when: str = "after") -> pd.DataFrame:
        """Households per unit (rows: block or neighbourhood ids) and value of ``attribute`` (columns).

        ``when="before"`` counts existing occupants only; ``"after"`` adds the allocated households.
        This is what :mod:`commonground.measure` takes.

        Parameters
        ----------
        attribute : str
            A household attribute or existing occupants' attribute.
        level : {"block", "neighbourhood"}, optional
            The units counted.
        when : {"after", "before"}, optional
            After the allocation, or existing occupants only.

        Returns
        -------
        pandas.DataFrame
            Integer counts, index ``<level>_id``, one column per value (sorted).

        Raises
        ------
        ValueError
            Unknown ``level`` or ``when``.
        KeyError
            Unknown ``attribute``.
        """
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
        if when not in ("before", "after"):
            raise ValueError("when must be 'before' or 'after'")
        dev, hh = self.problem.development, self.problem.households
        if attribute not in hh.attributes and attribute not in dev.occupants:
            raise KeyError(f"no attribute '{attribute}' (have: {', '.join(sorted(hh.attributes))})")
        unit_of_flat = dev.unit_of_flat(level)
        units, vals = [], []
        occ = dev.occupants.get(attribute)
        if occ is not None:
            m = dev.occupied
            units.append(unit_of_flat[m])
            vals.append(occ[m].astype(str))
        if when == "after" and attribute in hh.attributes:
            got = np.flatnonzero(self.allocated)
            units.append(unit_of_flat[self.flat_of[got]])
            vals.append(hh.attributes[attribute][got].astype(str))
        u = np.concatenate(units) if units else np.zeros(0, np.int64)
        v = np.concatenate(vals) if vals else np.zeros(0, dtype=str)
        groups = sorted(set(map(str, hh.attributes.get(attribute, []))) | set(v.tolist()))
        codes = pd.Index(groups).get_indexer(v)
        mat = np.zeros((len(dev.unit_ids(level)), len(groups)), dtype=np.int64)
        np.add.at(mat, (u, codes), 1)
        return pd.DataFrame(mat, index=pd.Index(dev.unit_ids(level), name=f"{level}_id"),
                            columns=pd.Index(groups, name=attribute))

    def composition(self) -> pd.DataFrame:
        """``composition.csv``: level, unit_id, attribute, value, count (before/after), share, cap (and lat, lng).

        Shares are of the unit's dwelling units (the cap's denominator). ``cap`` is the share limit that
        applies to the value at that level under the policy (the tightest, if several), blank if none.
        When the flats have coordinates, ``lat``/``lng`` follow: a block's position, and for a neighbourhood
        the plain mean of its blocks' positions (blank when none of its blocks has one).

        Returns
        -------
        pandas.DataFrame
            One row per level, unit, attribute and value.
        """
        dev = self.problem.development
        attrs = list(dict.fromkeys([*self.problem.households.attributes, *dev.occupants]))
        frames = []
        for level in LEVELS:
            units = dev.units_at(level)
            for a in attrs:
                before = self.counts(a, level, "before")
                after = self.counts(a, level, "after").reindex(columns=before.columns.union(
                    self.counts(a, level, "after").columns), fill_value=0)
                before = before.reindex(columns=after.columns, fill_value=0)
                caps = {v: self._cap_share(a, level, v) for v in after.columns}
                n_u, n_v = after.shape
                frames.append(pd.DataFrame({
                    "level": level,
                    "unit_id": np.repeat(after.index.to_numpy(dtype=object), n_v),
                    "units": np.repeat(units, n_v),
                    "attribute": a,
                    "value": np.tile(after.columns.to_numpy(dtype=object), n_u),
                    "count_before": before.to_numpy().ravel(),
                    "count": after.to_numpy().ravel(),
                    "share_before": (before.to_numpy() / np.maximum(units, 1)[:, None]).ravel(),
                    "share": (after.to_numpy() / np.maximum(units, 1)[:, None]).ravel(),
                    "cap": np.tile(np.array([caps[v] for v in after.columns], dtype=float), n_u),
                    **{k: np.repeat(x, n_v) for k, x in _unit_coordinates(dev, level).items()},
                }))
        cols = ["level", "unit_id", "units", "attribute", "value", "count_before", "count", "share_before", "share",
                "cap"]
        # No group attributes (none capped or named): the table is empty but keeps its columns for readers.
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)

    def _cap_share(self, attribute: str, level: str, value: str) -> float:
        shares = [lim.share for cap in self.policy.caps if cap.attribute == attribute and cap.level == level
                  for lim in cap.limits if value in lim.values]
        return min(shares) if shares else np.nan

    def cap_utilisation(self) -> pd.DataFrame:
        """Per cap limit and unit: count after allocation, the most allowed, and whether it binds (then the
        unit's lat/lng when the flats have coordinates, as in :meth:`composition`).

        Returns
        -------
        pandas.DataFrame
            attribute, level, unit_id, limit, share_limit, units, count, max_count, utilisation, binding (the
            ``caps.csv`` table); empty with these columns when the policy has no caps.
        """
        dev, hh = self.problem.development, self.problem.households
        rows = []
        for cap in self.policy.caps:
            units = dev.units_at(cap.level)
            unit_of_flat = dev.unit_of_flat(cap.level)
            mat = np.zeros((len(units), len(cap.limits)), dtype=np.int64)
            occ = dev.occupants.get(cap.attribute)
            if occ is not None:
                lc = limit_codes(cap, occ)
                m = lc >= 0
                np.add.at(mat, (unit_of_flat[m], lc[m]), 1)
            got = np.flatnonzero(self.allocated)
            lc = limit_codes(cap, hh.attributes[cap.attribute][got])
            m = lc >= 0
            np.add.at(mat, (unit_of_flat[self.flat_of[got][m]], lc[m]), 1)
            for li, lim in enumerate(cap.limits):
                mx = np.array([max_count(lim.share, n, self.policy.rule) for n in units])
                rows.append(pd.DataFrame({
                    "attribute": cap.attribute, "level": cap.level, "unit_id": dev.unit_ids(cap.level),
                    "limit": lim.label, "share_limit": lim.share, "units": units, "count": mat[:, li],
                    "max_count": mx, "utilisation": mat[:, li] / np.maximum(mx, 1),
                    "binding": mat[:, li] >= mx,
                    **_unit_coordinates(dev, cap.level),
                }))
        cols = ["attribute", "level", "unit_id", "limit", "share_limit", "units", "count", "max_count",
                "utilisation", "binding"]
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)

    def group_outcomes(self, attribute: str | None = None) -> pd.DataFrame:
        """Per attribute value: applicants, allocated, skipped, share housed, welfare total and mean.

        The one per-group outcome table (``groups.csv``, columns :data:`commonground.io.schema.GROUPS_TABLE`);
        the welfare and fairness analyses show parts of it.

        Parameters
        ----------
        attribute : str, optional
            Keep this attribute's groups only; ``None``: every group attribute.

        Returns
        -------
        pandas.DataFrame
            One row per (attribute, value).

        Raises
        ------
        KeyError
            Unknown ``attribute``.
        """
        hh = self.problem.households
        if attribute is not None and attribute not in hh.attributes:
            raise KeyError(f"no attribute '{attribute}' (have: {', '.join(sorted(hh.attributes))})")
        attrs = {attribute: hh.attributes[attribute]} if attribute is not None else hh.attributes
        util = self.household_utility()
        rows = []
        for a, v in attrs.items():
            for g in sorted(set(map(str, v))):
                m = v.astype(str) == g
                got = m & self.allocated
                rows.append({"attribute": a, "value": g, "applicants": int(m.sum()), "allocated": int(got.sum()),
                             "skipped": int((m & ~self.allocated).sum()),
                             "share_housed": float(got.sum() / max(m.sum(), 1)),
                             "welfare": float(np.nansum(util[got])),
                             "mean_utility_housed": float(np.nanmean(util[got])) if got.any() else np.nan,
                             "mean_utility_all": float(np.nansum(util[got]) / max(m.sum(), 1))})
        return pd.DataFrame(rows, columns=list(schema.GROUPS_TABLE.columns))

    def skip_reasons(self) -> pd.Series:
        """How many households were skipped for each reason, most common first.

        Returns
        -------
        pandas.Series
            Count per reason text.
        """
        r = pd.Series(self.reason[~self.allocated], dtype=object)
        return r.value_counts()

    def welfare(self) -> float:
        """Total utility of the housed households (the paper's welfare).

        Returns
        -------
        float
            Sum of :meth:`household_utility` over housed households.
        """
        return float(np.nansum(self.household_utility()))

    def summary(self) -> dict[str, Any]:
        """Headline figures, JSON-ready (``summary.json``).

        Returns
        -------
        dict
            Mechanism, policy, seed, versions, counts, welfare, skip reasons (top 20), binding caps, the
            :meth:`group_outcomes` rows, notes, how the inputs were read and the mechanism's ``info``.
        """
        dev = self.problem.development
        caps = self.cap_utilisation()
        return jsonable({
            "mechanism": self.mechanism,
            "policy": self.policy.name,
            "rule": self.policy.rule,
            "seed": self.seed,
            "code_version": __version__,
            "problem_fingerprint": self.problem.fingerprint(),
            "households": int(self.problem.n_households),
            "flats": int(dev.n_flats),
            "vacant_flats": int((~dev.occupied).sum()),
            "allocated": self.n_allocated,
            "skipped": int((~self.allocated).sum()),
            "flats_left_vacant": int((~dev.occupied).sum() - self.n_allocated),
            "welfare": self.welfare(),
            "skip_reasons": {str(k): int(v) for k, v in self.skip_reasons().head(20).items()},
            "binding_caps": int(caps["binding"].sum()) if len(caps) else 0,
            "groups": self.group_outcomes().to_dict(orient="records"),
            "notes": list(self.info.get("notes", [])),
            "inputs": self._inputs(),
            "info": self.info,
        })

    def _inputs(self) -> dict[str, Any]:
        """How the households were read: grouped attributes, carried columns, waiting-time reference date."""
        hh = self.problem.households
        return {"attributes": list(hh.attributes), "carried_columns": list(hh.carried),
                "waiting_days_reference_date": hh.reference_date}

    # -- output ------------------------------------------------------------------------------------
    def write(self, out_dir: str | Path, *, parquet: bool = True, force: bool = False,
              inputs: dict[str, Any] | None = None) -> Path:
        """Write allocation.csv, composition.csv, caps.csv, groups.csv, summary.json (and Parquet twins) and
        manifest.json as one output folder (:func:`commonground.io.atomic.output_folder`).

        The folder is built beside ``out_dir`` and swapped in whole, so a failure leaves no partial output and
        no file of an earlier run survives. ``inputs`` (file fingerprints) go into the manifest; the problem's
        own fingerprint always does.

        Parameters
        ----------
        out_dir : str or Path
            The output folder.
        parquet : bool, optional
            Also write each table as Parquet.
        force : bool, optional
            Replace a non-empty folder that is not a commonground output.
        inputs : dict, optional
            Input file fingerprints for the manifest, beside the problem's own.

        Returns
        -------
        Path
            ``out_dir``, holding the run's tables and manifest.
        """
        fingerprints = {"problem": {"sha256": self.problem.fingerprint()}, **(inputs or {})}
        with output_folder(out_dir, schema.ALLOCATION, force=force, inputs=fingerprints, seed=self.seed,
                           extra={"mechanism": self.mechanism, "policy": self.policy.name}) as w:
            for table, frame in zip(schema.ALLOCATION_TABLES, (self.households_frame(), self.composition(),
                                                               self.cap_utilisation(), self.group_outcomes()),
                                    strict=True):
                w.table(table, frame, parquet=parquet)
            w.json(schema.SUMMARY_JSON, self.summary())
        return Path(out_dir)


def _unit_coordinates(dev: Development, level: str) -> dict[str, np.ndarray]:
    """``{"lat": …, "lng": …}`` per unit of ``level`` (empty without coordinates): blocks as given, a
    neighbourhood as the unweighted mean of its blocks that have a position (NaN if none has)."""
    if dev.block_lat is None or dev.block_lng is None:
        return {}
    if level == "block":
        return {"lat": dev.block_lat, "lng": dev.block_lng}
    out = {}
    for name, x in (("lat", dev.block_lat), ("lng", dev.block_lng)):
        ok = np.isfinite(x)
        total = np.bincount(dev.block_neighbourhood[ok], weights=x[ok], minlength=dev.n_neighbourhoods)
        n = np.bincount(dev.block_neighbourhood[ok], minlength=dev.n_neighbourhoods)
        out[name] = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    return out
