"""Uploaded inputs → validated model objects, with size and row limits.

Everything goes through the package's own readers and validators (``read_table``,
``Development.from_frame``, ``Households.from_frame``, ``Problem.build``, ``load_policy`` /
``policy_from_toml``), so a bad upload gets the same one-line ``InputError`` the CLI prints, naming the
uploaded file, line and column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from commonground.errors import CommongroundError, InputError, PolicyError
from commonground.io import read_table
from commonground.model import Development, Households, Problem
from commonground.model.development import FLAT_COLUMNS
from commonground.policy import Policy, combine, load_policy, policy_from_toml, policy_to_toml, preset_names

MB = 1024 * 1024
#: Longest id (household, flat, block, neighbourhood) accepted.
MAX_ID_LENGTH = 200
MAX_POLICY_TOML = 100_000


@dataclass(frozen=True)
class Limits:
    """Upload limits: bytes per file, data rows and columns per file, and households × blocks of a problem
    (its utility matrix is dense)."""

    max_upload_bytes: int = 20 * MB
    max_rows: int = 200_000
    max_columns: int = 200
    max_problem_cells: int = 30_000_000


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def clean_filename(name: str | None, default: str) -> str:
    """The last path component of an uploaded file's name, printable characters only."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()[:120]
    return base or default


def clean_text(value: str | None, what: str, *, max_length: int = 200, default: str = "") -> str:
    """A short free-text field (a name, a label): printable, at most ``max_length`` characters."""
    text = (value or "").strip()
    if any(not ch.isprintable() for ch in text):
        raise InputError(f"{what} must be printable text")
    if len(text) > max_length:
        raise InputError(f"{what} is longer than {max_length} characters")
    return text or default


def check_upload(content: bytes, filename: str, limits: Limits) -> None:
    """Reject a file that is too big, has too many rows, or is not text, before parsing it."""
    if len(content) > limits.max_upload_bytes:
        raise InputError(f"file is larger than the limit of {limits.max_upload_bytes:,} bytes", source=filename)
    if not content.strip():
        raise InputError("empty file", source=filename)
    if b"\x00" in content:
        raise InputError("file contains NUL bytes (upload a UTF-8 CSV file)", source=filename)
    lines = content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
    if lines - 1 > limits.max_rows:
        raise InputError(f"file has {lines - 1:,} rows; the limit is {limits.max_rows:,}", source=filename)


@contextmanager
def _as_upload(filename: str) -> Iterator[None]:
    """Re-label errors with the uploaded file's name; turn anything unexpected into a one-line InputError."""
    try:
        yield
    except PolicyError:
        raise
    except InputError as e:
        raise InputError(e.problem, source=filename if e.source is None or e.source.startswith(tempfile.gettempdir())
                         else e.source, row=e.row, column=e.column) from None
    except CommongroundError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, UnicodeError) as e:
        first = (str(e).splitlines() or [type(e).__name__])[0][:300]
        raise InputError(f"could not read the file: {first}", source=filename) from None


def check_shape(content: bytes, filename: str, limits: Limits) -> None:
    """Reject a header with too many columns, or a field longer than the csv module reads (131,072
    characters), with the line it is on, before pandas sees the file."""
    reader = csv.reader(io.StringIO(content.decode("utf-8", errors="replace"), newline=""))
    try:
        header = next(reader, [])
        if len(header) > limits.max_columns:
            raise InputError(f"file has {len(header):,} columns; the limit is {limits.max_columns:,}", source=filename)
        for _ in reader:
            pass
    except csv.Error as e:
        raise InputError(f"a field is longer than {csv.field_size_limit():,} characters, or the file is not CSV "
                         f"({str(e)[:80]})", source=filename, row=reader.line_num) from None


def read_csv_bytes(content: bytes, filename: str, limits: Limits, *, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """Parse an uploaded CSV with ``commonground.io.read_table`` (all text, ids verbatim, line-numbered errors)."""
    check_upload(content, filename, limits)
    if content.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark, as spreadsheet programs write
        content = content[3:]
    check_shape(content, filename, limits)
    with tempfile.TemporaryDirectory(prefix="cg-upload-") as tmp, _as_upload(filename):
        path = Path(tmp) / "upload.csv"
        path.write_bytes(content)
        df = read_table(path, required=required)
    if len(df) > limits.max_rows:
        raise InputError(f"file has {len(df):,} rows; the limit is {limits.max_rows:,}", source=filename)
    return df


def _check_ids(values, what: str, filename: str, column: str) -> None:
    for i, v in enumerate(values):
        if v is not None and len(str(v)) > MAX_ID_LENGTH:
            raise InputError(f"{what} is longer than {MAX_ID_LENGTH} characters", source=filename, row=i + 2,
                             column=column)


def parse_flats(content: bytes, filename: str, limits: Limits) -> Development:
    df = read_csv_bytes(content, filename, limits, required=FLAT_COLUMNS)
    with _as_upload(filename):
        dev = Development.from_frame(df, source=filename)
    _check_ids(dev.flat_ids, "flat_id", filename, "flat_id")
    _check_ids(df["block_id"], "block_id", filename, "block_id")
    _check_ids(df["neighbourhood_id"], "neighbourhood_id", filename, "neighbourhood_id")
    return dev


def parse_households(content: bytes, filename: str, limits: Limits) -> Households:
    df = read_csv_bytes(content, filename, limits, required=("household_id",))
    with _as_upload(filename):
        hh = Households.from_frame(df, source=filename)
    _check_ids(hh.ids, "household_id", filename, "household_id")
    return hh


def parse_preferences(content: bytes, filename: str, limits: Limits) -> pd.DataFrame:
    return read_csv_bytes(content, filename, limits, required=("household_id",))


def build_problem(dev: Development, hh: Households, prefs: pd.DataFrame | None, prefs_filename: str | None,
                  limits: Limits) -> Problem:
    cells = hh.n * max(dev.n_blocks, 1)
    if cells > limits.max_problem_cells:
        raise InputError(f"{hh.n:,} households × {dev.n_blocks:,} blocks is more than the "
                         f"{limits.max_problem_cells:,} this server accepts")
    source = prefs_filename or "preferences"
    with _as_upload(source):
        return Problem.build(dev, hh, prefs, source=source)


def groups_of(values: dict) -> str:
    """JSON ``{attribute: [distinct values]}`` (what a policy's groups are checked against)."""
    return json.dumps({str(a): sorted({str(x) for x in v if x is not None}) for a, v in values.items()},
                      sort_keys=True)


# -- policies ------------------------------------------------------------------------------------------
def resolve_policy(presets: list[str] | str | None, toml_text: str | None) -> Policy:
    """A policy from preset names (only shipped presets: never a path on the server) and/or TOML text."""
    names = presets.split(",") if isinstance(presets, str) else list(presets or [])
    names = [n.strip() for n in names if n and n.strip()]
    known = preset_names()
    parts: list[Policy] = []
    for n in names:
        if n not in known:
            raise PolicyError(f"unknown policy preset '{n[:80]}' (choose from: {', '.join(known)})")
        parts.append(load_policy(n))
    if toml_text and toml_text.strip():
        if len(toml_text) > MAX_POLICY_TOML:
            raise PolicyError(f"policy TOML is longer than {MAX_POLICY_TOML:,} characters")
        if "\x00" in toml_text:
            raise PolicyError("policy TOML contains NUL characters")
        try:
            parts.append(policy_from_toml(toml_text, source="policy.toml"))
        except PolicyError:
            raise
        except RecursionError:
            raise PolicyError("policy TOML is nested too deeply", source="policy.toml") from None
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise PolicyError(f"invalid policy: {str(e)[:200]}", source="policy.toml") from None
    if not parts:
        return load_policy("none")
    return parts[0] if len(parts) == 1 else combine(parts)


def policy_text(policy: Policy) -> str:
    return policy_to_toml(policy)


def check_policy_groups(policy: Policy, household_groups: str, occupant_groups: str) -> None:
    """Raise PolicyError if the policy names attributes or groups the stored inputs don't have."""
    known: dict[str, set[str]] = {}
    for blob in (household_groups, occupant_groups):
        for a, vals in json.loads(blob).items():
            known.setdefault(a, set()).update(vals)
    policy.validate_groups(known)
