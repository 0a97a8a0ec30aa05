"""What the API and the pages both do: create developments, add applicants, queue runs, look up outcomes."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd
from sqlalchemy import desc, func, select
from sqlalchemy.orm import undefer

from commonground.allocate import MECHANISMS
from commonground.errors import InputError
from commonground.io import development_from_hdb, read_hdb_property_information
from commonground.io.hdb import TOWNS
from commonground.service import inputs
from commonground.service.auth import Principal
from commonground.service.db import AllocationRow, ApplicantSet, Database, Development, Run, RunFile
from commonground.service.runner import code_version, inputs_hash

MAX_SEED = 2**63 - 1


class NotFound(InputError):
    """A development, applicant set, run or household that does not exist (or the caller may not see)."""


def available_mechanisms() -> list[str]:
    """The mechanisms of ``commonground.allocate.MECHANISMS`` (the package's own modules are never treated as
    optional: a broken import must fail loudly)."""
    return list(MECHANISMS)


# -- developments --------------------------------------------------------------------------------------
def _store_development(db: Database, name: str, source: str, filename: str, content: bytes, dev) -> Development:
    row = Development(name=name, source=source[:200], flats_filename=filename, flats_content=content,
                      flats_sha256=inputs.sha256(content), n_flats=int(dev.n_flats),
                      n_vacant=int((~dev.occupied).sum()), n_blocks=int(dev.n_blocks),
                      n_neighbourhoods=int(dev.n_neighbourhoods), occupant_groups=inputs.groups_of(dev.occupants))
    with db.write() as s:
        s.add(row)
    return row


def create_development(db: Database, name: str | None, filename: str | None, content: bytes,
                       limits: inputs.Limits) -> Development:
    """Validate an uploaded flats CSV and store it as a new development."""
    fname = inputs.clean_filename(filename, "flats.csv")
    title = inputs.clean_text(name, "name", default=Path(fname).stem or "development")
    dev = inputs.parse_flats(content, fname, limits)
    if not (~dev.occupied).any():
        raise InputError("no vacant flats to allocate (every flat has an occupant)", source=fname)
    return _store_development(db, title, f"upload: {fname}", fname, content, dev)


@functools.lru_cache(maxsize=2)
def hdb_blocks(path: str) -> pd.DataFrame:
    return read_hdb_property_information(path)


def hdb_towns(hdb_file: Path | None) -> dict[str, str]:
    """Town code → name for the towns present in the configured HDB property file (empty if none)."""
    if hdb_file is None:
        return {}
    codes = set(hdb_blocks(str(hdb_file))["bldg_contract_town"].astype(str).str.upper())
    return {c: TOWNS[c] for c in sorted(codes) if c in TOWNS}


def create_hdb_development(db: Database, hdb_file: Path | None, town: str, name: str | None, neighbourhood: str,
                           limits: inputs.Limits) -> Development:
    """A development with one vacant flat per dwelling unit of a real HDB town's residential blocks."""
    if hdb_file is None:
        raise NotFound("real HDB towns are not available: the server was started without --hdb-file")
    code = (town or "").strip().upper()
    towns = hdb_towns(hdb_file)
    if code not in towns:
        by_name = {v.upper(): k for k, v in towns.items()}
        code = by_name.get(code, code)
    if code not in towns:
        raise InputError(f"unknown HDB town '{town[:40]}' (codes: {', '.join(towns)})")
    if neighbourhood not in ("hundreds", "street"):
        raise InputError("neighbourhood must be 'hundreds' or 'street'")
    dev = development_from_hdb(hdb_blocks(str(hdb_file)), town=code, neighbourhood=neighbourhood,
                               source=f"HDB property information ({code})")
    if dev.n_flats > limits.max_rows:
        raise InputError(f"town {code} has {dev.n_flats:,} flats; the limit is {limits.max_rows:,}")
    content = dev.to_frame().to_csv(index=False).encode()
    title = inputs.clean_text(name, "name", default=f"{towns[code]} (HDB)")
    return _store_development(db, title, f"hdb: {code} ({neighbourhood})", f"hdb-{code.lower()}-flats.csv",
                              content, dev)


def get_development(db: Database, development_id: int, *, with_content: bool = False) -> Development:
    with db.read() as s:
        opts = [undefer(Development.flats_content)] if with_content else []
        row = s.get(Development, development_id, options=opts)
    if row is None:
        raise NotFound(f"no development {development_id}")
    return row


def list_developments(db: Database, only: int | None = None) -> list[Development]:
    with db.read() as s:
        q = select(Development).order_by(desc(Development.id))
        if only is not None:
            q = q.where(Development.id == only)
        return list(s.scalars(q.limit(500)))


# -- applicants ----------------------------------------------------------------------------------------
def add_applicants(db: Database, development_id: int, hh_filename: str | None, hh_content: bytes,
                   prefs_filename: str | None, prefs_content: bytes | None, limits: inputs.Limits) -> ApplicantSet:
    """Validate households (+ preferences) against the development and store them as an applicant set."""
    dev_row = get_development(db, development_id, with_content=True)
    hname = inputs.clean_filename(hh_filename, "households.csv")
    hh = inputs.parse_households(hh_content, hname, limits)
    pname = None
    prefs = None
    if prefs_content is not None and prefs_content.strip():
        pname = inputs.clean_filename(prefs_filename, "preferences.csv")
        prefs = inputs.parse_preferences(prefs_content, pname, limits)
    else:
        prefs_content = None
    dev = inputs.parse_flats(dev_row.flats_content, dev_row.flats_filename, limits)
    inputs.build_problem(dev, hh, prefs, pname, limits)  # validates preferences against flats and households
    row = ApplicantSet(development_id=development_id, households_filename=hname, households_content=hh_content,
                       households_sha256=inputs.sha256(hh_content), preferences_filename=pname,
                       preferences_content=prefs_content,
                       preferences_sha256=inputs.sha256(prefs_content) if prefs_content is not None else None,
                       n_households=int(hh.n), n_preferences=0 if prefs is None else len(prefs),
                       groups=inputs.groups_of(hh.attributes))
    with db.write() as s:
        s.add(row)
    return row


def list_applicants(db: Database, development_id: int) -> list[ApplicantSet]:
    with db.read() as s:
        return list(s.scalars(select(ApplicantSet).where(ApplicantSet.development_id == development_id)
                              .order_by(desc(ApplicantSet.id))))


def applicant_household_ids(db: Database, development_id: int, applicants_id: int,
                            limits: inputs.Limits) -> list[str]:
    """The household ids of one applicant set of a development, in upload order."""
    with db.read() as s:
        app = s.get(ApplicantSet, applicants_id, options=[undefer(ApplicantSet.households_content)])
    if app is None or app.development_id != development_id:
        raise NotFound(f"development {development_id} has no applicant set {applicants_id}")
    return [str(h) for h in inputs.parse_households(app.households_content, app.households_filename, limits).ids]


def household_applicant_set(db: Database, development_id: int, household_id: str, applicants_id: int | None,
                            limits: inputs.Limits) -> int:
    """The applicant set a household token is bound to: ``applicants_id`` if it lists the household, else the
    one set of the development that does. Several sets listing the same id (rounds reuse ids) must be told
    apart by the caller: never guessed."""
    get_development(db, development_id)
    if applicants_id is not None:
        if household_id not in applicant_household_ids(db, development_id, applicants_id, limits):
            raise NotFound(f"no household '{household_id[:80]}' in applicant set {applicants_id}")
        return applicants_id
    with db.read() as s:
        apps = list(s.scalars(select(ApplicantSet).options(undefer(ApplicantSet.households_content))
                              .where(ApplicantSet.development_id == development_id).order_by(ApplicantSet.id)))
    listing = [a.id for a in apps
               if household_id in set(map(str, inputs.parse_households(a.households_content, a.households_filename,
                                                                       limits).ids))]
    if not listing:
        raise NotFound(f"no applicant household '{household_id[:80]}' in development {development_id}")
    if len(listing) > 1:
        raise InputError(f"household '{household_id[:80]}' is in applicant sets {', '.join(map(str, listing))} of "
                         f"development {development_id}: give applicants_id")
    return listing[0]


# -- runs ----------------------------------------------------------------------------------------------
def create_run(db: Database, development_id: int, applicants_id: int, *, presets: list[str] | str | None,
               policy_toml: str | None, mechanism: str, seed: int, created_by: int | None,
               worker: str | None) -> Run:
    """Check everything that can be checked up front, then store a queued run."""
    dev = get_development(db, development_id)
    with db.read() as s:
        app = s.get(ApplicantSet, applicants_id)
    if app is None or app.development_id != development_id:
        raise NotFound(f"development {development_id} has no applicant set {applicants_id}")
    mechs = available_mechanisms()
    if mechanism not in mechs:
        raise InputError(f"unknown mechanism '{str(mechanism)[:40]}' (choose from: {', '.join(mechs)})")
    if not 0 <= int(seed) <= MAX_SEED:
        raise InputError(f"seed must be between 0 and {MAX_SEED}")
    policy = inputs.resolve_policy(presets, policy_toml)
    inputs.check_policy_groups(policy, app.groups, dev.occupant_groups)
    toml_text = inputs.policy_text(policy)
    digest = inputs_hash(dev.flats_sha256, app.households_sha256, app.preferences_sha256, toml_text)
    row = Run(development_id=development_id, applicants_id=applicants_id, policy_name=policy.name,
              policy_toml=toml_text, mechanism=mechanism, seed=int(seed), code_version=code_version(),
              inputs_hash=digest, status="queued", worker=worker, created_by=created_by)
    with db.write() as s:
        s.add(row)
    return row


def get_run(db: Database, run_id: int) -> Run:
    with db.read() as s:
        row = s.get(Run, run_id)
    if row is None:
        raise NotFound(f"no run {run_id}")
    return row


def list_runs(db: Database, development_id: int | None = None, limit: int = 200) -> list[Run]:
    with db.read() as s:
        q = select(Run).order_by(desc(Run.id))
        if development_id is not None:
            q = q.where(Run.development_id == development_id)
        return list(s.scalars(q.limit(limit)))


def run_summary(run: Run) -> dict | None:
    return json.loads(run.summary_json) if run.summary_json else None


def run_file(db: Database, run_id: int, name: str) -> bytes:
    with db.read() as s:
        row = s.get(RunFile, (run_id, name))
    if row is None:
        raise NotFound(f"run {run_id} has no file {name}")
    return row.content


def run_files(db: Database, run_id: int) -> dict[str, bytes]:
    with db.read() as s:
        return {f.name: f.content for f in s.scalars(select(RunFile).where(RunFile.run_id == run_id))}


def allocation_page(db: Database, run_id: int, offset: int, limit: int) -> tuple[int, list[AllocationRow]]:
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(AllocationRow).where(AllocationRow.run_id == run_id))
        rows = list(s.scalars(select(AllocationRow).where(AllocationRow.run_id == run_id)
                              .order_by(AllocationRow.position).offset(offset).limit(limit)))
    return int(total or 0), rows


def household_outcome(db: Database, run_id: int, household_id: str) -> AllocationRow:
    with db.read() as s:
        row = s.scalars(select(AllocationRow).where(AllocationRow.run_id == run_id,
                                                    AllocationRow.household_id == household_id)).first()
    if row is None:
        raise NotFound(f"household '{household_id[:80]}' is not in run {run_id}")
    return row


def household_outcomes(db: Database, p: Principal) -> list[tuple[Run, AllocationRow]]:
    """A household token's row in every finished run of its own applicant set, newest first (none for a
    token not bound to an applicant set: issued before revision 0002, it must be re-issued)."""
    if p.role != "household" or p.applicants_id is None or p.development_id is None or not p.household_id:
        return []
    with db.read() as s:
        q = (select(Run, AllocationRow).join(AllocationRow, AllocationRow.run_id == Run.id)
             .where(Run.development_id == p.development_id, Run.applicants_id == p.applicants_id,
                    Run.status == "done", AllocationRow.household_id == p.household_id)
             .order_by(desc(Run.id)).limit(100))
        return [(r, a) for r, a in s.execute(q)]
