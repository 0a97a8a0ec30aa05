"""Server-rendered HTML pages (Jinja2): sign in with a token, upload, run, browse results, look up a household.

The token is kept in an HttpOnly, SameSite=Strict cookie; form posts must also come from this site
(``Origin`` checked when the browser sends it). Pages carry no JavaScript: a running run's page
refreshes itself with ``<meta http-equiv="refresh">``.
"""

from __future__ import annotations

import io
import json
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import pandas as pd
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from commonground.errors import InputError
from commonground.io import schema
from commonground.policy import preset_names
from commonground.service import auth, store
from commonground.service.db import Database, Run
from commonground.service.plots import result_svg
from commonground.service.runner import OUTPUT_FILES, verify_run

COOKIE = "cg_token"
router = APIRouter(include_in_schema=False)
env = Environment(loader=PackageLoader("commonground.service", "templates"), autoescape=select_autoescape())
env.filters["thousands"] = lambda v: f"{v:,}" if isinstance(v, int | float) else v
env.filters["pct"] = lambda v: f"{float(v):.1%}" if v is not None and v == v else "–"


class LoginRequired(Exception):
    pass


def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    ctx.setdefault("user", getattr(request.state, "principal", None))
    return HTMLResponse(env.get_template(template).render(request=request, **ctx), status_code=status)


def error_page(request: Request, message: str, status: int) -> HTMLResponse:
    return render(request, "error.html", status=status, message=message, status_code=status)


def get_db(request: Request) -> Database:
    return request.app.state.db


def principal(request: Request) -> auth.Principal | None:
    p = auth.verify_token(get_db(request), request.cookies.get(COOKIE))
    request.state.principal = p
    return p


def same_origin(request: Request) -> None:
    """Refuse form posts that a browser says come from another site."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, "cross-site form post refused")


def user(request: Request) -> auth.Principal:
    p = principal(request)
    if p is None:
        raise HTTPException(303, headers={"Location": "/login"})
    return p


def admin_user(request: Request) -> auth.Principal:
    p = user(request)
    if not p.is_admin:
        raise HTTPException(403, "this page needs an admin token")
    return p


User = Annotated[auth.Principal, Depends(user)]
AdminUser = Annotated[auth.Principal, Depends(admin_user)]
Posted = Depends(same_origin)


def _see(dev_id: int, p: auth.Principal) -> None:
    if not p.can_see_development(dev_id):
        raise HTTPException(403, "this token may not see that development")


# -- sign in -------------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html", user=principal(request))


@router.post("/login", dependencies=[Posted])
def login(request: Request, token: Annotated[str, Form(max_length=300)]) -> Response:
    p = auth.verify_token(get_db(request), token)
    if p is None:
        return render(request, "login.html", status=401, error="That token is not valid.", user=None)
    resp = RedirectResponse("/" if p.is_admin else "/me", status_code=303)
    resp.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", path="/",
                    secure=request.app.state.settings.secure_cookies)
    return resp


@router.post("/logout", dependencies=[Posted])
def logout() -> Response:
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


# -- admin pages ---------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request, p: User) -> Response:
    if not p.is_admin:
        return RedirectResponse("/me", status_code=303)
    db = get_db(request)
    return render(request, "home.html", developments=store.list_developments(db), runs=store.list_runs(db, limit=20))


def _new_page(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
    settings = request.app.state.settings
    return render(request, "new_development.html", status=status, error=error,
                  towns=store.hdb_towns(settings.hdb_file))


@router.get("/developments/new", response_class=HTMLResponse)
def new_development(request: Request, _: AdminUser) -> HTMLResponse:
    return _new_page(request)


def _read(f: UploadFile | None, request: Request) -> bytes | None:
    if f is None or not f.filename:
        return None
    return f.file.read(request.app.state.settings.limits.max_upload_bytes + 1)


@router.post("/developments", dependencies=[Posted])
def upload_development(request: Request, _: AdminUser, flats: Annotated[UploadFile, File()],
                       name: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        dev = store.create_development(get_db(request), name, flats.filename, _read(flats, request) or b"",
                                       request.app.state.settings.limits)
    except InputError as e:
        return _new_page(request, 400, str(e))
    return RedirectResponse(f"/developments/{dev.id}", status_code=303)


@router.post("/developments/hdb", dependencies=[Posted])
def hdb_development(request: Request, _: AdminUser, town: Annotated[str, Form(max_length=40)],
                    name: Annotated[str, Form(max_length=200)] = "",
                    neighbourhood: Annotated[str, Form(max_length=20)] = "hundreds") -> Response:
    settings = request.app.state.settings
    try:
        dev = store.create_hdb_development(get_db(request), settings.hdb_file, town, name, neighbourhood,
                                           settings.limits)
    except InputError as e:
        return _new_page(request, 400, str(e))
    return RedirectResponse(f"/developments/{dev.id}", status_code=303)


def _development_page(request: Request, development_id: int, status: int = 200, error: str | None = None,
                      form: dict | None = None) -> HTMLResponse:
    db = get_db(request)
    dev = store.get_development(db, development_id)
    return render(request, "development.html", status=status, error=error, dev=dev,
                  applicants=store.list_applicants(db, development_id),
                  runs=store.list_runs(db, development_id), presets=preset_names(),
                  mechanisms=store.available_mechanisms(), form=form or {})


@router.get("/developments/{development_id}", response_class=HTMLResponse)
def development(request: Request, _: AdminUser, development_id: int) -> HTMLResponse:
    return _development_page(request, development_id)


@router.post("/developments/{development_id}/applicants", dependencies=[Posted])
def upload_applicants(request: Request, _: AdminUser, development_id: int,
                      households: Annotated[UploadFile, File()],
                      preferences: Annotated[UploadFile | None, File()] = None) -> Response:
    try:
        store.add_applicants(get_db(request), development_id, households.filename, _read(households, request) or b"",
                             preferences.filename if preferences else None, _read(preferences, request),
                             request.app.state.settings.limits)
    except store.NotFound:
        raise
    except InputError as e:
        return _development_page(request, development_id, 400, str(e))
    return RedirectResponse(f"/developments/{development_id}", status_code=303)


@router.post("/developments/{development_id}/runs", dependencies=[Posted])
def start_run(request: Request, p: AdminUser, development_id: int,
              applicants_id: Annotated[str, Form(max_length=20)] = "",
              mechanism: Annotated[str, Form(max_length=50)] = "ballot",
              seed: Annotated[str, Form(max_length=25)] = "0",
              policy: Annotated[list[str] | None, Form(max_length=100)] = None,
              policy_toml: Annotated[str, Form(max_length=100_000)] = "") -> Response:
    fields = {"applicants_id": applicants_id, "mechanism": mechanism, "seed": seed, "policy_toml": policy_toml,
              "policy": list(policy or [])}
    db = get_db(request)
    try:
        app_id, seed_text = applicants_id.strip(), seed.strip() or "0"
        if not app_id.isdigit() or not seed_text.isdigit() or len(app_id) > 10:
            raise InputError("choose an applicant set and a whole-number seed ≥ 0")
        run = store.create_run(db, development_id, int(app_id), presets=fields["policy"], policy_toml=policy_toml,
                               mechanism=mechanism, seed=int(seed_text), created_by=p.token_id,
                               worker=request.app.state.worker)
    except store.NotFound:
        raise
    except InputError as e:
        return _development_page(request, development_id, 400, str(e), form=fields)
    request.app.state.queue.submit(run.id)
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


# -- results -------------------------------------------------------------------------------------------
def _files_frame(files: dict[str, bytes], name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(files[name]), dtype=str) if name in files else pd.DataFrame()


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, p: User, run_id: int) -> HTMLResponse:
    from commonground.service.api import fresh_run

    db = get_db(request)
    run = fresh_run(db, run_id)
    _see(run.development_id, p)
    ctx: dict = {"run": run, "dev": store.get_development(db, run.development_id), "files": OUTPUT_FILES}
    if run.status == "done":
        files = store.run_files(db, run_id)
        summary = store.run_summary(run) or {}
        groups = _files_frame(files, "groups.csv")
        caps = _files_frame(files, "caps.csv")
        ctx.update(summary=summary, groups=groups.to_dict(orient="records"),
                   binding=_binding(caps), skip_reasons=list((summary.get("skip_reasons") or {}).items()),
                   plot=Markup(result_svg(files.get("groups.csv", b""), files.get("composition.csv", b"")))
                   if "groups.csv" in files and "composition.csv" in files else None,
                   report=True, verdict=_verdict(files, summary))
    return render(request, "run.html", **ctx)


def _verdict(files: dict[str, bytes], summary: dict) -> list:
    """The report's verdict sentences for this run (commonground.report.verdict), or none."""
    try:
        from commonground.report.verdict import verdict_from_tables
    except ImportError:
        return []
    names = ("composition", "caps", "groups", "allocation")
    return verdict_from_tables(summary, {n: _files_frame(files, f"{n}.csv") for n in names})


def _binding(caps: pd.DataFrame) -> list[dict]:
    if caps.empty:
        return []
    caps = caps.assign(binding=caps["binding"].astype(str).str.lower() == "true")
    out = (caps.groupby(["attribute", "level", "limit", "share_limit"], sort=False)
           .agg(units=("unit_id", "size"), binding=("binding", "sum")).reset_index())
    return out.to_dict(orient="records")


@router.get("/runs/{run_id}/download/{name}")
def download(request: Request, p: User, run_id: int, name: str) -> Response:
    db = get_db(request)
    run = store.get_run(db, run_id)
    _see(run.development_id, p)
    if name not in OUTPUT_FILES:
        raise HTTPException(404, f"no file {name[:40]}")
    if name == "allocation.csv" and not p.is_admin:
        raise HTTPException(403, "allocation.csv lists every household: admin only")
    media = "application/json" if name.endswith(".json") else "text/csv"
    return Response(store.run_file(db, run_id, name), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="run-{run_id}-{name}"'})


#: Rendered reports of finished runs (immutable), most recent last.
_REPORTS: OrderedDict[tuple[str, int, str], str] = OrderedDict()
_REPORTS_LOCK = threading.Lock()
_REPORTS_KEPT = 16


def report_response(db: Database, run: Run) -> HTMLResponse:
    """The HTML report of ``commonground.report.render_report`` (a plain built-in one if that module is
    missing). A finished run never changes, so its report is rendered once and kept in memory.

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
    html = None
    try:
        from commonground.report import render_report
    except ImportError:
        render_report = None
    if render_report is not None:
        with tempfile.TemporaryDirectory(prefix="cg-report-") as tmp:
            folder = Path(tmp) / f"run-{run.id}"  # the report labels the result by its folder's name
            folder.mkdir()
            for name, content in files.items():
                (folder / name).write_bytes(content)
            if schema.MANIFEST not in files:  # a run stored before outputs had manifests: these are its files
                schema.write_manifest(folder, schema.ALLOCATION, seed=run.seed)
            html = render_report(folder)
    if html is None:
        summary = json.loads(files.get("summary.json", b"{}") or b"{}")
        html = env.get_template("report_fallback.html").render(
            run=run, summary=summary, groups=_files_frame(files, "groups.csv").to_dict(orient="records"),
            plot=Markup(result_svg(files["groups.csv"], files["composition.csv"]))
            if "groups.csv" in files and "composition.csv" in files else None)
    return html


@router.get("/runs/{run_id}/report", response_class=HTMLResponse)
def report(request: Request, _: AdminUser, run_id: int) -> HTMLResponse:
    db = get_db(request)
    return report_response(db, store.get_run(db, run_id))


@router.post("/runs/{run_id}/verify", response_class=HTMLResponse, dependencies=[Posted])
def verify(request: Request, _: AdminUser, run_id: int) -> HTMLResponse:
    db = get_db(request)
    run = store.get_run(db, run_id)
    result = verify_run(db, run_id, limits=request.app.state.settings.limits)
    return render(request, "verify.html", run=run, result=result)


@router.get("/runs/{run_id}/household", response_class=HTMLResponse)
def household_lookup(request: Request, p: User, run_id: int, household_id: str = "") -> HTMLResponse:
    db = get_db(request)
    run = store.get_run(db, run_id)
    _see(run.development_id, p)
    hid = household_id.strip()[:200]
    if not p.can_see_household(run.development_id, hid):
        raise HTTPException(403, "a household token sees only its own row")
    row = store.household_outcome(db, run_id, hid)
    return render(request, "household.html", outcomes=[(run, row)], household_id=hid)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The JSON API's operations, from the OpenAPI spec (served as /openapi.json), on one page with no scripts."""
    principal(request)
    spec = request.app.openapi()
    ops = [{"method": m.upper(), "path": path, "summary": op.get("summary", ""),
            "description": (op.get("description") or "").split("\n\n")[0],
            "auth": bool(op.get("security"))}
           for path, item in spec.get("paths", {}).items() for m, op in item.items()]
    return render(request, "api_docs.html", ops=ops, version=spec.get("info", {}).get("version", ""))


@router.get("/me", response_class=HTMLResponse)
def me(request: Request, p: User) -> Response:
    if p.is_admin:
        return RedirectResponse("/", status_code=303)
    outcomes = store.household_outcomes(get_db(request), p.development_id or -1, p.household_id or "")
    return render(request, "household.html", outcomes=outcomes, household_id=p.household_id)
