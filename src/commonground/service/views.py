"""What the API and the pages both show: templates, error pages, a run (with a dead holder's run failed
first), its files as downloads (formula-safe; small counts suppressed for household tokens), and its report.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from commonground.errors import InputError
from commonground.io import schema
from commonground.report import render_report
from commonground.service import exports, lease, store
from commonground.service.auth import Principal
from commonground.service.db import Database, Run
from commonground.service.settings import Settings

env = Environment(loader=PackageLoader("commonground.service", "templates"), autoescape=select_autoescape())
env.filters["thousands"] = lambda v: f"{v:,}" if isinstance(v, int | float) else v
env.filters["pct"] = lambda v: f"{float(v):.1%}" if v not in (None, "") and float(v) == float(v) else "–"


def inline_code(text: str) -> Markup:
    """Docstring text with ``code`` spans as <code> (everything else escaped)."""
    parts = re.split(r"``(.+?)``", str(escape(text)))
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def count_cell(v, k: int) -> str:
    """A count for a table: blank (suppressed) as ``<k``, else with thousands separators."""
    if v is None or v == "" or v != v:  # blank, or NaN when read back from a CSV
        return f"<{k}"
    return f"{int(float(v)):,}"


env.filters["inline_code"] = inline_code
env.filters["count"] = count_cell


def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    ctx.setdefault("user", getattr(request.state, "principal", None))
    return HTMLResponse(env.get_template(template).render(request=request, **ctx), status_code=status)


def error_page(request: Request, message: str, status: int) -> HTMLResponse:
    return render(request, "error.html", status=status, message=message, status_code=status)


def fresh_run(db: Database, run_id: int) -> Run:
    """The run, with a run whose holder is gone marked failed first."""
    run = store.get_run(db, run_id)
    if run.status in ("queued", "running") and lease.reap_orphans(db, [run_id], statuses=("running",)):
        run = store.get_run(db, run_id)
    return run


#: Files only an admin may download: every household's row, and the manifest (its SHA-256s of the unsuppressed
#: tables would let a household test guesses of the counts blanked for it).
ADMIN_ONLY_FILES = ("allocation.csv", schema.MANIFEST)


def check_file_access(name: str, p: Principal) -> None:
    if name in ADMIN_ONLY_FILES and not p.is_admin:
        raise HTTPException(403, f"{name} is for admins: it lists every household, or the unsuppressed files' "
                                 "hashes")


def file_response(db: Database, run: Run, name: str, p: Principal, settings: Settings) -> Response:
    """A run's output file as a download: CSVs formula-safe, and aggregates with small counts suppressed for
    anyone but an admin."""
    content = store.run_file(db, run.id, name)
    headers = {"Content-Disposition": f'attachment; filename="run-{run.id}-{name}"'}
    if name.endswith(".json"):
        if not p.is_admin and name == "summary.json":
            content = exports.suppress_summary_json(content, settings.small_count_threshold)
            headers["X-Commonground-Note"] = exports.SUPPRESSED_NOTE.format(k=settings.small_count_threshold - 1)
        return Response(content, media_type="application/json", headers=headers)
    if not p.is_admin and name in exports.SUPPRESS:
        content = exports.suppress_csv(name, content, settings.small_count_threshold)
        headers["X-Commonground-Note"] = exports.SUPPRESSED_NOTE.format(k=settings.small_count_threshold - 1)
    return Response(exports.formula_safe(content), media_type="text/csv", headers=headers)


#: Rendered reports of finished runs (immutable), most recent last.
_REPORTS: OrderedDict[tuple[str, int, str], str] = OrderedDict()
_REPORTS_LOCK = threading.Lock()
_REPORTS_KEPT = 16


def report_response(db: Database, run: Run) -> HTMLResponse:
    """The HTML report of ``commonground.report.render_report``. A finished run never changes, so its report
    is rendered once and kept in memory.

    The report may carry its own inline scripts and styles, so it is served in a sandbox (a CSP that
    gives it an opaque origin: it cannot read this site's cookies or call the API).
    """
    if run.status != "done":
        raise InputError(f"run {run.id} is {run.status}: no report yet")
    key = (db.url, run.id, str(run.finished_at))
    with _REPORTS_LOCK:
        html = _REPORTS.get(key)
    if html is None:
        html = _render_report(db, run)
        with _REPORTS_LOCK:
            _REPORTS[key] = html
            while len(_REPORTS) > _REPORTS_KEPT:
                _REPORTS.popitem(last=False)
    csp = ("sandbox allow-scripts; default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
           "img-src data:")
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})


def _render_report(db: Database, run: Run) -> str:
    files = store.run_files(db, run.id)
    with tempfile.TemporaryDirectory(prefix="cg-report-") as tmp:
        folder = Path(tmp) / f"run-{run.id}"  # the report labels the result by its folder's name
        folder.mkdir()
        for name, content in files.items():
            (folder / name).write_bytes(content)
        if schema.MANIFEST not in files:  # a run stored before outputs had manifests: these are its files
            schema.write_manifest(folder, schema.ALLOCATION, seed=run.seed)
        return render_report(folder)
