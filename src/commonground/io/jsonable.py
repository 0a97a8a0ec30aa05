"""JSON in and out: results (NumPy scalars and arrays, nested dicts) as plain JSON values (NaN and ±inf become
null), and a JSON object read back with a one-line error."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from commonground.errors import InputError


def jsonable(x: Any) -> Any:
    """A copy of ``x`` that ``json.dumps`` writes as standard JSON (no NaN tokens)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON file holding one object (a summary); malformed JSON or another value is one-line
    :class:`~commonground.errors.InputError` naming the file (and the line)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON ({e.msg})", source=str(path), row=e.lineno) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", source=str(path))
    return data
