"""The UK options report's first screen: the most mixing lawful option first, its cost, and the caveat exactly
where ethnicity caps appear."""

from __future__ import annotations

import pandas as pd

from commonground.report.uk import first_screen, options_table, render
from commonground.simulate.uk_policies import UNLAWFUL


def _summary(policies: dict[str, float]) -> pd.DataFrame:
    rows = []
    for pol, d in policies.items():
        for metric, v in (("new.dissimilarity", d), ("block.dissimilarity", 0.5), ("left_unhoused", 7.0),
                          ("uk.new_homes_empty", 2.0)):
            rows.append({"authority": "Oldham", "scenario": "as-in-2023", "policy": pol, "year": 10,
                         "metric": metric, "mean": v, "q05": v - 0.01, "q95": v + 0.01})
    return pd.DataFrame(rows)


def test_first_screen_names_the_most_mixing_lawful_option_and_its_cost():
    t = options_table(_summary({"do nothing": 0.40, "pepper-potted tenure": 0.30,
                                "ethnic caps (analysis only: unlawful)": 0.10}))
    assert t.loc[t.policy == "pepper-potted tenure", "change_vs_nothing"].iloc[0] == -0.10000000000000003
    screen = first_screen(t)
    assert "<b>pepper-potted tenure</b> keeps new homes most mixed" in screen  # caps excluded though lower
    assert "new-home D 0.300" in screen and "doing nothing 0.400" in screen and "7 households" in screen
    page = render(t, "x")
    assert UNLAWFUL.split(" — ")[0].replace("'", "&#x27;") in page
    assert page.index("Lawful use") < page.index("keeps new homes most mixed")  # caveat on the first screen


def test_no_caveat_without_ethnicity_caps():
    page = render(options_table(_summary({"do nothing": 0.4, "a few large sites": 0.2})), "x")
    assert "Lawful use" not in page and "Equality Act" not in page


def test_write_report_writes_the_table_and_page(tmp_path):
    from commonground.report.uk import write_report

    s = _summary({"do nothing": 0.4, "a few large sites": 0.2})
    extra = s[s.metric == "block.dissimilarity"].assign(metric="block.isolation.White", mean=0.8)
    t = write_report(pd.concat([s, extra]), tmp_path / "rep", "t")
    assert sorted(p.name for p in (tmp_path / "rep").iterdir()) == ["options.csv", "report.html"]
    back = pd.read_csv(tmp_path / "rep" / "options.csv")
    assert back["block.isolation.White"].tolist() == [0.8, 0.8] and len(t) == 2
    assert "White isolation (block)" in (tmp_path / "rep" / "report.html").read_text()
