"""Each report kind opened in headless Chromium (Playwright): the verdict panel is on the first screen and its
numbers match the output tables; printing to PDF keeps every column header of every table (including the
tables in collapsed sections) in the PDF's text. Screenshots and PDFs go to test-artifacts/report/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from commonground.cli import app
from commonground.io.schema import write_manifest
from commonground.report import write_report

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"
VIEWPORT = {"width": 1280, "height": 900}


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _open(browser, html_path: Path, name: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(html_path.resolve().as_uri())
    page.screenshot(path=ARTIFACTS / f"{name}-first-screen.png")
    page.screenshot(path=ARTIFACTS / f"{name}-full.png", full_page=True)
    return page


def _figures(page) -> dict[str, str]:
    return page.eval_on_selector_all("#verdict .fig[data-key]",
                                     "els => Object.fromEntries(els.map(e => [e.dataset.key, e.textContent]))")


def _verdict_on_first_screen(page) -> None:
    box = page.locator("#verdict").bounding_box()
    assert box is not None and box["y"] < VIEWPORT["height"] / 2, box
    assert page.locator("section").first.get_attribute("id") == "verdict"


def _pdf_keeps_every_column(page, name: str) -> None:
    """Print to PDF (A4, print CSS) and check each table's column headers appear in the PDF text."""
    from pypdf import PdfReader

    headers = page.eval_on_selector_all("table th[scope=col]", "els => els.map(e => e.textContent)")
    assert headers
    pdf = ARTIFACTS / f"{name}.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    text = _squash("".join(p.extract_text() or "" for p in PdfReader(pdf).pages))
    missing = sorted({h for h in headers if _squash(h) and _squash(h) not in text})
    assert not missing, f"{len(missing)} column header(s) missing from the PDF: {missing[:10]}"


def _allocation_checks(page, folder: Path, labels: list[str]) -> None:
    figs = _figures(page)
    for label in labels:
        s = json.loads((folder / label.replace(" ", "-") / "summary.json").read_text())
        assert figs[f"allocated:{label}"] == f"{s['allocated']:,}"
        assert figs[f"left-empty:{label}"] == f"{s['flats_left_vacant']:,}"
        assert figs[f"welfare:{label}"] == f"{s['welfare']:,.1f}"
        g = pd.read_csv(folder / label.replace(" ", "-") / "groups.csv", dtype={"value": str})
        for row in g[g["attribute"] == "ethnicity"].itertuples():
            key = f"housed:{label}:{row.value}"
            if key in figs:
                assert figs[key] == f"{row.allocated:,}", key
    assert figs["vacant-flats"] == f"{s['vacant_flats']:,}"


@pytest.mark.parametrize("scenario", ["uk-town", "sg-bto"])
def test_comparison_report_in_chromium(chromium_browser, tmp_path, scenario):
    out = tmp_path / scenario
    res = CliRunner().invoke(app, ["demo", "--scenario", scenario, "--out", str(out), "--seed", "0"])
    assert res.exit_code == 0, res.output
    html = write_report(out, out / "from-files.html")
    page = _open(chromium_browser, html, f"comparison-{scenario}")
    _verdict_on_first_screen(page)
    _allocation_checks(page, out, ["with caps", "without caps"])
    first_screen = page.evaluate("() => document.querySelector('#verdict').innerText")
    if scenario == "uk-town":
        assert "The caps left 74 homes empty" in first_screen
        assert "Groups housed less because of the caps (ethnicity): Asian" in first_screen
    else:
        assert "N2-E09" in first_screen and "already over a cap" in first_screen
    _pdf_keeps_every_column(page, f"comparison-{scenario}")
    page.close()


def test_single_allocation_report_in_chromium(chromium_browser, tiny):
    root, _ = tiny
    html = write_report(root / "run", root / "run.html")
    page = _open(chromium_browser, html, "allocation")
    _verdict_on_first_screen(page)
    s = json.loads((root / "run" / "summary.json").read_text())
    figs = _figures(page)
    assert figs["allocated:run"] == f"{s['allocated']:,}" and figs["left-empty:run"] == f"{s['flats_left_vacant']:,}"
    _pdf_keeps_every_column(page, "allocation")
    page.close()


def test_simulation_report_in_chromium(chromium_browser, tmp_path):
    """A synthetic results table with known medians: final-year block index = 0.3 + replicate/100 (no caps),
    0.2 + replicate/100 (caps), replicates 0..10, so the medians are 0.35 and 0.25."""
    rows = [("town", pol, r, y, "block.dissimilarity", base + r / 100 + (0.05 if y == 0 else 0))
            for pol, base in (("no caps", 0.3), ("caps", 0.2)) for r in range(11) for y in range(3)]
    rows += [("town", pol, r, y, "sellers_refused_by_cap", float(pol == "caps"))
             for pol in ("no caps", "caps") for r in range(11) for y in range(3)]
    folder = tmp_path / "sim"
    folder.mkdir()
    pd.DataFrame(rows, columns=["scenario", "policy", "replicate", "year", "metric", "value"]).to_csv(
        folder / "results.csv", index=False)
    write_manifest(folder, "simulation")  # a simulation folder assembled by hand, declared as one
    html = write_report(folder)
    page = _open(chromium_browser, html, "simulation")
    _verdict_on_first_screen(page)
    figs = _figures(page)
    assert figs["town:no caps:block.dissimilarity"] == "0.350"
    assert figs["town:caps:block.dissimilarity"] == "0.250"
    assert "sellers refused by cap (all years)" in page.inner_text("#verdict")
    _pdf_keeps_every_column(page, "simulation")
    page.close()


def test_print_opens_collapsed_sections(chromium_browser, uk_demo_dir):
    """The household table sits in a collapsed <details>; in print media it is shown, and beforeprint opens it."""
    html = write_report(uk_demo_dir, uk_demo_dir / "print.html")
    page = _open(chromium_browser, html, "print-details")
    assert page.locator("details:not([open])").count() > 0
    page.emulate_media(media="print")
    assert page.is_visible("#who-lost-and-who-gained-a-home details table")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("details:not([open])").count() == 0
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    assert page.locator("details[open]").count() == 0
    page.close()


def test_measurement_report_search_and_pages_in_chromium(chromium_browser, tmp_path):
    n = 120
    df = pd.DataFrame({"region": [f"R{i:03d}" for i in range(n)], "theil_h": [i / 1000 for i in range(n)],
                       "multi_dissimilarity": [0.5] * n})
    df.to_csv(tmp_path / "idx.csv", index=False)
    html = write_report(tmp_path / "idx.csv")
    page = _open(chromium_browser, html, "measurement")
    rows = page.locator("[data-paged] tbody tr")
    assert rows.count() == n
    visible = page.locator("[data-paged] tbody tr:not([hidden])")
    assert visible.count() == 50 and visible.first.inner_text().startswith("R119")  # highest theil_h first
    page.fill(".table-tools input", "R007")
    assert visible.count() == 1
    page.fill(".table-tools input", "")
    page.click(".table-tools button[data-step='1']")
    assert visible.first.inner_text().startswith("R069")
    _pdf_keeps_every_column(page, "measurement")
    page.close()


def test_price_of_diversity_report_in_chromium(chromium_browser, tmp_path):
    out = tmp_path / "pod"
    res = CliRunner().invoke(app, ["price-of-diversity", "--scenario", "sg-bto", "--seeds", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = write_report(out)
    page = _open(chromium_browser, html, "price-of-diversity")
    s = json.loads((out / "price_of_diversity.json").read_text())
    cards = page.eval_on_selector_all(".card", "els => Object.fromEntries(els.map(e => "
                                               "[e.querySelector('.label').textContent, "
                                               "e.querySelector('.value').textContent]))")
    assert cards["price of diversity (optimal)"] == f"{s['price_of_diversity']:.4f}"
    groups = pd.read_csv(out / "groups.csv")
    if (groups["share_housed"] == 0).any():  # docs/price_of_diversity.md: the optimum houses no "Others"
        assert page.locator(".caution").count() > 0
    _pdf_keeps_every_column(page, "price-of-diversity")
    page.close()
