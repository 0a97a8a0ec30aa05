"""Issue 13: the web app's run page (and a household's outcome page) say plainly that allocating by an ethnicity
cap in Great Britain would be unlawful, when the run's policy caps ethnicity under a ``uk-`` policy."""

from __future__ import annotations

import html
import re
import warnings

import pytest

from commonground.policy.lawful import UNLAWFUL
from commonground.service import Settings, auth, create_app

from .test_pages import sign_in, wait_done

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

FLATS = "flat_id,block_id,neighbourhood_id,occupant_ethnicity\n" + "".join(
    f"{b}-{i},{b},N1,{occ}\n" for b in "AB" for i, occ in enumerate(["White", "Asian", "", "", "", ""]))
HOUSEHOLDS = "household_id,ethnicity,priority\n" + "".join(
    f"h{i},{g},{band}\n" for i, (g, band) in enumerate(
        [("White", "A"), ("Asian", "B"), ("White", "C"), ("Black", "D"), ("Mixed", "A"), ("Asian", "C"),
         ("White", "B"), ("Other", "D")]))


@pytest.fixture
def site(tmp_path):
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'lawful.sqlite'}"))
    _, token = auth.create_token(app.state.db, "admin")
    with TestClient(app, follow_redirects=False) as c:
        yield c, token
    app.state.db.dispose()


def run_page(c, dev_url, app_id, policy):
    r = c.post(f"{dev_url}/runs", data={"applicants_id": app_id, "policy": policy, "mechanism": "cbl", "seed": "1"})
    assert r.status_code == 303, r.text
    return r.headers["location"], wait_done(c, r.headers["location"])


def test_run_page_says_ethnicity_caps_are_unlawful_in_gb(site):
    c, token = site
    sign_in(c, token)
    dev_url = c.post("/developments", files={"flats": ("flats.csv", FLATS.encode())},
                     data={"name": "English town"}).headers["location"]
    r = c.post(f"{dev_url}/applicants", files={"households": ("hh.csv", HOUSEHOLDS.encode())})
    assert r.status_code == 303, r.text
    app_id = re.search(r'<option value="(\d+)"', c.get(dev_url).text).group(1)
    run_url, page = run_page(c, dev_url, app_id, ["uk-balanced-example"])
    assert 'id="run-status">done' in page
    assert 'id="lawful-use"' in page and UNLAWFUL in html.unescape(page)
    assert page.index('id="lawful-use"') < page.index('id="groups"')  # at the top, before the tables
    h = c.post(f"{run_url}/household", data={"household_id": "h1"})
    assert h.status_code == 200 and UNLAWFUL in html.unescape(h.text)
    # The same town without the uk- policy's ethnicity caps: no sentence.
    _, page = run_page(c, dev_url, app_id, [])
    assert 'id="run-status">done' in page and 'id="lawful-use"' not in page and "s.13" not in page
