"""Issue 12 leftover: the web app's run page shows the verdict's indices chart (inline SVG, no script) beside
the verdict sentences, for admins; a run whose newcomers are all in one block has no chart."""

from __future__ import annotations

import re

from .test_lawful_page import FLATS, HOUSEHOLDS, run_page, site  # noqa: F401  (site: fixture)
from .test_pages import sign_in


def _development(c, token, flats: str, households: str) -> tuple[str, str]:
    sign_in(c, token)
    dev_url = c.post("/developments", files={"flats": ("flats.csv", flats.encode())},
                     data={"name": "Chart town"}).headers["location"]
    assert c.post(f"{dev_url}/applicants", files={"households": ("hh.csv", households.encode())}).status_code == 303
    return dev_url, re.search(r'<option value="(\d+)"', c.get(dev_url).text).group(1)


def test_run_page_verdict_has_the_indices_chart(site):  # noqa: F811
    c, token = site
    dev_url, app_id = _development(c, token, FLATS, HOUSEHOLDS)
    _, page = run_page(c, dev_url, app_id, [])
    verdict = re.search(r'<section class="card" id="run-verdict">(.*?)</section>', page, re.S)
    assert verdict, "no verdict panel"
    chart = re.search(r'<div id="run-verdict-chart">(.*?)</div>', verdict.group(1), re.S)
    assert chart and "<svg" in chart.group(1) and "<script" not in chart.group(1)
    # Newcomers went into both blocks (8 applicants, 8 vacant homes, every home acceptable): block D is drawn.
    assert "block: D" in chart.group(1)
    assert "script-src 'none'" in c.get(dev_url).headers["content-security-policy"]


def test_no_chart_when_newcomers_fill_one_block(site):  # noqa: F811
    c, token = site
    flats = "flat_id,block_id,neighbourhood_id,occupant_ethnicity\nA-1,A,N1,\nA-2,A,N1,\nB-1,B,N1,White\n"
    households = "household_id,ethnicity\nh1,White\nh2,Asian\n"
    dev_url, app_id = _development(c, token, flats, households)
    _, page = run_page(c, dev_url, app_id, [])
    assert 'id="run-status">done' in page and 'id="run-verdict-chart"' not in page
