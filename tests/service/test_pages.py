"""The HTML pages through the ASGI app (SQLite): sign-in, forms, errors, result page, roles, CSRF guard."""

from __future__ import annotations

import re
import time
import warnings

import pytest

from commonground.service import Settings, auth, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def site(tmp_path):
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'pages.sqlite'}"))
    _, token = auth.create_token(app.state.db, "admin")
    with TestClient(app, follow_redirects=False) as c:
        yield c, token
    app.state.db.dispose()


def sign_in(c, token):
    r = c.post("/login", data={"token": token})
    assert r.status_code == 303, r.text
    return r


def wait_done(c, path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = c.get(path).text
        if 'id="run-status">done' in page or 'id="run-status">failed' in page:
            return page
        assert 'http-equiv="refresh"' in page  # a running run's page refreshes itself
        time.sleep(0.2)
    raise AssertionError("run did not finish")


def test_sign_in_and_out(site):
    c, token = site
    assert c.get("/").headers["location"] == "/login"
    bad = c.post("/login", data={"token": "cg_000000000000_wrong"})
    assert bad.status_code == 401 and "That token is not valid." in bad.text
    r = sign_in(c, token)
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    home = c.get("/")
    assert home.status_code == 200 and "Developments" in home.text
    assert "script-src 'none'" in home.headers["content-security-policy"]
    assert home.headers["x-frame-options"] == "DENY"
    c.post("/logout")
    assert c.get("/").headers["location"] == "/login"


def test_admin_flow_in_pages(site, tiny_inputs):
    c, token = site
    sign_in(c, token)
    # A bad upload re-renders the form with the one-line error.
    r = c.post("/developments", files={"flats": ("broken.csv", b"flat_id,block_id\n1,A\n")}, data={"name": "x"})
    assert r.status_code == 400
    assert re.search(r'id="error">broken\.csv: missing required column\(s\): neighbourhood_id', r.text)
    r = c.post("/developments", files={"flats": ("flats.csv", (tiny_inputs / "flats.csv").read_bytes())},
               data={"name": "Tiny <Estate>"})
    assert r.status_code == 303
    dev_url = r.headers["location"]
    page = c.get(dev_url).text
    assert "Tiny &lt;Estate&gt;" in page and "Tiny <Estate>" not in page  # escaped
    hh = ("hh.csv", (tiny_inputs / "households.csv").read_bytes())
    r = c.post(f"{dev_url}/applicants", files={"households": hh,
                                               "preferences": ("p.csv", b"household_id,block_id,rank\nh9,A,1\n")})
    assert r.status_code == 400 and "p.csv, row 2, column &#39;household_id&#39;: unknown household" in r.text
    prefs = ("p.csv", (tiny_inputs / "preferences.csv").read_bytes())
    r = c.post(f"{dev_url}/applicants", files={"households": hh, "preferences": prefs})
    assert r.status_code == 303
    page = c.get(dev_url).text
    app_id = re.search(r'<option value="(\d+)"', page).group(1)
    # A policy error keeps the form's choices.
    r = c.post(f"{dev_url}/runs", data={"applicants_id": app_id, "policy": ["sg-spr"], "mechanism": "ballot",
                                        "seed": "4"})
    assert r.status_code == 400 and "no attribute &#39;residency&#39;" in r.text
    assert 'value="sg-spr" checked' in r.text
    r = c.post(f"{dev_url}/runs", data={"applicants_id": app_id, "policy": ["sg-eip-2010"], "mechanism": "ballot",
                                        "seed": "4"})
    assert r.status_code == 303
    run_url = r.headers["location"]
    page = wait_done(c, run_url)
    assert 'id="result-plot"><svg' in page and "Outcomes by group" in page
    assert re.search(r"Inputs hash</dt><dd class=\"hash\">[0-9a-f]{64}", page)
    csv = c.get(f"{run_url}/download/allocation.csv")
    assert csv.status_code == 200 and csv.text.startswith("household_id,")
    assert c.get(f"{run_url}/download/..%2f..%2fetc%2fpasswd").status_code == 404
    rep = c.get(f"{run_url}/report")
    assert rep.status_code == 200 and "<svg" in rep.text
    assert rep.headers["content-security-policy"].startswith("sandbox")
    v = c.post(f"{run_url}/verify")
    assert v.status_code == 200 and 'status done">identical' in v.text
    h = c.post(f"{run_url}/household", data={"household_id": "h4"})
    assert h.status_code == 200 and "Household h4" in h.text
    assert c.post(f"{run_url}/household", data={"household_id": "zz"}).status_code == 404


def test_cross_site_posts_are_refused(site, tiny_inputs):
    c, token = site
    sign_in(c, token)
    r = c.post("/developments", files={"flats": ("flats.csv", (tiny_inputs / "flats.csv").read_bytes())},
               headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert "Developments" in c.get("/").text and "flats.csv" not in c.get("/").text


def test_household_sees_only_its_own_outcome(site, tiny_inputs):
    c, token = site
    sign_in(c, token)
    dev_url = c.post("/developments", files={"flats": ("flats.csv", (tiny_inputs / "flats.csv").read_bytes())}
                     ).headers["location"]
    c.post(f"{dev_url}/applicants", files={"households": ("hh.csv", (tiny_inputs / "households.csv").read_bytes())})
    app_id = re.search(r'<option value="(\d+)"', c.get(dev_url).text).group(1)
    run_url = c.post(f"{dev_url}/runs", data={"applicants_id": app_id, "mechanism": "ballot", "seed": "1"}
                     ).headers["location"]
    wait_done(c, run_url)
    dev_id = int(dev_url.rsplit("/", 1)[1])
    _, household = auth.create_token(c.app.state.db, "household", development_id=dev_id, applicants_id=int(app_id),
                                     household_id="h6")
    c.post("/logout")
    r = sign_in(c, household)
    assert r.headers["location"] == "/me"
    me = c.get("/me").text
    assert "Household h6" in me and ("Reason:" in me or "Flat <strong>" in me)
    assert me.count('class="card outcome"') == 1  # its one run, its own row
    assert c.post(f"{run_url}/household", data={"household_id": "h1"}).status_code == 403
    assert c.post(f"{run_url}/household", data={"household_id": "h6"}).status_code == 200
    assert c.get(dev_url).status_code == 403
    assert c.get(f"{run_url}/download/allocation.csv").status_code == 403
    assert c.get(f"{run_url}/report").status_code == 403
    page = c.get(run_url).text  # the aggregate result page is visible, without the household list
    assert 'id="result-plot"' in page and "download-allocation-csv" not in page
