"""Each lawful council option moves outcomes in the direction and by the size docs/uk.md gives, on a small
synthetic town whose answer is known by hand: two neighbourhoods, one all White British and one all
Pakistani, with rates overridden to 0 or 1 so each option's effect is all-or-nothing."""

from __future__ import annotations

import pytest

from commonground.errors import PolicyError
from commonground.simulate.model import TownModel
from commonground.simulate.params import PolicySpec, params_from_dict
from commonground.simulate.spec import simulation_from_dict
from commonground.simulate.uk_migration import arrivals_per_year, authority_share
from commonground.simulate.uk_policies import UNLAWFUL, council_from_dict
from commonground.simulate.uk_rates import UK_POPULATION_2011

from .uk_helpers import two_sided_town

# White households all want social rent and all work; Asian households all want to buy and none work.
SPLIT_RATES = {"social_rent": {"WhiteBrit": 1.0, "Pakistani": 0.0},
               "owner_occupied": {"WhiteBrit": 0.0, "Pakistani": 1.0},
               "employment": {"WhiteBrit": 1.0, "Pakistani": 0.0}}


def _params(path, **over):
    base = {"years": 1,
            "town": {"kind": "census", "path": str(path), "authority": "Testham", "occupancy": 1.0},
            # many applicants of both groups, half and half; nobody moves or leaves
            "migration": {"net_per_year": 100_000.0, "rule": "fixed", "population_share": 0.01,
                          "formation_rate": 0.0, "departure_rate": 0.0, "mix": {"White": 0.5, "Asian": 0.5}},
            "launches": {"homes_per_year": 60, "block_size": 20, "mechanism": "cbl", "applicants_per_home": 3.0},
            "behaviour": {"base_move_rate": 0.0, "unhappy_move_rate": 0.0}}
    for k, v in over.items():
        base[k] = {**base.get(k, {}), **v}
    return params_from_dict(base)


def _run(params, council, seed=1, kind="none", caps=""):
    pol = PolicySpec("p", kind=kind, caps=caps, council=council_from_dict(council, "test"))
    df = TownModel(params, pol, seed).run()
    return df[df.year == 1].set_index("metric")["value"]


@pytest.fixture
def town(tmp_path):
    return two_sided_town(tmp_path / "t.csv")


def test_tenure_by_block_separates_groups_and_pepper_potting_mixes_them(town):
    """With tenure demand split wholly by group, tenure by block makes every new block one group (D = 1);
    pepper-potting half social / half market makes every block half and half (D = 0)."""
    p = _params(town)
    mix = {"social": 0.5, "shared": 0.0, "market": 0.5}
    by_block = _run(p, {"tenure": "by-block", "tenure_mix": mix, "rates": SPLIT_RATES})
    pepper = _run(p, {"tenure": "pepper-potted", "tenure_mix": mix, "rates": SPLIT_RATES})
    assert by_block["uk.new_homes_empty"] == 0 and pepper["uk.new_homes_empty"] == 0
    assert by_block["new.dissimilarity"] == pytest.approx(1.0)
    assert pepper["new.dissimilarity"] == pytest.approx(0.0, abs=1e-12)
    assert pepper["uk.let.social"] == 30 and pepper["uk.social_lettings.White"] == 30


def test_a_few_large_sites_mix_applicants_that_dispersed_sites_let_sort(town):
    """Applicants who strongly prefer their own group's neighbourhood sort into it when new blocks are in
    both neighbourhoods (dispersed); on one site they share the same blocks, so new homes mix."""
    p = _params(town, launches={"mix_weight": 50.0, "homes_per_year": 80})
    dispersed = _run(p, {"tenure": "none", "sites": "dispersed"})
    large = _run(p, {"tenure": "none", "sites": "large", "site_neighbourhoods": ["E01A"]})
    assert dispersed["new.dissimilarity"] > 0.8
    assert large["new.dissimilarity"] < 0.3
    assert dispersed["new.dissimilarity"] - large["new.dissimilarity"] > 0.5


def test_working_households_quota_excludes_groups_with_no_workers_and_halves_at_half(town):
    p = _params(town)
    common = {"tenure": "none", "rates": SPLIT_RATES}
    none = _run(p, {**common, "working_share": 0.0})
    all_ = _run(p, {**common, "working_share": 1.0})
    half = _run(p, {**common, "working_share": 0.5})
    assert none["uk.social_lettings.Asian"] > 15  # about half of 60 without the rule
    assert all_["uk.social_lettings.Asian"] == 0 and all_["uk.social_lettings.White"] == 60
    # strict rounding: at most floor(0.5 × 20) non-working households in each of the 3 blocks of 20
    assert half["uk.social_lettings.Asian"] <= 30 and half["uk.social_lettings.White"] >= 30


def test_local_connection_quota_leaves_homes_empty_when_only_migrants_apply(town):
    """Arrivals from abroad have no local connection: with every social letting reserved for local households
    and only arrivals looking, no new home is let — the cost shows as empty homes."""
    p = _params(town)
    out = _run(p, {"tenure": "none", "local_share": 1.0})
    assert out["uk.new_homes_empty"] == 60 and out["uk.social_lettings.local"] == 0
    free = _run(p, {"tenure": "none", "local_share": 0.0})
    assert free["uk.new_homes_empty"] == 0


def test_migration_rules_apportion_by_hand(town):
    """Testham: 920 White British (2.3 persons) + 920 Pakistani (4.1) persons; Otherton 2,000 persons."""
    base = {"years": 1, "town": {"kind": "census", "path": str(town), "authority": "Testham"},
            "migration": {"net_per_year": 906_000.0, "mix": {"White": 0.5, "Asian": 0.5}}}
    p = params_from_dict(base)
    assert authority_share(p) == pytest.approx(1840 / UK_POPULATION_2011)
    groups = ("White", "Mixed", "Asian", "Black", "Other")
    import numpy as np

    mix = np.array([0.5, 0, 0.5, 0, 0])
    assert arrivals_per_year(p, groups, mix) == pytest.approx(906_000 * 1840 / UK_POPULATION_2011 / 3.2)
    pm = params_from_dict({**base, "migration": {**base["migration"], "rule": "minority"}})
    # minorities in the table: Testham 920 Pakistani, Otherton 1,000 Indian → 920 / 1920, × E&W share of UK
    assert authority_share(pm) == pytest.approx(920 / 1920 * 56_075_912 / UK_POPULATION_2011)


def test_bad_council_options_are_one_line_errors(town):
    for bad, msg in [({"tenure": "mixed"}, "tenure must be"), ({"working_share": 1.5}, "working_share"),
                     ({"colour": 1}, "unknown key 'colour'"), ({"rates": {"employment": {"Martian": 1}}},
                                                                  "names group 'Martian'")]:
        with pytest.raises(PolicyError, match=msg):
            council_from_dict(bad, "policy 'x'")


def test_ethnic_caps_on_a_census_town_carry_the_caveat(town, tmp_path):
    from typer.testing import CliRunner

    from commonground.cli import app

    sim = tmp_path / "caps.toml"
    sim.write_text(f'name = "c"\nyears = 1\nreplicates = 1\n[town]\nkind = "census"\npath = "{town}"\n'
                   'authority = "Testham"\n[[policies]]\nname = "caps"\nkind = "caps-new"\n'
                   'caps = "uk-balanced-example"\ncouncil = {}\n')
    r = CliRunner().invoke(app, ["simulate", str(sim), "--in-process", "--no-plots", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())
    assert "Equality Act 2010 s.13" in flat and UNLAWFUL.split(":")[0] in flat
    # ... and so does the report of that simulation folder; a lawful-only simulation's report does not
    rep = CliRunner().invoke(app, ["report", str(tmp_path / "o"), "--out", str(tmp_path / "o.html")])
    assert rep.exit_code == 0, rep.output
    assert "Equality Act 2010 s.13" in (tmp_path / "o.html").read_text(encoding="utf-8")
    lawful = tmp_path / "lawful.toml"
    lawful.write_text(sim.read_text().replace('kind = "caps-new"\ncaps = "uk-balanced-example"\n', ""))
    r = CliRunner().invoke(app, ["simulate", str(lawful), "--in-process", "--no-plots", "--out", str(tmp_path / "l")])
    assert r.exit_code == 0, r.output
    assert "Equality Act" not in r.output
    rep = CliRunner().invoke(app, ["report", str(tmp_path / "l"), "--out", str(tmp_path / "l.html")])
    assert rep.exit_code == 0 and "Equality Act" not in (tmp_path / "l.html").read_text(encoding="utf-8")


def test_every_sourced_rate_is_cited_in_the_docs():
    """docs/uk.md must show every sourced value and say which are illustrative (a rate changed in code without
    the docs fails here)."""
    from pathlib import Path

    from commonground.simulate.uk_rates import rate_table

    doc = (Path(__file__).resolve().parents[2] / "docs" / "uk.md").read_text(encoding="utf-8")
    for r in rate_table():
        v = float(r["value"])
        shown = f"{v:g}" if r["rate"] == "household_size" else f"{v * 100:g} %"
        assert shown in doc, (r["rate"], r["group"], shown)
        assert r["sourced"] or r["source"].startswith("illustrative")
    assert "illustrative" in doc and "Equality Act 2010 s.13" in doc


def test_detailed_groups_use_their_own_rates(town):
    """With the 15 detailed groups each group draws from its own rates (no broad averaging)."""
    p = _params(town, town={"groups": "detailed"}, migration={"mix": {"WhiteBrit": 0.5, "Pakistani": 0.5}})
    m = TownModel(p, PolicySpec("p", council=council_from_dict({"tenure": "by-block"}, "t")), 1)
    from commonground.simulate.uk_rates import DETAILED, EMPLOYMENT

    assert m.uk_rates["employment"][DETAILED.index("Pakistani")] == EMPLOYMENT["Pakistani"].value
    out = m.run()
    assert out[(out.year == 1) & (out.metric == "uk.new_homes")].value.iloc[0] == 60


def test_uk_borough_builtin_is_oldham_with_every_option(tmp_path):
    """The built-in: Oldham by default, six lawful options + ethnic caps, migration as in 2023 and 2025, new homes
    0.6 % of households a year in blocks of 30; ethnic caps flagged for the caveat."""
    from commonground.simulate.uk_builtin import ethnic_caps_in, uk_borough

    from .uk_helpers import SHARED

    if not (SHARED / "ew_census2011_ethnicity_oa.csv").is_file():
        pytest.skip("needs ../shared/data")
    sim = simulation_from_dict(uk_borough(SHARED))
    assert sim.name == "uk-borough (Oldham)"
    assert [n for n, _ in sim.scenarios] == ["as-in-2023", "as-in-2025"]
    assert dict(sim.scenarios)["as-in-2023"].migration.net_per_year == 906_000
    assert len(sim.policies) == 7 and sim.policies[0].name == "do nothing"
    assert dict(sim.scenarios)["as-in-2025"].launches.homes_per_year % 30 == 0
    assert ethnic_caps_in(sim)
    lawful = simulation_from_dict({**uk_borough(SHARED), "policies": uk_borough(SHARED)["policies"][:-1]})
    assert not ethnic_caps_in(lawful)
