"""Checks every report test shares: the page parses, is self-contained, and its cards say what we expect."""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)


class _Checker(HTMLParser):
    """Collects tags, attributes and text, and checks that every element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        elif data.strip():
            self.text.append(data.strip())


def check_page(html: str) -> _Checker:
    """Parse ``html``; assert it is well nested and fetches nothing from the network."""
    assert html.lstrip().lower().startswith("<!doctype html>")
    p = _Checker()
    p.feed(html)
    p.close()
    assert not p.errors, p.errors[:5]
    assert p.stack == [], f"unclosed: {p.stack[:5]}"
    for tag, attrs in p.tags:
        for name in ("src", "href", "xlink:href", "data", "poster", "action"):
            value = attrs.get(name)
            assert not (value and EXTERNAL.match(value)), f"<{tag} {name}={value!r}> fetches from the network"
        assert not (tag == "script" and attrs.get("src")), "external script"
        assert not (tag == "link" and (attrs.get("rel") or "").lower() == "stylesheet"), "external stylesheet"
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", p.style), "CSS fetches from the network"
    assert "<title>" in html and p.style.strip(), "no title or inline CSS"
    return p


def card(html: str, label: str) -> str:
    """The value on the headline card called ``label``."""
    m = re.search(r'<div class="label">' + re.escape(label) + r'</div><div class="value">([^<]*)</div>', html)
    assert m, f"no card {label!r}"
    return m.group(1)


def section_ids(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', html)
