#!/usr/bin/env bash
# Build the wheel and sdist, check them (twine), install the wheel alone (no extras) into a fresh venv and run
# `commonground --version` and `commonground demo` there: the plain install must work on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" -m build --sdist --wheel --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
"$PY" -m twine check --strict "$work"/dist/*
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$work"/dist/commonground-*.whl >"$work/pip.log" 2>&1 \
  || { cat "$work/pip.log"; exit 1; }
"$work/venv/bin/commonground" --version
(cd "$work" && "$work/venv/bin/commonground" demo --out demo >"$work/demo.log" 2>&1) || { cat "$work/demo.log"; exit 1; }
test -s "$work/demo/with-caps/summary.json" && test -s "$work/demo/demo.json"
grep -q "needs the \[report\] extra" "$work/demo.log"
echo "dist check: wheel and sdist pass twine check; the plain wheel runs commonground demo"
