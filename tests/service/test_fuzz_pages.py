"""Hypothesis fuzzes the HTML pages (which the OpenAPI spec does not describe) on SQLite and PostgreSQL: ids in
URLs of any size or shape, and run-form fields of any text (Unicode digits such as '²' and '١', huge numbers,
deeply nested policy TOML). No request may get a 5xx; each client error is a one-line message."""

from __future__ import annotations

import re
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonground.service import Settings, auth, create_app, store
from commonground.service.inputs import Limits
from commonground.service.runner import execute_run

from .conftest import TINY_FLATS, TINY_HOUSEHOLDS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

EXAMPLES = 60
ids = st.one_of(st.integers(min_value=-(10**25), max_value=10**25).map(str),
                st.sampled_from(["2147483647", "2147483648", "4294967296", "9223372036854775808", "1e3", "0x10",
                                 "²", "١", "1.5", "%00", "..%2f.."]),
                st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs"),
                                              exclude_characters="/?#%\\"), min_size=1, max_size=12))
field = st.one_of(st.text(max_size=30), st.integers(min_value=-(10**30), max_value=10**30).map(str),
                  st.sampled_from(["²", "١", "٣٤", "1" * 25, " 7 ", "", "0", "-0", "+1", "1_000"]))
nested = st.integers(min_value=0, max_value=1500).map(lambda n: "x = " + "[" * n + "]" * n + "\n")
PAGES = ["/runs/{}", "/runs/{}/report", "/runs/{}/download/groups.csv", "/developments/{}"]
POSTS = ["/runs/{}/verify", "/runs/{}/household", "/developments/{}/runs", "/tokens/{}/revoke",
         "/sessions/{}/revoke"]


def one_line_error(r) -> None:
    assert r.status_code < 500, (r.request.method, r.request.url, r.status_code, r.text[:300])
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("text/html"):
        m = re.search(r'id="error">([^<]*)<', r.text)
        assert m and "\n" not in m.group(1).strip(), r.text[:300]


def test_pages_never_answer_5xx(db_url):
    app = create_app(Settings(db_url=db_url, run_workers=1))
    db = app.state.db
    _, token = auth.create_token(db, "admin")
    dev = store.create_development(db, "fuzz", "flats.csv", TINY_FLATS.encode(), Limits())
    apps = store.add_applicants(db, dev.id, "hh.csv", TINY_HOUSEHOLDS.encode(), None, None, Limits())
    run = store.create_run(db, dev.id, apps.id, presets=None, policy_toml=None, mechanism="ballot", seed=0,
                           created_by=None, worker=None)
    assert execute_run(db, run.id) == "done"
    c = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    assert c.post("/login", data={"token": token}).status_code == 303
    try:
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(page=st.sampled_from(PAGES), post=st.sampled_from(POSTS), some_id=ids)
        def urls(page, post, some_id):
            one_line_error(c.get(page.format(some_id)))
            one_line_error(c.post(post.format(some_id), data={"household_id": "h1"}))

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(applicants_id=st.one_of(field, st.just(str(apps.id))), seed=field, mechanism=field,
               policy_toml=st.one_of(st.just(""), nested, st.text(max_size=60)))
        def run_form(applicants_id, seed, mechanism, policy_toml):
            r = c.post(f"/developments/{dev.id}/runs", data={"applicants_id": applicants_id, "seed": seed,
                                                             "mechanism": mechanism, "policy_toml": policy_toml})
            one_line_error(r)
            if r.status_code == 303:  # accepted: then the seed was plain ASCII digits, read as written
                assert re.fullmatch(r"[0-9]+", seed.strip() or "0"), seed

        urls()
        run_form()
    finally:
        app.state.queue.shutdown()
        app.state.db.dispose()
