"""The JSON API end to end, against SQLite and against a real PostgreSQL server (the ``db_url`` fixture)."""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from commonground.allocate import allocate
from commonground.io import read_problem
from commonground.policy import load_policy
from commonground.service import auth
from commonground.service.db import ApiToken, Run

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def api(service):
    app, db, token = service
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def upload_development(api, folder, name="Demo"):
    r = api.post("/api/developments", files={"flats": ("flats.csv", (folder / "flats.csv").read_bytes())},
                 data={"name": name})
    assert r.status_code == 201, r.text
    return r.json()


def upload_applicants(api, dev_id, folder, preferences=True):
    files = {"households": ("households.csv", (folder / "households.csv").read_bytes())}
    if preferences:
        files["preferences"] = ("preferences.csv", (folder / "preferences.csv").read_bytes())
    r = api.post(f"/api/developments/{dev_id}/applicants", files=files)
    assert r.status_code == 201, r.text
    return r.json()


def run(api, dev_id, app_id, **kw):
    body = {"development_id": dev_id, "applicants_id": app_id, "wait": True, **kw}
    r = api.post("/api/runs", json=body)
    assert r.status_code in (201, 202), r.text
    return r.json()


def test_health_and_options_are_open(api):
    bare = TestClient(api.app)
    assert bare.get("/api/health").json()["status"] == "ok"
    opts = bare.get("/api/options").json()
    assert "sg-eip-2010" in opts["policies"] and "ballot" in opts["mechanisms"]
    assert opts["hdb_towns"] == {}  # no --hdb-file
    spec = bare.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/api/runs" in spec["paths"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_upload_run_and_results_match_the_library(api, bto_inputs):
    dev = upload_development(api, bto_inputs)
    assert (dev["n_flats"], dev["n_vacant"], dev["n_blocks"]) == (2390, 800, 15)
    apps = upload_applicants(api, dev["id"], bto_inputs)
    assert (apps["n_households"], apps["n_preferences"]) == (3200, 19200)
    out = run(api, dev["id"], apps["id"], policy=["sg-eip-2010", "sg-spr"], mechanism="ballot", seed=7)
    assert out["status"] == "done", out["error"]
    assert out["n_households"] == 3200 and out["n_allocated"] == 800
    assert out["seed"] == 7 and out["mechanism"] == "ballot" and out["policy_name"] == "sg-eip-2010,sg-spr"
    assert len(out["inputs_hash"]) == 64 and out["code_version"].startswith("0.")

    # The stored rows are exactly what the library gives on the same files.
    problem = read_problem(bto_inputs / "flats.csv", bto_inputs / "households.csv", bto_inputs / "preferences.csv")
    expected = allocate(problem, load_policy("sg-eip-2010,sg-spr"), "ballot", seed=7)
    assert out["problem_fingerprint"] == problem.fingerprint()
    page = api.get(f"/api/runs/{out['id']}/allocation", params={"limit": 5000}).json()
    assert page["total"] == 3200 and len(page["rows"]) == 3200
    got = pd.DataFrame(page["rows"]).set_index("household_id")
    want = expected.households_frame().set_index("household_id")
    assert list(got.index) == list(want.index)
    assert (got["flat_id"].fillna("") == want["flat_id"].fillna("")).all()
    assert (got["reason"] == want["reason"]).all()
    assert int(got["status"].eq("allocated").sum()) == expected.n_allocated

    # Downloads: the CSV files the CLI writes.
    csv = api.get(f"/api/runs/{out['id']}/files/allocation.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert len(pd.read_csv(io.BytesIO(csv.content))) == 3200
    summary = api.get(f"/api/runs/{out['id']}/files/summary.json").json()
    assert summary["allocated"] == 800 and summary["seed"] == 7
    assert api.get(f"/api/runs/{out['id']}/files/passwd").status_code == 422

    # The re-run check reproduces it exactly.
    v = api.post(f"/api/runs/{out['id']}/verify").json()
    assert v["identical"] and v["inputs_hash_matches"] and v["fingerprint_matches"] and v["mismatches"] == 0


def test_same_seed_same_result_different_seed_differs(api, tiny_inputs):
    dev = upload_development(api, tiny_inputs)
    apps = upload_applicants(api, dev["id"], tiny_inputs)
    runs = [run(api, dev["id"], apps["id"], seed=s) for s in (1, 1, 2, 3, 4)]
    assert all(r["status"] == "done" for r in runs)
    assert len({r["inputs_hash"] for r in runs}) == 1
    flats = [tuple(row["flat_id"] for row in api.get(f"/api/runs/{r['id']}/allocation").json()["rows"])
             for r in runs]
    assert flats[0] == flats[1]
    assert len(set(flats[1:])) > 1  # the seed matters


def test_verify_detects_a_tampered_result(api, service, tiny_inputs):
    _, db, _ = service
    dev = upload_development(api, tiny_inputs)
    apps = upload_applicants(api, dev["id"], tiny_inputs)
    out = run(api, dev["id"], apps["id"], mechanism="ballot", seed=3)
    from sqlalchemy import update

    from commonground.service.db import AllocationRow

    with db.write() as s:  # someone edits a published allocation
        s.execute(update(AllocationRow).where(AllocationRow.run_id == out["id"], AllocationRow.position == 0)
                  .values(flat_id="B-4-tampered", status="allocated", reason=""))
    v = api.post(f"/api/runs/{out['id']}/verify").json()
    assert not v["identical"] and v["mismatches"] == 1 and v["first_mismatches"] == ["h1"]
    assert v["inputs_hash_matches"] and v["fingerprint_matches"]  # the inputs are intact; the result is not


@pytest.mark.parametrize(("files", "message"), [
    ({"flats": ("flats.csv", b"flat_id,block_id\n1,A\n")}, "flats.csv: missing required column(s): neighbourhood_id"),
    ({"flats": ("f.csv", b"flat_id,block_id,neighbourhood_id\n1,A,N\n1,B,N\n")},
     "f.csv, row 3, column 'flat_id': duplicate flat_id '1'"),
    ({"flats": ("f.csv", b"flat_id,block_id,neighbourhood_id\n1,A,N\n2,A\n")}, "f.csv, row 3: expected 3 fields"),
    ({"flats": ("f.csv", b"")}, "f.csv: empty file"),
    ({"flats": ("f.csv", b"\x89PNG\r\n\x1a\n\x00\x00")}, "f.csv: file contains NUL bytes"),
    ({"flats": ("f.csv", b"\xff\xfe\xfa,b\n")}, "f.csv: "),
    ({"flats": ("f.csv", b"flat_id,block_id,neighbourhood_id,floor\n1,A,N,high\n")},
     "f.csv, row 2, column 'floor': 'high' is not an integer"),
])
def test_bad_flats_upload_is_a_400_with_one_line(api, files, message):
    r = api.post("/api/developments", files=files)
    assert r.status_code == 400, r.text
    detail = r.json()["detail"]
    assert detail.startswith(message) and "\n" not in detail


def test_bad_applicants_are_checked_against_the_development(api, tiny_inputs):
    dev = upload_development(api, tiny_inputs)
    url = f"/api/developments/{dev['id']}/applicants"
    hh = (tiny_inputs / "households.csv").read_bytes()
    r = api.post(url, files={"households": ("hh.csv", hh), "preferences": ("p.csv", b"household_id,block_id,rank\n"
                                                                                   b"h1,Z,1\n")})
    assert r.status_code == 400 and r.json()["detail"] == "p.csv, row 2, column 'block_id': unknown block 'Z'"
    r = api.post(url, files={"households": ("hh.csv", b"household_id,ethnicity\nh1,Chinese\nh1,Malay\n")})
    assert r.status_code == 400
    assert r.json()["detail"] == "hh.csv, row 3, column 'household_id': duplicate household_id 'h1'"
    r = api.post("/api/developments/999/applicants", files={"households": ("hh.csv", hh)})
    assert r.status_code == 404


def test_upload_limits(service, tiny_inputs):
    from commonground.service import Settings, create_app
    from commonground.service.inputs import Limits

    _, db, token = service
    app = create_app(Settings(db_url=db.url, limits=Limits(max_upload_bytes=2000, max_rows=5)))
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        rows = b"flat_id,block_id,neighbourhood_id\n" + b"".join(b"%d,A,N\n" % i for i in range(6))
        r = c.post("/api/developments", files={"flats": ("many.csv", rows)})
        assert r.status_code == 400 and r.json()["detail"] == "many.csv: file has 6 rows; the limit is 5"
        big = b"flat_id,block_id,neighbourhood_id\n1,A," + b"N" * 2100 + b"\n"
        r = c.post("/api/developments", files={"flats": ("big.csv", big)})
        assert r.status_code == 400 and r.json()["detail"] == "big.csv: file is larger than the limit of 2,000 bytes"
        huge = b"x" * 300_000  # the whole request is over the server's body limit (2 files + 256 KiB)
        r = c.post("/api/developments", files={"flats": ("huge.csv", huge)})
        assert r.status_code == 413
        # ... also when the client streams it without a Content-Length.
        chunks = (b"--b\r\nContent-Disposition: form-data; name=\"flats\"; filename=\"s.csv\"\r\n\r\n",
                  *([b"y" * 65536] * 5), b"\r\n--b--\r\n")
        r = c.post("/api/developments", content=iter(chunks),
                   headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert r.status_code == 413
        five = b"flat_id,block_id,neighbourhood_id\n" + b"".join(b"%d,A,N\n" % i for i in range(5))
        ok = c.post("/api/developments", files={"flats": ("five.csv", five)})
        assert ok.status_code == 201, ok.text
    app.state.db.dispose()


def test_policy_choices_are_checked_before_queueing(api, tiny_inputs, service):
    _, db, _ = service
    dev = upload_development(api, tiny_inputs)
    apps = upload_applicants(api, dev["id"], tiny_inputs)
    base = {"development_id": dev["id"], "applicants_id": apps["id"]}
    cases = [
        ({"policy": ["no-such"]}, "unknown policy preset 'no-such'"),
        ({"policy": ["/etc/passwd"]}, "unknown policy preset '/etc/passwd'"),  # never a server path
        ({"policy": ["sg-spr"]}, "households have no attribute 'residency'"),
        ({"policy_toml": "[[caps]\n"}, "policy.toml: malformed TOML"),
        ({"policy_toml": '[[caps]]\nattribute="ethnicity"\nlevel="block"\nlimits={Martian=0.1}\n'},
         "unknown group 'Martian'"),
        ({"mechanism": "lottery"}, "unknown mechanism 'lottery'"),
    ]
    for extra, message in cases:
        r = api.post("/api/runs", json={**base, **extra})
        assert r.status_code == 400, (extra, r.text)
        assert message in r.json()["detail"], (extra, r.json())
    assert api.post("/api/runs", json={**base, "applicants_id": 999}).status_code == 404
    assert api.post("/api/runs", json={**base, "seed": -1}).status_code == 422
    with db.read() as s:
        assert s.scalars(select(Run)).all() == []  # nothing was queued
    custom = '[[caps]]\nattribute="ethnicity"\nlevel="block"\nlimits={Chinese=0.5}\n'
    out = run(api, dev["id"], apps["id"], policy_toml=custom, mechanism="ballot")
    assert out["status"] == "done" and "Chinese" in out["policy_toml"]


def test_runs_of_every_mechanism(api, tiny_inputs):
    dev = upload_development(api, tiny_inputs)
    apps = upload_applicants(api, dev["id"], tiny_inputs)
    mechanisms = api.get("/api/options").json()["mechanisms"]
    for m in mechanisms:
        out = run(api, dev["id"], apps["id"], mechanism=m, seed=1)
        assert out["status"] == "done", (m, out["error"])
        assert out["n_allocated"] <= 5


def test_auth_roles_and_household_view(api, service, tiny_inputs):
    app, db, admin_token = service
    bare = TestClient(app)
    assert bare.post("/api/developments", files={"flats": ("f.csv", b"x")}).status_code == 401
    assert bare.get("/api/runs").status_code == 401
    wrong = {"Authorization": "Bearer cg_000000000000_nope"}
    assert bare.get("/api/runs", headers=wrong).status_code == 401

    dev = upload_development(api, tiny_inputs)
    apps = upload_applicants(api, dev["id"], tiny_inputs)
    out = run(api, dev["id"], apps["id"], mechanism="ballot", seed=5)
    # An admin issues a household token (shown once).
    r = api.post("/api/tokens", json={"development_id": dev["id"], "household_id": "h3"})
    assert r.status_code == 201
    h3 = {"Authorization": f"Bearer {r.json()['token']}"}
    assert api.post("/api/tokens", json={"development_id": dev["id"], "household_id": "nobody"}).status_code == 404

    me = bare.get("/api/me", headers=h3).json()
    assert me["role"] == "household" and me["household_id"] == "h3"
    assert [o["run_id"] for o in me["outcomes"]] == [out["id"]]
    mine = me["outcomes"][0]
    assert mine["status"] in ("allocated", "skipped") and (mine["flat_id"] is not None or mine["reason"])
    assert bare.get(f"/api/runs/{out['id']}/households/h3", headers=h3).json()["household_id"] == "h3"
    # ... and nobody else's row, nor the full allocation, nor any write.
    assert bare.get(f"/api/runs/{out['id']}/households/h1", headers=h3).status_code == 403
    assert bare.get(f"/api/runs/{out['id']}/allocation", headers=h3).status_code == 403
    assert bare.get(f"/api/runs/{out['id']}/files/allocation.csv", headers=h3).status_code == 403
    assert bare.get(f"/api/runs/{out['id']}/files/groups.csv", headers=h3).status_code == 200
    assert bare.post("/api/runs", headers=h3, json={"development_id": dev["id"],
                                                    "applicants_id": apps["id"]}).status_code == 403
    assert bare.post("/api/developments", headers=h3, files={"flats": ("f.csv", b"x")}).status_code == 403
    assert bare.post(f"/api/runs/{out['id']}/verify", headers=h3).status_code == 403
    assert bare.get(f"/api/runs/{out['id']}", headers=h3).status_code == 200

    # Another development is out of its sight.
    other = upload_development(api, tiny_inputs, name="Other")
    assert bare.get(f"/api/developments/{other['id']}", headers=h3).status_code == 403
    assert [d["id"] for d in bare.get("/api/developments", headers=h3).json()] == [dev["id"]]

    # Revocation applies at once.
    with db.read() as s:
        tid = s.scalars(select(ApiToken.id).where(ApiToken.household_id == "h3")).one()
    auth.revoke_token(db, tid)
    assert bare.get("/api/me", headers=h3).status_code == 401


def test_tokens_are_stored_only_as_hashes(service):
    _, db, admin_token = service
    _, second = auth.create_token(db, "admin")
    with db.read() as s:
        rows = s.scalars(select(ApiToken)).all()
    blob = json.dumps([[r.key, r.salt, r.secret_hash, r.label] for r in rows])
    for tok in (admin_token, second):
        secret = tok.split("_", 2)[2]
        assert secret not in blob and tok not in blob
    assert {r.scheme for r in rows} == {"sha256"} and len({r.secret_hash for r in rows}) == len(rows)
    assert auth.verify_token(db, second).is_admin
    assert auth.verify_token(db, second[:-1] + ("A" if second[-1] != "A" else "B")) is None
    with pytest.raises(Exception, match="household token needs"):
        auth.create_token(db, "household")


def test_tokens_issued_before_0002_still_verify_with_scrypt(service):
    """A token row written by revision 0001 (salted scrypt) keeps working until it is re-issued."""
    import hashlib
    import secrets

    _, db, _ = service
    secret, salt = secrets.token_urlsafe(32), secrets.token_bytes(16)
    with db.write() as s:
        s.add(ApiToken(key="0123456789ab", scheme="scrypt", salt=salt.hex(), role="admin", label="old",
                       secret_hash=hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex()))
    assert auth.verify_token(db, f"cg_0123456789ab_{secret}").is_admin
    assert auth.verify_token(db, f"cg_0123456789ab_{secret[:-1]}x") is None


def test_hdb_town_development(service, shared_data, tiny_inputs):
    from commonground.service import Settings, create_app

    _, db, token = service
    app = create_app(Settings(db_url=db.url, hdb_file=shared_data / "sg_hdb_property_information.csv"))
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        towns = c.get("/api/options").json()["hdb_towns"]
        assert towns["TAP"] == "Tampines" and "PG" in towns
        r = c.post("/api/developments/hdb", json={"town": "Bukit Timah"})  # the smallest town
        assert r.status_code == 201, r.text
        dev = r.json()
        assert dev["source"].startswith("hdb: BT") and dev["n_flats"] == dev["n_vacant"] > 2000
        assert c.post("/api/developments/hdb", json={"town": "Atlantis"}).status_code == 400
        flats = pd.read_csv(io.BytesIO(c.get(f"/api/developments/{dev['id']}/flats.csv").content))
        assert len(flats) == dev["n_flats"] and flats["block_id"].str.startswith("BT ").all()
        # Applicants for the real town, ranking three real blocks, and a run.
        blocks = list(flats["block_id"].drop_duplicates()[:3])
        rng = np.random.default_rng(0)
        hh = pd.DataFrame({"household_id": [f"a{i}" for i in range(300)],
                           "ethnicity": rng.choice(["Chinese", "Malay", "Indian", "Others"], 300)})
        prefs = pd.DataFrame([{"household_id": h, "block_id": b, "rank": k + 1}
                              for h in hh["household_id"] for k, b in enumerate(rng.permutation(blocks))])
        r = c.post(f"/api/developments/{dev['id']}/applicants",
                   files={"households": ("hh.csv", hh.to_csv(index=False).encode()),
                          "preferences": ("p.csv", prefs.to_csv(index=False).encode())})
        assert r.status_code == 201, r.text
        out = c.post("/api/runs", json={"development_id": dev["id"], "applicants_id": r.json()["id"],
                                        "policy": ["sg-eip-2010"], "wait": True}).json()
        assert out["status"] == "done", out["error"]
        capacity = int(flats["block_id"].isin(blocks).sum())
        assert 0 < out["n_allocated"] <= min(300, capacity)
        rows = pd.DataFrame(c.get(f"/api/runs/{out['id']}/allocation").json()["rows"])
        assert set(rows["block_id"].dropna()) <= set(blocks)  # only the ranked real blocks
    app.state.db.dispose()
    without = TestClient(service[0])
    r = without.post("/api/developments/hdb", json={"town": "TAP"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404 and "--hdb-file" in r.json()["detail"]


def test_failed_run_is_recorded_with_its_reason(service, tiny_inputs):
    """Stored inputs that changed after a run was queued make it fail, with a one-line reason and no rows."""
    from sqlalchemy import func, update

    from commonground.service import store
    from commonground.service.db import AllocationRow, Development
    from commonground.service.inputs import Limits
    from commonground.service.runner import execute_run

    _, db, _ = service
    dev = store.create_development(db, "t", "flats.csv", (tiny_inputs / "flats.csv").read_bytes(), Limits())
    apps = store.add_applicants(db, dev.id, "hh.csv", (tiny_inputs / "households.csv").read_bytes(), None, None,
                                Limits())
    queued = store.create_run(db, dev.id, apps.id, presets=None, policy_toml=None, mechanism="ballot", seed=0,
                              created_by=None, worker=None)
    with db.write() as s:
        s.execute(update(Development).where(Development.id == dev.id)
                  .values(flats_content=(tiny_inputs / "flats.csv").read_bytes().replace(b"A-4", b"A-9")))
    assert execute_run(db, queued.id) == "failed"
    run_row = store.get_run(db, queued.id)
    assert run_row.status == "failed" and "stored inputs changed since the run was queued" in run_row.error
    assert "\n" not in run_row.error and run_row.finished_at is not None
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(AllocationRow)) == 0
