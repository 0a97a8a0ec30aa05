"""schemathesis fuzzes the OpenAPI spec in-process (ASGI) with an admin token, on SQLite and on PostgreSQL
(whose 32-bit integer columns overflow where SQLite's don't): no request may get a 5xx. The pages, which the
spec does not describe, are fuzzed in test_fuzz_pages.py."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from commonground.service import Settings, auth, create_app, store
from commonground.service.inputs import Limits
from commonground.service.runner import execute_run

from .conftest import pg_database

TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzz_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite'}"
    else:
        with pg_database(request.getfixturevalue("postgres_server")) as url:
            yield url


@pytest.fixture(scope="module")
def fuzz_app(fuzz_url, tiny_inputs):
    """The app on a database holding one (small) development, applicant set and finished run (ids 1), so
    that generated ids reach real objects as well as missing ones."""
    app = create_app(Settings(db_url=fuzz_url, wait_timeout=5, run_workers=1))
    db = app.state.db
    _, TOKEN["admin"] = auth.create_token(db, "admin")
    flats = (tiny_inputs / "flats.csv").read_bytes()
    dev = store.create_development(db, "fuzz", "flats.csv", flats, Limits())
    apps = store.add_applicants(db, dev.id, "households.csv", (tiny_inputs / "households.csv").read_bytes(),
                                "preferences.csv", (tiny_inputs / "preferences.csv").read_bytes(), Limits())
    run = store.create_run(db, dev.id, apps.id, presets=["sg-eip-2010"], policy_toml=None, mechanism="ballot",
                           seed=0, created_by=None, worker=None)
    assert execute_run(db, run.id) == "done"
    yield app
    app.state.queue.shutdown()
    app.state.db.dispose()


#: Examples per operation and generation mode (valid and invalid data); ~20 operations × 2 modes.
EXAMPLES = 25


def test_no_server_errors(fuzz_app):
    """Every operation, with data that fits the schema and data that doesn't: never a 5xx.

    (Driven with Hypothesis directly rather than ``schema.parametrize()``: schemathesis's lazy pytest
    loader does not work with pytest 9.)"""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    headers = {"Authorization": f"Bearer {TOKEN['admin']}"}
    failures: list[str] = []
    operations = 0
    timings: dict[str, float] = {}
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=op.as_strategy(generation_mode=mode))
            def check(case):
                case.call_and_validate(headers=headers, checks=[not_a_server_error])

            t = time.monotonic()
            try:
                check()
            except Unsatisfiable:
                if mode is GenerationMode.POSITIVE:
                    raise
            except Exception as e:  # noqa: BLE001 - collect every operation's failure, report them together
                failures.append(f"{op.method.upper()} {op.path} ({mode.value}): {str(e)[:1500]}")
            timings[f"{op.method.upper()} {op.path} ({mode.value})"] = time.monotonic() - t
    print("\n".join(f"{v:5.1f} s  {k}" for k, v in sorted(timings.items(), key=lambda kv: -kv[1])))
    assert operations >= 15
    assert not failures, "\n\n".join(failures)
