"""Allocation and comparison reports: the demo's (real results of the built-in scenario) and a tiny one."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from commonground.allocate import allocate
from commonground.io.schema import write_manifest
from commonground.measure import measure_allocation
from commonground.policy import load_policy
from commonground.report import render_report, write_comparison_report, write_report
from commonground.report.allocation import map_section, skipped_section
from commonground.report.data import AllocationData
from commonground.report.figures import new_figure, to_svg
from commonground.report.outcomes import outcome_table, reason_category
from commonground.scenarios import get_scenario

from .conftest import tiny_inputs
from .helpers import card, check_page, section_ids

SECTIONS = {"key-numbers", "welfare-and-the-price-of-diversity", "who-was-housed", "who-was-skipped-and-why",
            "composition-against-caps", "cap-utilisation", "segregation-indices", "run-details"}


def test_demo_writes_a_self_contained_comparison_report(demo_dir, demo_html, sg):
    html = demo_html
    page = check_page(html)
    text = " ".join(page.text)
    demo = json.loads((demo_dir / "demo.json").read_text())
    # The key-numbers table has one column per result, with the allocated counts from the summaries.
    row = re.search(r"<td>allocated</td><td>([^<]*)</td><td>([^<]*)</td>", html)
    assert row and row.groups() == (f"{demo['with caps']['allocated']:,}", f"{demo['without caps']['allocated']:,}")
    row = re.search(r"<td>binding cap limits</td><td>([^<]*)</td><td>([^<]*)</td>", html)
    assert row and row.groups() == (str(demo["with caps"]["binding_caps"]), "0")
    sc, _ = sg
    for block in sc.problem.development.block_ids:
        assert block in text, block
    # sg-eip-2010: Chinese block cap 87%, Malay 25%, neighbourhood 84%; sg-spr: SPR 8% per block.
    for cap in ("Chinese (cap 87%)", "Malay (cap 25%)", "Chinese (cap 84%)", "SPR (cap 8%)"):
        assert cap in text
    assert set(section_ids(html)) >= SECTIONS
    # sg-bto carries real Punggol block positions (embedded from the geocoded HDB property file).
    assert "map-of-blocks" in section_ids(html)


def test_price_of_diversity_of_the_comparison(sg, demo_html):
    _, results = sg  # the demo's results: same scenario, same seed
    w_cap, w_free = results["with caps"].welfare(), results["without caps"].welfare()
    assert card(demo_html, "price of diversity (with caps)") == f"{w_free / w_cap:.4f}"
    assert f"{w_cap:,.1f}" in demo_html and f"{w_free:,.1f}" in demo_html


def test_segregation_indices_are_those_of_the_measure_module(sg, demo_html):
    _, results = sg
    for level in ("block", "neighbourhood"):
        row = re.search(rf"<td>ethnicity</td><td>{level}</td><td>multigroup D</td><td class=\"num\">([^<]*)</td>"
                        r"<td class=\"num\">([^<]*)</td><td class=\"num\">([^<]*)</td>", demo_html)
        assert row, level
        for label, cell in (("with caps", row.group(2)), ("without caps", row.group(3))):
            d = measure_allocation(results[label], "ethnicity", level, ["multi_dissimilarity"])
            assert cell == f"{d['multi_dissimilarity'].iloc[0]:.4f}"
        before = measure_allocation(results["with caps"], "ethnicity", level, ["multi_dissimilarity"], when="before")
        assert row.group(1) == f"{before['multi_dissimilarity'].iloc[0]:.4f}"


def test_folder_comparison_equals_the_in_memory_one(demo_dir, demo_html):
    """``commonground report out/demo`` (from the files) and the demo's report (from memory) agree on every
    table cell, except the folder names."""
    from_disk = render_report(demo_dir)
    check_page(from_disk)
    cells = re.compile(r"<td[^>]*>([^<]*)</td>")
    assert [c for c in cells.findall(from_disk) if "/" not in c] == \
        [c for c in cells.findall(demo_html) if "/" not in c]
    assert section_ids(from_disk) == section_ids(demo_html)


def test_folder_report_matches_the_written_files(tiny):
    root, result = tiny
    folder = root / "run"
    html = render_report(folder)
    page = check_page(html)
    summary = json.loads((folder / "summary.json").read_text())
    assert card(html, "allocated") == f"{summary['allocated']:,}" == "15"
    assert card(html, "households") == "24"
    assert card(html, "binding cap limits") == str(summary["binding_caps"]) == "6"
    assert card(html, "skipped because of a cap") == "8"  # 5 + 2 + 1 in summary.json's skip reasons
    # B2 (new): 8 of 10 dwellings; both blocks had vacant flats, so no block counts as existing.
    assert card(html, "largest group share in a block with new homes") == "80.0% Chinese (B2)"
    assert "largest group share in an existing block" not in html
    caps = pd.read_csv(folder / "caps.csv", dtype={"unit_id": str})
    for _, r in caps[caps["utilisation"] >= 0.95].iterrows():  # every limit at its cap, with count and maximum
        assert re.search(rf"<td>{r['unit_id']}</td><td>{re.escape(r['limit'])}</td><td class=\"num\">"
                         rf"{r['share_limit']:.1%}</td><td class=\"num\">{r['units']:,}</td><td class=\"num\">"
                         rf"{r['count']:,}</td><td class=\"num\">{r['max_count']:,}</td>", html), r.to_dict()
    # Per limit: units capped, at or over the cap, over it (B1 has 3 Malay residents against a maximum of 2).
    assert ("<td>ethnicity</td><td>block</td><td>Malay</td><td class=\"num\">25.0%</td><td class=\"num\">2</td>"
            "<td class=\"num\">1</td><td class=\"num\">1</td>") in html
    groups = pd.read_csv(folder / "groups.csv")
    for _, g in groups.iterrows():
        assert f"<td>{g['value']}</td><td class=\"num\">{g['applicants']:,}</td><td class=\"num\">" \
               f"{g['allocated']:,}</td>" in html
    text = " ".join(page.text)
    assert "B1" in text and "B2" in text and "Malay (cap 25%)" in text and "Malay (cap 22%)" in text
    assert "No uncapped run to compare with" in html
    # The coordinates in ../inputs/flats.csv (the demo layout) give a map.
    assert "map-of-blocks" in section_ids(html)
    map_html = re.search(r'<section id="map-of-blocks">(.*?)</section>', html, re.S).group(1)
    comp = pd.read_csv(folder / "composition.csv")
    blocks = comp[(comp["level"] == "block") & (comp["attribute"] == "ethnicity")]
    largest = set(blocks.sort_values("share").groupby("unit_id")["value"].last())
    legend = set(re.findall(r"<!-- (\w+) -->", map_html)) | set(re.findall(r">([A-Za-z]+)</text>", map_html))
    assert largest <= legend, (largest, legend)  # the legend names each block's largest group
    assert "largest group" in map_html and re.search(r">[\d.]+ km</text>", map_html)  # scale bar
    assert ">N1</text>" in map_html  # the neighbourhood outline's label (inputs/flats.csv's neighbourhood_id)
    # A web app rendering from a temporary copy names the run instead of the path.
    named = render_report(folder, source="run 7")
    assert str(folder) not in named and "<dd>run 7</dd>" in named and "from <code>run 7</code>" in named


def test_skipped_by_reason_per_group_counts_every_household():
    sc = get_scenario("uk-town")
    a = allocate(sc.problem, sc.policy, sc.mechanism, seed=0)
    hh = a.households_frame()
    tab = outcome_table(hh, "ethnicity")
    groups = a.group_outcomes().set_index("value")
    assert (tab["applicants"] == groups["applicants"].reindex(tab.index)).all()
    assert (tab["housed"] == groups["allocated"].reindex(tab.index)).all()
    assert tab.drop(columns="applicants").sum(axis=1).eq(tab["applicants"]).all()
    cap_cols = [c for c in tab.columns if " cap " in c]
    assert cap_cols and tab[cap_cols].to_numpy().sum() == sum(" cap " in r for r in a.reason)
    # One category per cap limit whatever the block: "block Outer-N5: White cap 85% reached" -> "White cap 85% (block)"
    white = int(sum(r.endswith("White cap 85% reached") for r in a.reason))
    assert white > 0 and tab["White cap 85% (block)"].sum() == white
    sec = skipped_section([AllocationData.from_allocation("cbl", a)])
    html = "".join(sec.blocks)
    skipped_white = int(tab.loc["White", "White cap 85% (block)"])
    assert f"<td>White</td><td>White cap 85% (block)</td><td class=\"num\">{skipped_white:,}</td>" in html
    assert html.count("<svg") == 1  # one outcome chart for the one attribute


def test_reason_categories():
    assert reason_category("") == "housed"
    assert reason_category("block N1-B3: Malay cap 25% reached") == "Malay cap 25% (block)"
    assert reason_category("neighbourhood N 2: Indian and Others cap 12% reached") == \
        "Indian and Others cap 12% (neighbourhood)"
    assert reason_category("every acceptable flat was taken before its turn") == \
        "every acceptable flat was taken before its turn"


def test_block_coordinates_from_memory_blocks_csv_or_inputs(tiny, tmp_path):
    root, result = tiny
    mem = AllocationData.from_allocation("x", result)  # read_problem kept the flats' lat/lng per block
    assert mem.blocks is not None and list(mem.blocks["block_id"]) == ["B1", "B2"]
    assert mem.blocks["lat"].tolist() == pytest.approx([1.35, 1.352])
    disk = AllocationData.from_folder(root / "run", coordinate_folders=(root,))
    assert disk.blocks is not None and disk.blocks["lng"].tolist() == pytest.approx([103.94, 103.943])
    # Copied elsewhere without inputs: allocation.csv's lat/lng (each housed household's block) place the blocks
    # anyone moved into.
    result.write(tmp_path / "run")
    alone = AllocationData.from_folder(tmp_path / "run", coordinate_folders=(tmp_path,))
    housed = result.households_frame().dropna(subset=["block_id"])
    assert set(alone.blocks["block_id"]) == set(housed["block_id"])
    assert alone.blocks.set_index("block_id")["lat"].to_dict() == pytest.approx(
        housed.groupby("block_id")["lat"].first().to_dict())
    # Without lat/lng anywhere: no coordinates, no map; a blocks.csv brings them back (rows without numbers are
    # dropped and reported as missing).
    bare = allocate(tiny_inputs(tmp_path / "bare-inputs", coordinates=False), load_policy("sg-eip-2010"), "ballot",
                    seed=1)
    bare.write(tmp_path / "run", force=True)
    alone = AllocationData.from_folder(tmp_path / "run", coordinate_folders=(tmp_path,))
    assert alone.blocks is None and not map_section([alone]).blocks
    pd.DataFrame({"block_id": ["B1", "B2"], "lat": [1.3, None], "lng": [103.9, 103.9]}).to_csv(
        tmp_path / "run" / "blocks.csv", index=False)
    one = AllocationData.from_folder(tmp_path / "run")
    sec = "".join(map_section([one]).blocks)
    assert list(one.blocks["block_id"]) == ["B1"] and "<svg" in sec and "1 block(s) have no coordinates" in sec


def test_figures_are_reproducible_and_their_ids_unique():
    def fig(title):
        f = new_figure(3, 2)
        ax = f.subplots()
        ax.plot([0, 1], [0, 1])
        ax.set_title(title)
        return to_svg(f, alt=title)

    a, b, c = fig("one"), fig("one"), fig("two")
    assert a == b  # no dates, no random ids: the same figure gives the same SVG
    ids_a, ids_c = set(re.findall(r'\bid="([^"]+)"', a)), set(re.findall(r'\bid="([^"]+)"', c))
    assert ids_a and not ids_a & ids_c  # two figures on one page never share an id
    for ref in re.findall(r'(?:url\(#|href="#)([^")]+)', a):
        assert ref in ids_a  # every reference still points inside its own figure
    assert 'width="' not in a.split(">", 1)[0] and "<text" in a  # responsive, text kept as text


def test_figures_render_safely_from_threads():
    """The web app renders reports in threads: same SVG every time, and matplotlib's settings left alone."""
    import matplotlib

    def svg(_):
        f = new_figure(2, 1.5)
        f.subplots().bar([0, 1], [1, 2])
        return to_svg(f, alt="t")

    before = dict(matplotlib.rcParams)
    with ThreadPoolExecutor(4) as ex:
        out = list(ex.map(svg, range(16)))
    assert len(set(out)) == 1 and dict(matplotlib.rcParams) == before


def test_write_report_default_location_and_atomicity(tmp_path):
    folder = tmp_path / "measured"
    folder.mkdir()
    pd.DataFrame({"region": ["all"], "theil_h": [0.25], "multi_dissimilarity": [0.5]}).to_csv(
        folder / "indices.csv", index=False)
    write_manifest(folder, "measure")
    out = write_report(folder, tmp_path / "x" / "r.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>") and "0.250" in out.read_text()
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]  # no temporary file left behind
    default = write_report(folder)
    assert default == folder / "report.html"
    assert default.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    assert sorted(p.name for p in folder.iterdir()) == ["indices.csv", "manifest.json", "report.html"]
    # A report in the folder is not mistaken for an input next time.
    assert write_report(folder).read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_write_comparison_report(tiny, tmp_path):
    _, result = tiny
    path = write_comparison_report({"capped": result}, tmp_path / "new" / "r.html")
    assert path == tmp_path / "new" / "r.html"
    html = path.read_text(encoding="utf-8")
    check_page(html)
    assert card(html, "allocated") == "15"
    with pytest.raises(ValueError):
        write_comparison_report({}, tmp_path / "empty.html")
    assert not (tmp_path / "empty.html").exists()
