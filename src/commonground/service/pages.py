"""Server-rendered HTML pages (Jinja2): sign in with a token, upload, run, browse results, look up a household,
manage tokens and sessions.

Signing in starts a server-side session (:mod:`commonground.service.sessions`): the HttpOnly, SameSite=Strict
cookie holds only the session's random secret. Form posts must also come from this site (``Origin`` checked
when the browser sends it; ``null`` refused). Pages carry no JavaScript: a running run's page refreshes itself
with ``<meta http-equiv="refresh">``.
"""

from __future__ import annotations

import io
import re
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, File, Form, HTTPException, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from commonground.errors import InputError
from commonground.policy import preset_names
from commonground.report.verdict import verdict_chart_from_tables, verdict_from_tables
from commonground.service import auth, exports, sessions, store
from commonground.service.deps import AdminUser, Posted, User, check_token, get_db, page_principal
from commonground.service.plots import result_svg
from commonground.service.runner import OUTPUT_FILES, verify_run
from commonground.service.views import (
    ADMIN_ONLY_FILES,
    check_file_access,
    file_response,
    fresh_run,
    render,
    report_response,
)

router = APIRouter(include_in_schema=False)
MAX_ID = 2**31 - 1
#: A database id in a page URL: 1 … 2^31 − 1 (anything else is a one-line 400, never a database error).
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
_DIGITS = re.compile(r"[0-9]{1,19}")


def _see(dev_id: int, p: auth.Principal) -> None:
    if not p.can_see_development(dev_id):
        raise HTTPException(403, "this token may not see that development")


# -- sign in -------------------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html", user=page_principal(request))


@router.post("/login", dependencies=[Posted])
def login(request: Request, token: Annotated[str, Form(max_length=300)]) -> Response:
    p = check_token(request, token)
    if p is None:
        return render(request, "login.html", status=401, error="That token is not valid.", user=None)
    settings = request.app.state.settings
    resp = RedirectResponse("/" if p.is_admin else "/me", status_code=303)
    resp.set_cookie(sessions.COOKIE, sessions.start(get_db(request), p, settings.session_hours), httponly=True,
                    samesite="strict", path="/", secure=settings.secure_cookies,
                    max_age=int(settings.session_hours * 3600))
    return resp


@router.post("/logout", dependencies=[Posted])
def logout(request: Request) -> Response:
    sessions.end(get_db(request), request.cookies.get(sessions.COOKIE))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(sessions.COOKIE, path="/")
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
def development(request: Request, _: AdminUser, development_id: Id) -> HTMLResponse:
    return _development_page(request, development_id)


@router.post("/developments/{development_id}/applicants", dependencies=[Posted])
def upload_applicants(request: Request, _: AdminUser, development_id: Id,
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
def start_run(request: Request, p: AdminUser, development_id: Id,
              applicants_id: Annotated[str, Form(max_length=20)] = "",
              mechanism: Annotated[str, Form(max_length=50)] = "ballot",
              seed: Annotated[str, Form(max_length=25)] = "0",
              policy: Annotated[list[str] | None, Form(max_length=100)] = None,
              policy_toml: Annotated[str, Form(max_length=100_000)] = "") -> Response:
    fields: dict[str, str | list[str]] = {"applicants_id": applicants_id, "mechanism": mechanism, "seed": seed,
                                          "policy_toml": policy_toml, "policy": list(policy or [])}
    db = get_db(request)
    try:
        app_id, seed_text = applicants_id.strip(), seed.strip() or "0"
        # ASCII digits only: str.isdigit() also accepts '²' (which int() refuses) and '١' (which it reads as 1).
        if not _DIGITS.fullmatch(app_id) or not 1 <= int(app_id) <= MAX_ID:
            raise InputError("choose an applicant set")
        if not _DIGITS.fullmatch(seed_text) or int(seed_text) > store.MAX_SEED:
            raise InputError(f"the seed must be a whole number from 0 to {store.MAX_SEED} (digits 0-9)")
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
    """A stored output table, all text, blank cells as NaN."""
    return pd.read_csv(io.BytesIO(files[name]), dtype=str) if name in files else pd.DataFrame()


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, p: User, run_id: Id) -> HTMLResponse:
    db = get_db(request)
    run = fresh_run(db, run_id)
    _see(run.development_id, p)
    k = request.app.state.settings.small_count_threshold
    ctx: dict = {"run": run, "dev": store.get_development(db, run.development_id), "files": OUTPUT_FILES, "k": k,
                 "admin_only": ADMIN_ONLY_FILES}
    if run.status == "done":
        files = store.run_files(db, run_id)
        if not p.is_admin:  # aggregates a household sees: small counts suppressed
            files = {n: exports.suppress_csv(n, c, k) for n, c in files.items()}
        summary = store.run_summary(run) or {}
        if not p.is_admin:
            summary = exports.suppress_summary(summary, k) or {}
        groups = _files_frame(files, "groups.csv")
        caps = _files_frame(files, "caps.csv")
        reasons = list((summary.get("skip_reasons") or {}).items())
        ctx.update(summary=summary, groups=groups.to_dict(orient="records"),
                   binding=_binding(caps), skip_reasons=reasons,
                   plot=Markup(result_svg(files.get("groups.csv", b""), files.get("composition.csv", b"")))
                   if "groups.csv" in files and "composition.csv" in files else None,
                   report=True, verdict=_verdict(files, summary) if p.is_admin else [],
                   verdict_chart=_verdict_chart(files, summary) if p.is_admin else None)
    return render(request, "run.html", **ctx)


def _verdict(files: dict[str, bytes], summary: dict) -> list:
    """The report's verdict sentences for this run (commonground.report.verdict). Admins only: the sentences
    are built from the unsuppressed tables and allocation.csv, and can name small counts."""
    names = ("composition", "caps", "groups", "allocation")
    return verdict_from_tables(summary, {n: _files_frame(files, f"{n}.csv") for n in names})


def _verdict_chart(files: dict[str, bytes], summary: dict) -> Markup | None:
    """The verdict's small indices chart (inline SVG, no script), admins only as the sentences are."""
    names = ("composition", "caps", "groups", "allocation")
    return verdict_chart_from_tables(summary, {n: _files_frame(files, f"{n}.csv") for n in names})


def _binding(caps: pd.DataFrame) -> list[dict]:
    if caps.empty:
        return []
    caps = caps.assign(binding=caps["binding"].astype(str).str.lower() == "true")
    out = (caps.groupby(["attribute", "level", "limit", "share_limit"], sort=False)
           .agg(units=("unit_id", "size"), binding=("binding", "sum")).reset_index())
    return out.to_dict(orient="records")


@router.get("/runs/{run_id}/download/{name}")
def download(request: Request, p: User, run_id: Id, name: str) -> Response:
    db = get_db(request)
    run = store.get_run(db, run_id)
    _see(run.development_id, p)
    if name not in OUTPUT_FILES:
        raise HTTPException(404, f"no file {name[:40]}")
    check_file_access(name, p)
    return file_response(db, run, name, p, request.app.state.settings)


@router.get("/runs/{run_id}/report", response_class=HTMLResponse)
def report(request: Request, _: AdminUser, run_id: Id) -> HTMLResponse:
    db = get_db(request)
    return report_response(db, store.get_run(db, run_id))


@router.post("/runs/{run_id}/verify", response_class=HTMLResponse, dependencies=[Posted])
def verify(request: Request, _: AdminUser, run_id: Id) -> HTMLResponse:
    db = get_db(request)
    run = store.get_run(db, run_id)
    slots = request.app.state.verify_slots
    if not slots.acquire(blocking=False):
        raise HTTPException(429, "a re-run check is already running on this server; try again when it has finished",
                            headers={"Retry-After": "30"})
    try:
        result = verify_run(db, run_id, limits=request.app.state.settings.limits)
    finally:
        slots.release()
    return render(request, "verify.html", run=run, result=result)


@router.post("/runs/{run_id}/household", response_class=HTMLResponse, dependencies=[Posted])
def household_lookup(request: Request, p: User, run_id: Id,
                     household_id: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    """A POST, so the household id is not in the URL (nor in access logs, history or referrers)."""
    db = get_db(request)
    run = store.get_run(db, run_id)
    _see(run.development_id, p)
    hid = household_id.strip()[:200]
    if not p.can_see_household(run.development_id, run.applicants_id, hid):
        raise HTTPException(403, "a household token sees only its own row, in its own applicant round")
    row = store.household_outcome(db, run_id, hid)
    return render(request, "household.html", outcomes=[(run, row)], household_id=hid)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The JSON API's operations, from the OpenAPI spec (served as /openapi.json), on one page with no scripts."""
    page_principal(request)
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
    outcomes = store.household_outcomes(get_db(request), p)
    return render(request, "household.html", outcomes=outcomes, household_id=p.household_id,
                  unbound=p.applicants_id is None)


# -- tokens and sessions ---------------------------------------------------------------------------------
@router.get("/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, _: AdminUser) -> HTMLResponse:
    db = get_db(request)
    return render(request, "tokens.html", tokens=auth.list_tokens(db), sessions=sessions.list_active(db))


@router.post("/tokens/{token_id}/revoke", dependencies=[Posted])
def revoke_token(request: Request, _: AdminUser, token_id: Id) -> Response:
    if not auth.revoke_token(get_db(request), token_id):
        raise store.NotFound(f"no token {token_id}")
    return RedirectResponse("/tokens", status_code=303)


@router.post("/sessions/{session_id}/revoke", dependencies=[Posted])
def revoke_session(request: Request, _: AdminUser, session_id: Id) -> Response:
    if not sessions.revoke(get_db(request), session_id):
        raise store.NotFound(f"no session {session_id}")
    return RedirectResponse("/tokens", status_code=303)
