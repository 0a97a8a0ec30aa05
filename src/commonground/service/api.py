"""The JSON API under ``/api`` (documented by the OpenAPI spec at ``/openapi.json``).

Reads of aggregate results need any valid token (a household token gets small counts suppressed); household
rows need an admin token or the household's own token (bound to its applicant round); every write needs an
admin token (``Authorization: Bearer cg_...``).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from commonground import __version__
from commonground.policy import preset_names
from commonground.service import auth, exports, sessions, store
from commonground.service.db import ApiToken
from commonground.service.deps import Admin, Caller, Config, Db
from commonground.service.inputs import clean_text
from commonground.service.runner import OUTPUT_FILES, verify_run
from commonground.service.settings import Settings
from commonground.service.views import check_file_access, file_response, fresh_run, report_response

MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
router = APIRouter(prefix="/api", tags=["api"])


def _see_development(p: auth.Principal, development_id: int) -> None:
    if not p.can_see_development(development_id):
        raise HTTPException(403, "this token may not see that development")


def _upload(f: UploadFile | None, settings: Settings) -> bytes | None:
    """Read an uploaded file, at most one byte more than the limit (the limit check then names the file)."""
    if f is None:
        return None
    return f.file.read(settings.limits.max_upload_bytes + 1)


# -- models --------------------------------------------------------------------------------------------
class Health(BaseModel):
    status: Literal["ok"]
    version: str
    database: str


class Options(BaseModel):
    policies: list[str]
    mechanisms: list[str]
    hdb_towns: dict[str, str]


class DevelopmentOut(BaseModel):
    id: int
    name: str
    source: str
    flats_filename: str
    flats_sha256: str
    n_flats: int
    n_vacant: int
    n_blocks: int
    n_neighbourhoods: int
    created_at: datetime

    model_config = {"from_attributes": True}


class HdbDevelopmentIn(BaseModel):
    town: str = Field(min_length=1, max_length=40, description="HDB town code (e.g. TAP) or name")
    name: str | None = Field(default=None, max_length=200)
    neighbourhood: Literal["hundreds", "street"] = "hundreds"


class ApplicantsOut(BaseModel):
    id: int
    development_id: int
    households_filename: str
    households_sha256: str
    preferences_filename: str | None
    preferences_sha256: str | None
    n_households: int
    n_preferences: int
    created_at: datetime

    model_config = {"from_attributes": True}


class RunIn(BaseModel):
    development_id: int = Field(ge=1, le=MAX_ID)
    applicants_id: int = Field(ge=1, le=MAX_ID)
    policy: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=20, description="Preset names; their caps apply together")
    policy_toml: str | None = Field(default=None, max_length=100_000,
                                    description="A policy as TOML text (docs/policies.md), added to the presets")
    mechanism: str = Field(default="ballot", max_length=50)
    seed: int = Field(default=0, ge=0, le=store.MAX_SEED)
    wait: bool = Field(default=False, description="Answer when the run has finished (up to the server's limit)")


class RunOut(BaseModel):
    id: int
    development_id: int
    applicants_id: int
    status: Literal["queued", "running", "done", "failed"]
    error: str | None
    policy_name: str
    policy_toml: str
    mechanism: str
    seed: int
    code_version: str
    inputs_hash: str
    problem_fingerprint: str | None
    n_households: int | None
    n_allocated: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    summary: dict | None = None


class AllocationRowOut(BaseModel):
    position: int
    household_id: str
    flat_id: str | None
    block_id: str | None
    neighbourhood_id: str | None
    status: str
    reason: str
    queue_position: int | None
    utility: float | None

    model_config = {"from_attributes": True}


class AllocationPage(BaseModel):
    run_id: int
    total: int
    offset: int
    limit: int
    rows: list[AllocationRowOut]


class Outcome(AllocationRowOut):
    run_id: int
    development_id: int
    mechanism: str
    policy_name: str
    seed: int
    inputs_hash: str
    finished_at: datetime | None


class Me(BaseModel):
    role: str
    development_id: int | None
    applicants_id: int | None
    household_id: str | None
    expires_at: datetime | None = None
    outcomes: list[Outcome]


class Verification(BaseModel):
    run_id: int
    identical: bool
    inputs_hash_matches: bool
    fingerprint_matches: bool
    households: int
    stored_rows: int
    mismatches: int
    first_mismatches: list[str]
    code_version_stored: str
    code_version_now: str


class TokenIn(BaseModel):
    development_id: int = Field(ge=1, le=MAX_ID)
    applicants_id: int | None = Field(default=None, ge=1, le=MAX_ID, description=(
        "The applicant set (round) the household belongs to; may be left out when exactly one set lists it"))
    household_id: str = Field(min_length=1, max_length=200)
    label: str = Field(default="", max_length=200)
    expires_days: float | None = Field(default=None, ge=0, le=3650, description="0: never; default 90")


class TokenOut(BaseModel):
    id: int
    role: str
    development_id: int | None
    applicants_id: int | None
    household_id: str | None
    expires_at: datetime | None
    token: str = Field(description="The secret: shown only in this response")


class BulkTokensIn(BaseModel):
    label: str = Field(default="", max_length=200)
    expires_days: float | None = Field(default=None, ge=0, le=3650, description="0: never; default 90")


class TokenInfo(BaseModel):
    id: int
    key: str
    role: str
    development_id: int | None
    applicants_id: int | None
    household_id: str | None
    label: str
    revoked: bool
    created_at: datetime
    expires_at: datetime | None

    model_config = {"from_attributes": True}


class SessionInfo(BaseModel):
    id: int
    token_id: int
    role: str
    created_at: datetime
    expires_at: datetime


def run_out(run, *, with_summary: bool = True, suppress_below: int | None = None) -> RunOut:
    """A run for the API; ``suppress_below``: blank the summary's small counts (for household tokens)."""
    summary = store.run_summary(run) if with_summary else None
    if suppress_below is not None:
        summary = exports.suppress_summary(summary, suppress_below)
    return RunOut(id=run.id, development_id=run.development_id, applicants_id=run.applicants_id,
                  status=run.status, error=run.error, policy_name=run.policy_name, policy_toml=run.policy_toml,
                  mechanism=run.mechanism, seed=run.seed, code_version=run.code_version,
                  inputs_hash=run.inputs_hash, problem_fingerprint=run.problem_fingerprint,
                  n_households=run.n_households, n_allocated=run.n_allocated, created_at=run.created_at,
                  started_at=run.started_at, finished_at=run.finished_at,
                  summary=summary)


def outcome(run, row) -> Outcome:
    return Outcome(run_id=run.id, development_id=run.development_id, mechanism=run.mechanism,
                   policy_name=run.policy_name, seed=run.seed, inputs_hash=run.inputs_hash,
                   finished_at=run.finished_at, **AllocationRowOut.model_validate(row).model_dump())


# -- open endpoints ------------------------------------------------------------------------------------
@router.get("/health", response_model=Health)
def health(db: Db) -> Health:
    return Health(status="ok", version=__version__, database=db.engine.dialect.name)


@router.get("/options", response_model=Options)
def options(settings: Config) -> Options:
    """Policy presets, mechanisms, and the real HDB towns this server can build developments from."""
    return Options(policies=preset_names(), mechanisms=store.available_mechanisms(),
                   hdb_towns=store.hdb_towns(settings.hdb_file))


# -- developments --------------------------------------------------------------------------------------
@router.post("/developments", response_model=DevelopmentOut, status_code=201)
def create_development(db: Db, settings: Config, _: Admin, flats: Annotated[UploadFile, File()],
                       name: Annotated[str | None, Form(max_length=200)] = None) -> DevelopmentOut:
    """Upload a flats CSV (flat_id, block_id, neighbourhood_id, optional flat_type, floor, value, occupant_*)."""
    row = store.create_development(db, name, flats.filename, _upload(flats, settings) or b"", settings.limits)
    return DevelopmentOut.model_validate(row)


@router.post("/developments/hdb", response_model=DevelopmentOut, status_code=201)
def create_hdb_development(db: Db, settings: Config, _: Admin, body: HdbDevelopmentIn) -> DevelopmentOut:
    """A development of one vacant flat per dwelling unit in a real HDB town (needs ``--hdb-file``)."""
    row = store.create_hdb_development(db, settings.hdb_file, body.town, body.name, body.neighbourhood,
                                       settings.limits)
    return DevelopmentOut.model_validate(row)


@router.get("/developments", response_model=list[DevelopmentOut])
def list_developments(db: Db, p: Caller) -> list[DevelopmentOut]:
    only = None if p.is_admin else (p.development_id or -1)
    return [DevelopmentOut.model_validate(d) for d in store.list_developments(db, only)]


@router.get("/developments/{development_id}", response_model=DevelopmentOut)
def get_development(db: Db, p: Caller, development_id: Id) -> DevelopmentOut:
    _see_development(p, development_id)
    return DevelopmentOut.model_validate(store.get_development(db, development_id))


@router.get("/developments/{development_id}/flats.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def development_flats(db: Db, _: Admin, development_id: Id) -> Response:
    dev = store.get_development(db, development_id, with_content=True)
    return Response(exports.formula_safe(dev.flats_content), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="development-{development_id}-flats.csv"'})


@router.post("/developments/{development_id}/applicants", response_model=ApplicantsOut, status_code=201)
def add_applicants(db: Db, settings: Config, _: Admin, development_id: Id,
                   households: Annotated[UploadFile, File()],
                   preferences: Annotated[UploadFile | None, File()] = None) -> ApplicantsOut:
    """Upload applicant households (+ optional long preferences table), checked against the development."""
    row = store.add_applicants(db, development_id, households.filename, _upload(households, settings) or b"",
                               preferences.filename if preferences else None, _upload(preferences, settings),
                               settings.limits)
    return ApplicantsOut.model_validate(row)


@router.get("/developments/{development_id}/applicants", response_model=list[ApplicantsOut])
def list_applicants(db: Db, _: Admin, development_id: Id) -> list[ApplicantsOut]:
    store.get_development(db, development_id)
    return [ApplicantsOut.model_validate(a) for a in store.list_applicants(db, development_id)]


# -- runs ----------------------------------------------------------------------------------------------
@router.post("/runs", response_model=RunOut, status_code=202,
             responses={201: {"model": RunOut, "description": "finished (with wait=true)"}})
def create_run(request: Request, response: Response, db: Db, settings: Config, p: Admin, body: RunIn) -> RunOut:
    """Queue an allocation run; with ``wait=true``, answer when it has finished (201) or the wait runs out."""
    run = store.create_run(db, body.development_id, body.applicants_id, presets=body.policy,
                           policy_toml=body.policy_toml, mechanism=body.mechanism, seed=body.seed,
                           created_by=p.token_id, worker=request.app.state.worker)
    queue = request.app.state.queue
    queue.submit(run.id)
    if body.wait:
        queue.wait(run.id, settings.wait_timeout)
        run = store.get_run(db, run.id)
        if run.status in ("done", "failed"):
            response.status_code = 201
    return run_out(run)


@router.get("/runs", response_model=list[RunOut])
def list_runs(db: Db, p: Caller, development_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[RunOut]:
    if not p.is_admin:
        if development_id is not None:
            _see_development(p, development_id)
        development_id = p.development_id
    return [run_out(r, with_summary=False) for r in store.list_runs(db, development_id, limit)]


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(db: Db, settings: Config, p: Caller, run_id: Id) -> RunOut:
    run = fresh_run(db, run_id)
    _see_development(p, run.development_id)
    return run_out(run, suppress_below=None if p.is_admin else settings.small_count_threshold)


@router.get("/runs/{run_id}/allocation", response_model=AllocationPage)
def get_allocation(db: Db, _: Admin, run_id: Id, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                   limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> AllocationPage:
    """Every household's outcome (admin only), in the order of the households upload."""
    store.get_run(db, run_id)
    total, rows = store.allocation_page(db, run_id, offset, limit)
    return AllocationPage(run_id=run_id, total=total, offset=offset, limit=limit,
                          rows=[AllocationRowOut.model_validate(r) for r in rows])


@router.get("/runs/{run_id}/households/{household_id}", response_model=Outcome)
def get_household(db: Db, p: Caller, run_id: Id,
                  household_id: Annotated[str, Path(min_length=1, max_length=200)]) -> Outcome:
    """One household's outcome and reason: admins see any, a household token only its own."""
    run = store.get_run(db, run_id)
    if not p.can_see_household(run.development_id, run.applicants_id, household_id):
        raise HTTPException(403, "a household token sees only its own row, in its own applicant round")
    return outcome(run, store.household_outcome(db, run_id, household_id))


@router.get("/runs/{run_id}/files/{name}", response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/json": {}}}})
def get_file(db: Db, settings: Config, p: Caller, run_id: Id,
             name: Literal[OUTPUT_FILES]) -> Response:  # type: ignore[valid-type]
    """A run's output file. ``allocation.csv`` (every household) and ``manifest.json`` are for admins; the
    others are aggregates
    (small counts suppressed for a household token). CSV cells that a spreadsheet would run as formulas are
    prefixed with ``'``."""
    run = store.get_run(db, run_id)
    _see_development(p, run.development_id)
    check_file_access(name, p)
    return file_response(db, run, name, p, settings)


@router.get("/runs/{run_id}/report", response_class=HTMLResponse)
def get_report(db: Db, _: Admin, run_id: Id) -> HTMLResponse:
    """The run's HTML report (self-contained)."""
    return report_response(db, store.get_run(db, run_id))


@router.post("/runs/{run_id}/verify", response_model=Verification,
             responses={429: {"description": "the server's re-run checks are all busy"}})
def verify(request: Request, db: Db, settings: Config, _: Admin, run_id: Id) -> Verification:
    """Re-run a finished run from its stored inputs, seed, policy and mechanism; is the result identical?
    At most ``verify_workers`` (default 1) checks run at once; more get 429."""
    store.get_run(db, run_id)
    slots = request.app.state.verify_slots
    if not slots.acquire(blocking=False):
        raise HTTPException(429, "a re-run check is already running on this server; try again when it has finished",
                            headers={"Retry-After": "30"})
    try:
        return Verification(**verify_run(db, run_id, limits=settings.limits))
    finally:
        slots.release()


# -- households and tokens -----------------------------------------------------------------------------
@router.get("/me", response_model=Me)
def me(db: Db, p: Caller) -> Me:
    """Who this token is; for a household token, its outcome in every finished run of its applicant round."""
    outs = [outcome(r, a) for r, a in store.household_outcomes(db, p)] if p.role == "household" else []
    return Me(role=p.role, development_id=p.development_id, applicants_id=p.applicants_id,
              household_id=p.household_id, outcomes=outs)


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_household_token(db: Db, settings: Config, _: Admin, body: TokenIn) -> TokenOut:
    """Issue a household token (shown once) bound to one household of one applicant set of a development."""
    hid = clean_text(body.household_id, "household_id")
    apps = store.household_applicant_set(db, body.development_id, hid, body.applicants_id, settings.limits)
    token_id, token = auth.create_token(db, "household", development_id=body.development_id, applicants_id=apps,
                                        household_id=hid, label=clean_text(body.label, "label"),
                                        expires_days=body.expires_days)
    with db.read() as s:
        expires_at = s.get_one(ApiToken, token_id).expires_at
    return TokenOut(id=token_id, role="household", development_id=body.development_id, applicants_id=apps,
                    household_id=hid, expires_at=expires_at, token=token)


@router.post("/developments/{development_id}/applicants/{applicants_id}/tokens", status_code=201,
             response_class=Response, responses={201: {"content": {"text/csv": {}}}})
def create_household_tokens(db: Db, settings: Config, _: Admin, development_id: Id, applicants_id: Id,
                            body: BulkTokensIn) -> Response:
    """A new token for every household of an applicant set, as a CSV (household_id, token, expires_at) for a
    mail merge. The tokens are shown only in this response."""
    ids = store.applicant_household_ids(db, development_id, applicants_id, settings.limits)
    issued = auth.create_household_tokens(db, development_id, applicants_id, ids,
                                          label=clean_text(body.label, "label"), expires_days=body.expires_days)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["household_id", "token", "expires_at"])
    for hid, token, expires_at in issued:
        w.writerow([exports.safe_cell(hid), token, expires_at.isoformat(timespec="seconds") if expires_at else ""])
    return Response(out.getvalue(), status_code=201, media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="applicants-{applicants_id}-tokens.csv"'})


@router.get("/tokens", response_model=list[TokenInfo])
def list_tokens(db: Db, _: Admin) -> list[TokenInfo]:
    """Every token (never its secret)."""
    return [TokenInfo.model_validate(t) for t in auth.list_tokens(db)]


@router.delete("/tokens/{token_id}", status_code=204, response_class=Response)
def revoke_token(db: Db, _: Admin, token_id: Id) -> Response:
    """Revoke a token at once; its browser sessions end too."""
    if not auth.revoke_token(db, token_id):
        raise store.NotFound(f"no token {token_id}")
    return Response(status_code=204)


@router.get("/sessions", response_model=list[SessionInfo])
def list_sessions(db: Db, _: Admin) -> list[SessionInfo]:
    """Browser sessions that are signed in now."""
    return [SessionInfo(id=w.id, token_id=t.id, role=t.role, created_at=w.created_at, expires_at=w.expires_at)
            for w, t in sessions.list_active(db)]


@router.delete("/sessions/{session_id}", status_code=204, response_class=Response)
def revoke_session(db: Db, _: Admin, session_id: Id) -> Response:
    """End a browser session at once."""
    if not sessions.revoke(db, session_id):
        raise store.NotFound(f"no session {session_id}")
    return Response(status_code=204)
