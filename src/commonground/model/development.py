"""A housing development: neighbourhoods, their blocks, and the blocks' flats (some already occupied)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from commonground.errors import InputError

#: Columns of a flats table; anything named ``occupant_<attribute>`` describes an existing resident.
FLAT_COLUMNS = ("flat_id", "block_id", "neighbourhood_id")
OPTIONAL_FLAT_COLUMNS = ("flat_type", "floor", "value", "lat", "lng")
OCCUPANT_PREFIX = "occupant_"
#: Bounds on the numeric columns: a value outside is a mistake (or an overflow), reported with its line.
BOUNDS = {"floor": 1_000.0, "value": 1e12, "lat": 90.0, "lng": 180.0}


@dataclass(frozen=True, eq=False)
class Development:
    """Flats grouped into blocks grouped into neighbourhoods, held as parallel arrays.

    Flat ``i`` is in block ``flat_block[i]``; block ``b`` is in neighbourhood ``block_neighbourhood[b]``.
    ``occupants[attr][i]`` is the existing resident's value of ``attr`` (``None`` if flat ``i`` is vacant).
    ``flat_value`` is a household-independent worth of each flat (e.g. a floor premium) that breaks
    ties between flats every household otherwise values alike.
    Build one with :meth:`from_frame`.

    Parameters
    ----------
    neighbourhood_ids, block_ids, flat_ids : numpy.ndarray
        Ids of the neighbourhoods, blocks and flats.
    block_neighbourhood : numpy.ndarray
        Neighbourhood index of each block.
    flat_block : numpy.ndarray
        Block index of each flat.
    flat_type : numpy.ndarray
        Index into ``flat_type_names`` of each flat.
    flat_type_names : tuple of str
        The flat types.
    flat_floor : numpy.ndarray
        Floor of each flat.
    flat_value : numpy.ndarray
        Household-independent worth of each flat.
    occupied : numpy.ndarray
        Boolean: flat has an existing resident.
    occupants : dict of str to numpy.ndarray, optional
        Existing residents' attributes.
    block_lat, block_lng : numpy.ndarray, optional
        Block coordinates (NaN where unknown).

    Examples
    --------
    >>> import pandas as pd
    >>> dev = Development.from_frame(pd.DataFrame({"flat_id": ["a1", "a2", "b1"], "block_id": ["A", "A", "B"],
    ...                                            "neighbourhood_id": "N", "occupant_ethnicity": ["Malay", "", ""]}))
    >>> dev.n_flats, dev.n_blocks, dev.n_neighbourhoods
    (3, 2, 1)
    >>> dev.block_units.tolist(), dev.vacant.tolist()
    ([2, 1], [1, 2])
    """

    neighbourhood_ids: np.ndarray
    block_ids: np.ndarray
    block_neighbourhood: np.ndarray
    flat_ids: np.ndarray
    flat_block: np.ndarray
    flat_type: np.ndarray
    flat_type_names: tuple[str, ...]
    flat_floor: np.ndarray
    flat_value: np.ndarray
    occupied: np.ndarray
    occupants: dict[str, np.ndarray] = field(default_factory=dict)
    block_lat: np.ndarray | None = None
    block_lng: np.ndarray | None = None

    # -- sizes -------------------------------------------------------------------------------------
    @property
    def n_flats(self) -> int:
        """Number of flats, occupied or vacant."""
        return len(self.flat_ids)

    @property
    def n_blocks(self) -> int:
        """Number of blocks."""
        return len(self.block_ids)

    @property
    def n_neighbourhoods(self) -> int:
        """Number of neighbourhoods."""
        return len(self.neighbourhood_ids)

    @property
    def flat_neighbourhood(self) -> np.ndarray:
        """Neighbourhood index of each flat."""
        return self.block_neighbourhood[self.flat_block]

    @property
    def block_units(self) -> np.ndarray:
        """Dwelling units per block: every flat, occupied or vacant (the denominator of a block cap)."""
        return np.bincount(self.flat_block, minlength=self.n_blocks)

    @property
    def neighbourhood_units(self) -> np.ndarray:
        """Dwelling units per neighbourhood, the launch's new flats included."""
        return np.bincount(self.flat_neighbourhood, minlength=self.n_neighbourhoods)

    @property
    def vacant(self) -> np.ndarray:
        """Indices of the vacant flats (the ones a mechanism allocates)."""
        return np.flatnonzero(~self.occupied)

    def units_at(self, level: str) -> np.ndarray:
        """Dwelling units per unit of ``level`` (the denominator of a cap at that level).

        Parameters
        ----------
        level : {"block", "neighbourhood"}
            The level whose caps these counts are the denominators of.

        Returns
        -------
        numpy.ndarray
            Integer count per block or neighbourhood.
        """
        return self.block_units if level == "block" else self.neighbourhood_units

    def unit_ids(self, level: str) -> np.ndarray:
        """Ids of the units of ``level``, in index order.

        Parameters
        ----------
        level : {"block", "neighbourhood"}
            Which units to name.

        Returns
        -------
        numpy.ndarray
            Block or neighbourhood ids.
        """
        return self.block_ids if level == "block" else self.neighbourhood_ids

    def unit_of_flat(self, level: str) -> np.ndarray:
        """Index of each flat's unit at ``level``.

        Parameters
        ----------
        level : {"block", "neighbourhood"}
            Which units to map the flats to.

        Returns
        -------
        numpy.ndarray
            Block or neighbourhood index per flat.
        """
        return self.flat_block if level == "block" else self.flat_neighbourhood

    # -- construction ------------------------------------------------------------------------------
    @classmethod
    def from_frame(cls, flats: pd.DataFrame, *, source: str = "flats") -> Development:
        """Validate a flats table (one row per flat) and build the development.

        Required columns: flat_id, block_id, neighbourhood_id. Optional: flat_type, floor, value, lat, lng,
        and ``occupant_<attribute>`` columns (blank for a vacant flat). Errors name the CSV line.

        Parameters
        ----------
        flats : pandas.DataFrame
            One row per flat.
        source : str, optional
            Name used in error messages (usually the file's path).

        Returns
        -------
        Development
            The checked development; ids sorted, a block's coordinates the mean of its flats'.

        Raises
        ------
        InputError
            Missing column, no flats, duplicate flat, a block in two neighbourhoods, a bad number, or an
            occupied flat without a value for an occupant attribute.

        Examples
        --------
        >>> import pandas as pd
        >>> dev = Development.from_frame(pd.DataFrame({"flat_id": ["a1", "a2", "b1"], "block_id": ["A", "A", "B"],
        ...                                            "neighbourhood_id": "N",
        ...                                            "occupant_ethnicity": ["Malay", "", ""]}))
        >>> dev.occupants["ethnicity"].tolist()
        ['Malay', None, None]
        """
        df = flats.reset_index(drop=True)
        missing = [c for c in FLAT_COLUMNS if c not in df.columns]
        if missing:
            raise InputError(f"missing required column(s): {', '.join(missing)}", source=source)
        if len(df) == 0:
            raise InputError("no flats", source=source)
        ids = _clean_str(df, "flat_id", source)
        blocks = _clean_str(df, "block_id", source)
        nbhds = _clean_str(df, "neighbourhood_id", source)
        dup = pd.Series(ids).duplicated(keep="first").to_numpy()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            first = int(np.flatnonzero(ids == ids[i])[0])
            extra = ""
            if blocks[first] != blocks[i]:
                extra = f" (in block {blocks[first]} at line {first + 2} and block {blocks[i]}: a flat in two blocks)"
            raise InputError(f"duplicate flat_id '{ids[i]}'{extra}", source=source, row=i + 2, column="flat_id")
        # A block belongs to exactly one neighbourhood.
        pairs = pd.DataFrame({"b": blocks, "n": nbhds})
        per_block = pairs.groupby("b", sort=False)["n"].nunique()
        bad = per_block[per_block > 1]
        if len(bad):
            b = bad.index[0]
            rows = np.flatnonzero(blocks == b)
            ns = pd.unique(nbhds[rows])
            second = int(rows[np.flatnonzero(nbhds[rows] != nbhds[rows[0]])[0]])
            raise InputError(f"block '{b}' is in two neighbourhoods ('{ns[0]}' and '{ns[1]}')", source=source,
                             row=second + 2, column="neighbourhood_id")
        block_ids, flat_block = np.unique(blocks, return_inverse=True)
        nb_of_block = pairs.drop_duplicates("b").set_index("b")["n"].reindex(block_ids).to_numpy()
        nbhd_ids, block_nbhd = np.unique(nb_of_block.astype(str), return_inverse=True)

        if "flat_type" in df.columns:
            ft = df["flat_type"].fillna("").astype(str).str.strip().to_numpy()
        else:
            ft = np.full(len(df), "", dtype=object)
        type_names, ft_codes = np.unique(ft, return_inverse=True)
        floor = _numeric(df, "floor", source, default=0.0, integer=True).astype(np.int64)
        value = _numeric(df, "value", source, default=0.0)

        occ_cols = [c for c in df.columns if c.startswith(OCCUPANT_PREFIX) and len(c) > len(OCCUPANT_PREFIX)]
        occupants: dict[str, np.ndarray] = {}
        occupied = np.zeros(len(df), dtype=bool)
        for c in occ_cols:
            col = df[c]
            missing = col.isna().to_numpy()
            text = col.astype(str).str.strip().to_numpy(dtype=object)
            vals = np.where(missing | (text == ""), np.array(None, dtype=object), text).astype(object)
            occupants[c[len(OCCUPANT_PREFIX):]] = vals
            occupied |= vals != None  # noqa: E711 - elementwise comparison with None
        for attr, vals in occupants.items():
            gaps = occupied & (vals == None)  # noqa: E711
            if gaps.any():
                i = int(np.flatnonzero(gaps)[0])
                raise InputError(f"occupied flat has no value for '{attr}'", source=source, row=i + 2,
                                 column=OCCUPANT_PREFIX + attr)

        lat = lng = None
        if "lat" in df.columns and "lng" in df.columns:
            la = _numeric(df, "lat", source, default=np.nan)
            ln = _numeric(df, "lng", source, default=np.nan)
            lat = _block_mean(la, flat_block, len(block_ids))
            lng = _block_mean(ln, flat_block, len(block_ids))
        return cls(
            neighbourhood_ids=nbhd_ids.astype(object), block_ids=block_ids.astype(object),
            block_neighbourhood=block_nbhd.astype(np.int64), flat_ids=ids, flat_block=flat_block.astype(np.int64),
            flat_type=ft_codes.astype(np.int64), flat_type_names=tuple(str(t) for t in type_names),
            flat_floor=floor, flat_value=value, occupied=occupied, occupants=occupants,
            block_lat=lat, block_lng=lng,
        )

    def to_frame(self) -> pd.DataFrame:
        """The flats table in the same shape :meth:`from_frame` reads.

        Returns
        -------
        pandas.DataFrame
            One row per flat: flat_id, block_id, neighbourhood_id, flat_type, floor, value (lat, lng if known)
            and ``occupant_<attribute>`` columns.
        """
        df = pd.DataFrame({
            "flat_id": self.flat_ids,
            "block_id": self.block_ids[self.flat_block],
            "neighbourhood_id": self.neighbourhood_ids[self.flat_neighbourhood],
            "flat_type": np.asarray(self.flat_type_names, dtype=object)[self.flat_type],
            "floor": self.flat_floor,
            "value": self.flat_value,
        })
        if self.block_lat is not None and self.block_lng is not None:
            df["lat"] = self.block_lat[self.flat_block]
            df["lng"] = self.block_lng[self.flat_block]
        for attr, vals in self.occupants.items():
            df[OCCUPANT_PREFIX + attr] = vals
        return df


def _clean_str(df: pd.DataFrame, col: str, source: str) -> np.ndarray:
    raw = df[col]
    vals = raw.astype(str).str.strip()
    blank = raw.isna().to_numpy() | (vals == "").to_numpy()
    if blank.any():
        i = int(np.flatnonzero(blank)[0])
        raise InputError(f"empty {col}", source=source, row=i + 2, column=col)
    return vals.to_numpy(dtype=object)


def _numeric(df: pd.DataFrame, col: str, source: str, *, default: float, integer: bool = False) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), default, dtype=float)
    s = pd.to_numeric(df[col], errors="coerce")
    given = df[col].notna().to_numpy() & (df[col].astype(str).str.strip() != "").to_numpy()
    bad = given & ~np.isfinite(s.to_numpy(dtype=float))
    if integer:
        bad |= (s.notna() & (s != s.round())).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        kind = "an integer" if integer else "a finite number"
        raise InputError(f"'{df[col].iloc[i]}' is not {kind}", source=source, row=i + 2, column=col)
    limit = BOUNDS.get(col)
    if limit is not None:
        out = given & (s.abs() > limit).to_numpy()
        if out.any():
            i = int(np.flatnonzero(out)[0])
            raise InputError(f"'{df[col].iloc[i]}' is outside [-{limit:g}, {limit:g}]", source=source, row=i + 2,
                             column=col)
    return s.fillna(default).to_numpy(dtype=float)


def _block_mean(x: np.ndarray, flat_block: np.ndarray, n_blocks: int) -> np.ndarray:
    ok = ~np.isnan(x)
    s = np.bincount(flat_block[ok], weights=x[ok], minlength=n_blocks)
    n = np.bincount(flat_block[ok], minlength=n_blocks)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)
