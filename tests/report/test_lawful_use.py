"""Issue 13: every CLI summary and allocation report showing an ethnicity cap on a GB run says it would be unlawful
to allocate by it (Equality Act 2010 s.13) and why — and a Singapore run does not get the sentence."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from commonground.cli import app
from commonground.policy import load_policy
from commonground.policy.lawful import UNLAWFUL, caveat, is_ethnicity, is_gb, policy_caveat
from commonground.report import render_report
from commonground.report.api import render_comparison_report
from commonground.scenarios import get_scenario


def flat(text: str) -> str:
    """Rich wraps long lines at the terminal width; compare with whitespace collapsed."""
    return " ".join(text.split())


SENTENCE = flat(UNLAWFUL)
ESCAPED = html.escape(UNLAWFUL)


def test_the_rule():
    # The sentence says what is unlawful and why (the wording: s.13, direct discrimination).
    assert "Equality Act 2010 s.13" in UNLAWFUL and "direct discrimination" in UNLAWFUL and "race" in UNLAWFUL
    assert policy_caveat(load_policy("uk-balanced-example")) == UNLAWFUL
    assert policy_caveat(load_policy("sg-eip-2010")) is None  # Singapore: lawful there, no sentence
    assert policy_caveat(load_policy("sg-eip-2010"), scenario="uk-town") == UNLAWFUL  # EIP caps on the UK town
    assert policy_caveat(load_policy("sg-eip-2010,uk-balanced-example")) == UNLAWFUL  # a comma-joined part
    assert policy_caveat(load_policy("uk-balanced-example").without_caps()) is None  # no cap, nothing to warn
    assert caveat(["ethnicity"], town_kinds=["census"]) == UNLAWFUL
    assert caveat(["tenure", "working"], policy_names=["uk-local-lettings"]) is None  # lawful local lettings
    for name in ("ethnicity", "Ethnic_Group", "race", "national_origin", "nationality", "skin colour"):
        assert is_ethnicity(name), name
    for name in ("terrace", "tenure", "residency", "national_insurance", "priority"):
        assert not is_ethnicity(name), name


@given(st.lists(st.sampled_from(["sg-eip-2010", "sg-spr", "none", "my-policy", "uk-x", "UK-y"]), max_size=3),
       st.sampled_from([None, "sg-bto", "uk-town", "uk-borough"]),
       st.lists(st.sampled_from(["census", "english", "uk-town", "singapore", "grid"]), max_size=2))
def test_gb_is_any_uk_marker(policies, scenario, kinds):
    expected = (any(p.lower().startswith("uk-") for p in policies) or (scenario or "").startswith("uk-")
                or any(k in ("census", "english", "uk-town") for k in kinds))
    assert is_gb(policy_names=[",".join(policies)], scenario=scenario, town_kinds=kinds) == expected
    assert (caveat(["ethnicity"], policy_names=policies, scenario=scenario, town_kinds=kinds) is not None) == expected
    assert caveat(["tenure"], policy_names=policies, scenario=scenario, town_kinds=kinds) is None


def test_uk_town_demo_cli_and_report_say_it(uk_demo_dir, tmp_path):
    res = CliRunner().invoke(app, ["demo", "--scenario", "uk-town", "--out", str(tmp_path / "d"), "--seed", "0"])
    assert res.exit_code == 0, res.output
    assert SENTENCE in flat(res.output)
    # The report demo wrote from memory, and the one `commonground report` renders from the folder.
    written = (uk_demo_dir / "report.html").read_text(encoding="utf-8")
    assert ESCAPED in written and 'id="lawful-use"' in written
    assert written.index('id="lawful-use"') < written.index('id="verdict"')  # first, before the verdict
    assert ESCAPED in render_report(uk_demo_dir)
    assert ESCAPED in render_report(uk_demo_dir / "with-caps")  # one allocation of the comparison


def test_allocate_cli_says_it_for_a_uk_policy(tmp_path):
    get_scenario("uk-town").write_inputs(tmp_path / "in")
    args = ["allocate", "--flats", str(tmp_path / "in/flats.csv"), "--households", str(tmp_path / "in/households.csv"),
            "--mechanism", "ballot", "--seed", "1"]
    res = CliRunner().invoke(app, [*args, "--policy", "uk-balanced-example", "--out", str(tmp_path / "uk")])
    assert res.exit_code == 0, res.output
    assert SENTENCE in flat(res.output)
    assert ESCAPED in render_report(tmp_path / "uk")
    # Without caps the same town gets no sentence: nothing is capped by ethnicity.
    res = CliRunner().invoke(app, [*args, "--policy", "none", "--out", str(tmp_path / "none")])
    assert res.exit_code == 0, res.output
    assert "s.13" not in res.output and "s.13" not in render_report(tmp_path / "none")


def test_singapore_reports_do_not_say_it(demo_html, sg):
    assert "s.13" not in demo_html and 'id="lawful-use"' not in demo_html
    _, results = sg
    assert "s.13" not in render_comparison_report(results)


@pytest.mark.parametrize("scenario", ["uk-town", None])
def test_in_memory_comparison_report(scenario):
    from commonground.allocate import allocate

    sc = get_scenario("sg-bto")
    results = {"eip": allocate(sc.problem, sc.policy, "ballot", seed=0)}
    page = render_comparison_report(results, scenario=scenario)
    assert (ESCAPED in page) == (scenario is not None)  # sg-eip caps are only a GB matter on a uk- scenario


def test_price_of_diversity_cli_and_report_say_it(tmp_path):
    out = tmp_path / "pod"
    res = CliRunner().invoke(app, ["price-of-diversity", "--scenario", "uk-town", "--seeds", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert SENTENCE in flat(res.output)
    page = render_report(out)
    assert ESCAPED in page and page.index('id="lawful-use"') < page.index('id="price-of-diversity"')
    # sg-bto under its own (Singapore) policy: no sentence in either.
    res = CliRunner().invoke(app, ["price-of-diversity", "--scenario", "sg-bto", "--seeds", "1", "--out",
                                   str(tmp_path / "sg")])
    assert res.exit_code == 0, res.output
    assert "s.13" not in res.output and "s.13" not in render_report(tmp_path / "sg")


def test_named_policy_rule():
    from commonground.policy.lawful import named_policy_caveat

    assert named_policy_caveat("uk-balanced-example") == UNLAWFUL
    assert named_policy_caveat("sg-eip-2010") is None
    assert named_policy_caveat("sg-eip-2010", scenario="uk-town") == UNLAWFUL
    assert named_policy_caveat("uk-gone-missing.toml") == UNLAWFUL  # cannot check its caps on a GB run: say it
    assert named_policy_caveat("none", scenario="uk-town") is None  # loadable, no caps


def test_simulation_settings_follow_the_same_rule():
    from commonground.report.uk import caps_ethnicity_on_gb_town

    def settings(kind, caps):
        return {"simulation": {"scenarios": {"s": {"town": {"kind": kind}}}, "policies": [{"caps": caps}]}}

    assert caps_ethnicity_on_gb_town(settings("census", "sg-eip-2010"))  # a GB town
    assert caps_ethnicity_on_gb_town(settings("grid", "uk-balanced-example"))  # a uk- policy on any town
    assert not caps_ethnicity_on_gb_town(settings("grid", "sg-eip-2010"))  # Singapore: lawful there
    assert not caps_ethnicity_on_gb_town(settings("census", "none"))  # no ethnicity cap
