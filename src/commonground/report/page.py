"""The page: sections of headline cards, figures and tables, rendered through one Jinja2 template with inline CSS.

Nothing on the page is fetched at view time (no scripts, fonts or images from the network), so a report opens
offline, from an e-mail attachment, or embedded in the web app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from commonground import __version__


@dataclass
class Section:
    """One titled part of a report: a short intro sentence, then blocks of ready HTML (cards, figures, tables)."""

    title: str
    blocks: list[Markup] = field(default_factory=list)
    intro: str = ""
    anchor: str = ""

    def __post_init__(self) -> None:
        if not self.anchor:
            self.anchor = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "section"

    def add(self, *blocks: Markup | str | None) -> Section:
        self.blocks.extend(Markup(b) for b in blocks if b)
        return self


@dataclass
class Page:
    title: str
    subtitle: str = ""
    source: str = ""
    sections: list[Section] = field(default_factory=list)

    def add(self, section: Section | None) -> Page:
        if section is not None and section.blocks:
            self.sections.append(section)
        return self


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("commonground.report", "templates"), autoescape=True,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_page(page: Page) -> str:
    """The complete HTML document for ``page``."""
    seen: dict[str, int] = {}
    for s in page.sections:  # unique anchors for the table of contents
        n = seen.get(s.anchor, 0)
        seen[s.anchor] = n + 1
        if n:
            s.anchor = f"{s.anchor}-{n + 1}"
    return _environment().get_template("report.html.j2").render(page=page, version=__version__)
