"""The findings of the security and reliability review of ``commonground serve`` (issue 15), each as a test
that failed before the fix. Against SQLite and the real PostgreSQL server (the ``db_url`` fixture) where the
database matters."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import socket
import stat
import threading
import warnings
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from commonground.service import Settings, auth, create_app, store
from commonground.service.db import ApiToken, Database, Run, utcnow
from commonground.service.inputs import Limits
from commonground.service.runner import execute_run

from .conftest import TINY_FLATS, TINY_HOUSEHOLDS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


# -- helpers -------------------------------------------------------------------------------------------
def make_app(db_url, **kw):
    return create_app(Settings(db_url=db_url, **{"failed_auth_delay": 0.01, **kw}))


def client(app, host="198.51.100.1", token=None, **kw) -> TestClient:
    c = TestClient(app, client=(host, 40000), raise_server_exceptions=False, **kw)
    if token:
        c.headers["Authorization"] = f"Bearer {token}"
    return c


def stored_round(db, dev_id, households: str, *, seed=0, run=True):
    """An applicant set (+ a finished ballot run on it); returns (applicants_id, run_id)."""
    apps = store.add_applicants(db, dev_id, "hh.csv", households.encode(), None, None, Limits())
    if not run:
        return apps.id, None
    r = store.create_run(db, dev_id, apps.id, presets=None, policy_toml=None, mechanism="ballot", seed=seed,
                         created_by=None, worker=None)
    assert execute_run(db, r.id) == "done"
    return apps.id, r.id


@pytest.fixture
def site(db_url):
    """An app on a fresh database with an admin token and the tiny development; closed afterwards."""
    app = make_app(db_url)
    _, admin = auth.create_token(app.state.db, "admin", label="tests")
    dev = store.create_development(app.state.db, "tiny", "flats.csv", TINY_FLATS.encode(), Limits())
    yield app, admin, dev.id
    app.state.queue.shutdown()
    app.state.db.dispose()


# == Medium 1: one household can slow the server for everyone ==========================================
def test_tokens_are_checked_with_a_fast_hash_not_scrypt(site, monkeypatch):
    """A 256-bit random secret needs no slow hash: SHA-256 of it is stored and checked (the review measured
    50–100 ms of scrypt per wrong secret)."""
    app, _, _ = site
    db = app.state.db
    _, token = auth.create_token(db, "admin")
    key, secret = token[3:].split("_", 1)
    with db.read() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.key == key)).one()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: pytest.fail("scrypt was called"))
    assert auth.verify_token(db, token).is_admin
    assert auth.verify_token(db, token[:-2] + "xx") is None


def test_failed_authentications_are_rate_limited_per_client(site):
    app, admin, _ = site
    key = admin[3:].split("_", 1)[0]
    owner = client(app, "198.51.100.2", admin)
    assert owner.get("/api/runs").status_code == 200
    attacker = client(app, "203.0.113.7")
    codes = [attacker.get("/api/runs", headers={"Authorization": f"Bearer cg_{key}_{'x' * 43}"}).status_code
             for _ in range(30)]
    assert codes[0] == 401 and codes[-1] == 429, codes
    limited = attacker.get("/api/runs", headers={"Authorization": "Bearer cg_000000000000_nope"})
    assert limited.status_code == 429 and "try again" in limited.json()["detail"]
    assert int(limited.headers["retry-after"]) > 0
    # The owner of the attacked key, at an address it has used before, is not locked out.
    assert owner.get("/api/runs").status_code == 200


def test_failed_authentications_are_rate_limited_per_key(site):
    """Wrong secrets for one key, each from a different address: the key's own budget runs out."""
    app, admin, dev_id = site
    hid, token = auth.create_token(app.state.db, "household", development_id=dev_id, household_id="h1",
                                   applicants_id=stored_round(app.state.db, dev_id, TINY_HOUSEHOLDS, run=False)[0])
    key = token[3:].split("_", 1)[0]
    codes = [client(app, f"192.0.2.{i}").get("/api/me", headers={"Authorization": f"Bearer cg_{key}_{'y' * 43}"}
                                               ).status_code for i in range(1, 30)]
    assert codes[0] == 401 and codes[-1] == 429, codes
    assert client(app, "198.51.100.8", token=token).get("/api/me").status_code == 429  # even the right secret, ...
    assert client(app, "198.51.100.9", admin).get("/api/runs").status_code == 200  # but other keys still work


# == Medium 2: a household shown someone else's result ==================================================
def test_household_token_is_bound_to_its_applicant_set_across_rounds(site):
    app, admin, dev_id = site
    db = app.state.db
    first, run1 = stored_round(db, dev_id, TINY_HOUSEHOLDS, seed=1)
    # A second round reuses the ids h1..h7 for other households.
    second, run2 = stored_round(db, dev_id, TINY_HOUSEHOLDS.replace("Chinese", "Others"), seed=2)
    api = client(app, token=admin)
    ambiguous = api.post("/api/tokens", json={"development_id": dev_id, "household_id": "h3"})
    assert ambiguous.status_code == 400
    assert ambiguous.json()["detail"] == (f"household 'h3' is in applicant sets {first}, {second} of development "
                                          f"{dev_id}: give applicants_id")
    r = api.post("/api/tokens", json={"development_id": dev_id, "applicants_id": first, "household_id": "h3"})
    assert r.status_code == 201, r.text
    assert r.json()["applicants_id"] == first
    h3 = client(app, token=r.json()["token"])
    assert h3.get(f"/api/runs/{run1}/households/h3").status_code == 200
    assert h3.get(f"/api/runs/{run2}/households/h3").status_code == 403  # the other round's H3
    assert [o["run_id"] for o in h3.get("/api/me").json()["outcomes"]] == [run1]
    # ... and the page.
    pages = client(app, follow_redirects=False)
    assert pages.post("/login", data={"token": r.json()["token"]}).status_code == 303
    me = pages.get("/me").text
    assert f"Run #{run1}" in me and f"Run #{run2}" not in me
    assert pages.post(f"/runs/{run2}/household", data={"household_id": "h3"}).status_code == 403


# == Medium 3: runs stuck "running" after a crash ==========================================================
def test_runs_of_a_dead_server_are_failed_at_start_up(db_url):
    """In a container the restarted server is process 1 again: a run its previous life left 'running' (same
    host, same pid) must be failed at start-up; so must one from another host whose lease ran out. A run
    held by a live server elsewhere (fresh heartbeat) is left alone."""
    from commonground.service import lease

    db = Database(db_url)
    from commonground.service.migrate import upgrade

    upgrade(db.engine)
    dev = store.create_development(db, "tiny", "flats.csv", TINY_FLATS.encode(), Limits())
    apps = store.add_applicants(db, dev.id, "hh.csv", TINY_HOUSEHOLDS.encode(), None, None, Limits())

    def running(worker):
        r = store.create_run(db, dev.id, apps.id, presets=None, policy_toml=None, mechanism="ballot", seed=0,
                             created_by=None, worker=None)
        with db.write() as s:
            s.execute(update(Run).where(Run.id == r.id).values(status="running", worker=worker))
        return r.id

    previous_life = running(f"{socket.gethostname()}:{os.getpid()}")  # what the old code wrote: host:pid
    lease.register(db, "elsewhere:4242:aaaaaaaaaaaa")
    lease.register(db, "elsewhere:4243:bbbbbbbbbbbb")
    expired = running("elsewhere:4242:aaaaaaaaaaaa")
    alive = running("elsewhere:4243:bbbbbbbbbbbb")
    lease.beat(db, "elsewhere:4242:aaaaaaaaaaaa", at=utcnow() - timedelta(seconds=lease.LEASE_SECONDS + 5))
    app = make_app(db_url)
    try:
        assert store.get_run(db, previous_life).status == "failed"
        assert store.get_run(db, expired).status == "failed"
        assert store.get_run(db, alive).status == "running"
        page = client(app, token=auth.create_token(db, "admin")[1]).get(f"/api/runs/{previous_life}").json()
        assert page["status"] == "failed" and page["error"].startswith("interrupted")
    finally:
        app.state.queue.shutdown()
        app.state.db.dispose()
        db.dispose()


# == Medium 4: 500 instead of a one-line 400 ==============================================================
def test_bad_inputs_are_one_line_client_errors(site):
    app, admin, dev_id = site
    apps, _ = stored_round(app.state.db, dev_id, TINY_HOUSEHOLDS, run=False)
    api = client(app, token=admin)
    big = b"flat_id,block_id,neighbourhood_id\n1,A," + b"N" * 140_000 + b"\n"
    r = api.post("/api/developments", files={"flats": ("big.csv", big)})
    assert r.status_code == 400 and r.json()["detail"].startswith("big.csv, row 2: a field is longer than"), r.text
    nested = "a = " + "[" * 600 + "]" * 600 + "\n"
    r = api.post("/api/runs", json={"development_id": dev_id, "applicants_id": apps, "policy_toml": nested})
    assert r.status_code == 400 and "nested" in r.json()["detail"], r.text
    r = api.post("/api/runs", content=b'{"development_id": %d, "applicants_id": %d, "seed": 1e400}' % (dev_id, apps),
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "seed" in r.text, r.text
    pages = client(app, follow_redirects=False)
    pages.post("/login", data={"token": admin})
    for path in ("/runs/99999999999999999999", "/runs/2147483648", "/developments/99999999999999999999",
                 "/runs/-1/report"):
        r = pages.get(path)
        assert r.status_code in (400, 404), (path, r.status_code)
        assert 'id="error"' in r.text
    for form in ({"applicants_id": "3000000000", "seed": "1"}, {"applicants_id": str(apps), "seed": "²"},
                 {"applicants_id": str(apps), "seed": "١"}, {"applicants_id": str(apps), "seed": str(2**64)}):
        r = pages.post(f"/developments/{dev_id}/runs", data=form)
        assert r.status_code == 400, (form, r.status_code)
        assert "the seed must be a whole number from 0" in r.text or "choose an applicant set" in r.text


def test_column_count_is_limited(site):
    app, admin, _ = site
    cols = ",".join(f"c{i}" for i in range(20_000))
    r = client(app, token=admin).post("/api/developments", files={
        "flats": ("wide.csv", f"flat_id,block_id,neighbourhood_id,{cols}\n1,A,N{',' * 20_000}\n".encode())})
    assert r.status_code == 400 and r.json()["detail"] == "wide.csv: file has 20,003 columns; the limit is 200"


# == Low ===================================================================================================
def test_csv_exports_neutralise_formulas(site):
    app, admin, _ = site
    db = app.state.db
    evil = "=cmd|' /C calc'!A0"
    flats = TINY_FLATS.replace("A-1,", "@SUM(1+1),")
    dev = store.create_development(db, "evil", "flats.csv", flats.encode(), Limits())
    apps, run_id = stored_round(db, dev.id, TINY_HOUSEHOLDS.replace("h4,", f'"{evil}",'))
    api = client(app, token=admin)
    rows = list(csv.reader(io.StringIO(api.get(f"/api/runs/{run_id}/files/allocation.csv").text)))
    ids = [r[0] for r in rows[1:]]
    assert "'" + evil in ids and evil not in ids
    assert all(not re.match(r"[=+@\t\r]", cell) for r in rows for cell in r)
    flats_out = api.get(f"/api/developments/{dev.id}/flats.csv").text
    assert "'@SUM(1+1)" in flats_out and "\n@SUM" not in flats_out
    pages = client(app, follow_redirects=False)
    pages.post("/login", data={"token": admin})
    assert "'" + evil in pages.get(f"/runs/{run_id}/download/allocation.csv").text


def test_household_visible_aggregates_suppress_small_counts(site):
    app, admin, dev_id = site
    db = app.state.db
    apps, run_id = stored_round(db, dev_id, TINY_HOUSEHOLDS)
    _, token = auth.create_token(db, "household", development_id=dev_id, applicants_id=apps, household_id="h1")
    raw = client(app, token=admin).get(f"/api/runs/{run_id}/files/composition.csv").text
    assert any(0 < int(r["count"]) < 10 for r in csv.DictReader(io.StringIO(raw)))  # the tiny estate has 1s and 2s
    seen = client(app, token=token)
    for name, count_cols in (("composition.csv", ("count", "count_before")), ("caps.csv", ("count",)),
                             ("groups.csv", ("applicants", "allocated", "skipped"))):
        r = seen.get(f"/api/runs/{run_id}/files/{name}")
        assert r.status_code == 200
        for row in csv.DictReader(io.StringIO(r.text)):
            for col in count_cols:
                assert row[col] == "" or row[col] == "0" or int(row[col]) >= 10, (name, row)
    assert "small counts" in seen.get(f"/api/runs/{run_id}/files/composition.csv").headers["x-commonground-note"]
    assert seen.get(f"/api/runs/{run_id}/files/manifest.json").status_code == 403  # its hashes would test guesses
    # The summary (its per-group figures and skip reasons), as a file and in the API, and the run page.
    for summary in (seen.get(f"/api/runs/{run_id}/files/summary.json").json(),
                    seen.get(f"/api/runs/{run_id}").json()["summary"]):
        for g in summary["groups"]:
            assert all(g[c] is None or g[c] == 0 or g[c] >= 10 for c in ("applicants", "allocated", "skipped")), g
        assert all(n is None or n == 0 or n >= 10 for n in summary["skip_reasons"].values())
    admin_summary = client(app, token=admin).get(f"/api/runs/{run_id}").json()["summary"]
    assert any(0 < g["applicants"] < 10 for g in admin_summary["groups"])  # the admin sees them
    pages = client(app, follow_redirects=False)
    pages.post("/login", data={"token": token})
    page = pages.get(f"/runs/{run_id}").text
    groups_table = page[page.index('id="groups"'):page.index("</table>", page.index('id="groups"'))]
    assert "&lt;10" in groups_table and 'id="suppression-note"' in page
    assert not re.search(r'<td class="num">[1-9]</td>', groups_table)
    assert 'id="run-verdict"' not in page  # the verdict is built from the unsuppressed tables: admins only


def test_verify_runs_one_at_a_time(site):
    app, admin, dev_id = site
    db = app.state.db
    bto = store.create_development(db, "bigger", "flats.csv", TINY_FLATS.encode(), Limits())
    _, run_id = stored_round(db, bto.id, TINY_HOUSEHOLDS)
    slots = app.state.verify_slots
    assert slots.acquire(blocking=False)  # a re-run check in progress elsewhere
    try:
        r = client(app, token=admin).post(f"/api/runs/{run_id}/verify")
        assert r.status_code == 429 and "re-run check" in r.json()["detail"]
    finally:
        slots.release()
    assert client(app, token=admin).post(f"/api/runs/{run_id}/verify").json()["identical"]
    # Two at once from two threads: one answers, the other is turned away.
    got = []
    gate = threading.Barrier(2)

    def go():
        gate.wait(timeout=30)
        got.append(client(app, token=admin).post(f"/api/runs/{run_id}/verify").status_code)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert 200 in got and set(got) <= {200, 429}


def test_bulk_household_tokens_as_csv(site):
    app, admin, dev_id = site
    db = app.state.db
    apps, run_id = stored_round(db, dev_id, TINY_HOUSEHOLDS)
    r = client(app, token=admin).post(f"/api/developments/{dev_id}/applicants/{apps}/tokens", json={"label": "mail"})
    assert r.status_code == 201 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["household_id"] for row in rows] == [f"h{i}" for i in range(1, 8)]
    for row in rows:
        p = auth.verify_token(db, row["token"])
        assert (p.role, p.development_id, p.applicants_id, p.household_id) == ("household", dev_id, apps,
                                                                              row["household_id"])
        assert row["expires_at"]
    assert client(app, token=rows[2]["token"]).get(f"/api/runs/{run_id}/households/h3").status_code == 200


def test_sessions_are_server_side_expire_and_can_be_revoked(site):
    app, admin, _ = site
    db = app.state.db
    pages = client(app, follow_redirects=False)
    r = pages.post("/login", data={"token": admin})
    cookie = pages.cookies.get("cg_session")
    secret = admin.split("_", 2)[2]     # cg_<key>_<secret>; the url-safe secret may itself contain "_"
    assert cookie and admin not in cookie and secret not in r.headers["set-cookie"]
    assert pages.get("/").status_code == 200
    pages.post("/logout")
    replay = client(app, follow_redirects=False)
    replay.cookies.set("cg_session", cookie)
    assert replay.get("/").headers["location"] == "/login"  # signing out ended the session on the server
    # Expiry.
    pages.post("/login", data={"token": admin})
    from commonground.service.db import WebSession

    with db.write() as s:
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert pages.get("/").headers["location"] == "/login"
    # Revoking the token through the API ends its sessions; so does the admin page.
    tid, other = auth.create_token(db, "admin", label="second")
    second = client(app, follow_redirects=False)
    second.post("/login", data={"token": other})
    assert second.get("/").status_code == 200
    api = client(app, token=admin)
    assert any(t["id"] == tid for t in api.get("/api/tokens").json())
    assert api.delete(f"/api/tokens/{tid}").status_code == 204
    assert second.get("/").headers["location"] == "/login"
    tid3, third = auth.create_token(db, "admin", label="third")
    pages.post("/login", data={"token": admin})
    assert 'id="tokens"' in pages.get("/tokens").text
    assert pages.post(f"/tokens/{tid3}/revoke").status_code == 303
    assert auth.verify_token(db, third) is None
    # Tokens expire.
    with db.write() as s:
        s.execute(update(ApiToken).where(ApiToken.id == 1).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client(app, token=admin).get("/api/runs").status_code == 401


def test_security_headers_on_500_and_413(site):
    app, admin, _ = site

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("boom")

    c = client(app, token=admin)
    r = c.get("/api/boom")
    assert r.status_code == 500 and r.headers["x-content-type-options"] == "nosniff"
    assert r.json()["detail"] == "internal server error" and "boom" not in r.text
    r = c.post("/api/developments", content=b"x" * 10, headers={"Content-Length": str(10**9),
                                                                  "Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 413 and r.headers["x-frame-options"] == "DENY"


def test_form_posts_with_origin_null_are_refused(site):
    app, admin, _ = site
    pages = client(app, follow_redirects=False)
    pages.post("/login", data={"token": admin})
    r = pages.post("/developments", files={"flats": ("flats.csv", TINY_FLATS.encode())}, headers={"Origin": "null"})
    assert r.status_code == 403


def test_sqlite_file_is_private(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'private.sqlite'}")
    from commonground.service.migrate import upgrade

    upgrade(db.engine)
    for f in tmp_path.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    db.dispose()


def test_household_lookup_is_a_post(site):
    app, admin, dev_id = site
    _, run_id = stored_round(app.state.db, dev_id, TINY_HOUSEHOLDS)
    pages = client(app, follow_redirects=False)
    pages.post("/login", data={"token": admin})
    assert pages.get(f"/runs/{run_id}/household", params={"household_id": "h4"}).status_code == 405
    r = pages.post(f"/runs/{run_id}/household", data={"household_id": "h4"})
    assert r.status_code == 200 and "Household h4" in r.text
    assert f'method="post" action="/runs/{run_id}/household"' in pages.get(f"/runs/{run_id}").text


def test_api_docs_render_inline_code(site):
    app, admin, _ = site
    pages = client(app, follow_redirects=False)
    pages.post("/login", data={"token": admin})
    text = pages.get("/docs").text
    assert "``" not in text and "<code>wait=true</code>" in text


def test_heartbeats_renew_and_a_live_server_keeps_its_runs(db_url):
    """The heartbeat thread renews its row and removes it on stop; a second server started on the same
    database (here in the same process) leaves the first one's running run alone."""
    import time

    from commonground.service import lease
    from commonground.service.db import Worker, worker_id

    first = make_app(db_url)
    db = first.state.db
    try:
        beat = lease.Heartbeat(db, worker_id(), interval=0.05)
        with db.read() as s:
            t0 = s.get(Worker, beat.worker).heartbeat_at
        time.sleep(0.5)
        with db.read() as s:
            assert s.get(Worker, beat.worker).heartbeat_at > t0
        beat.stop()
        with db.read() as s:
            assert s.get(Worker, beat.worker) is None
        dev = store.create_development(db, "tiny", "flats.csv", TINY_FLATS.encode(), Limits())
        apps, _ = stored_round(db, dev.id, TINY_HOUSEHOLDS, run=False)
        r = store.create_run(db, dev.id, apps, presets=None, policy_toml=None, mechanism="ballot", seed=0,
                             created_by=None, worker=None)
        with db.write() as s:
            s.execute(update(Run).where(Run.id == r.id).values(status="running", worker=first.state.worker))
        second = make_app(db_url)
        try:
            assert store.get_run(db, r.id).status == "running"
        finally:
            second.state.queue.shutdown()
            second.state.db.dispose()
    finally:
        first.state.queue.shutdown()
        first.state.db.dispose()
