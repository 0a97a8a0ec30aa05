"""Every page in docs/ is reachable from the documentation site's navigation (MkDocs only logs an INFO line for a
page left out, so a new page could be written and never shown)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _pages(nav: list) -> set[str]:
    out: set[str] = set()
    for item in nav:
        values = item.values() if isinstance(item, dict) else [item]
        for v in values:
            out |= _pages(v) if isinstance(v, list) else {str(v)}
    return out


def test_every_docs_page_is_in_the_site_navigation():
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    pages = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert pages - _pages(nav) == set()
    assert _pages(nav) - pages == set()
