"""Every link in the README and docs/ resolves: relative files exist and #anchors name a heading of their page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {github_anchor(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def links_of(page: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8")))


def test_github_anchor_follows_githubs_rules() -> None:
    assert github_anchor(" Set-up: two commands") == "set-up-two-commands"
    assert github_anchor("Marketing: campaigns, events, leads and attribution") == (
        "marketing-campaigns-events-leads-and-attribution"
    )
    assert github_anchor("`make bench` figures") == "make-bench-figures"


def test_the_readme_links_every_docs_page() -> None:
    readme_links = {link.split("#")[0] for link in links_of(ROOT / "README.md")}
    unlinked = [page.relative_to(ROOT).as_posix() for page in PAGES[1:]]
    assert sorted(set(unlinked) - readme_links) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for link in links_of(page):
        if re.match(r"^[a-z]+:", link):  # http:, https:, mailto: — not checked offline
            continue
        path_part, _, anchor = link.partition("#")
        target = (page.parent / path_part).resolve() if path_part else page
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in anchors_of(target):
            broken.append(f"{link}: no heading with that anchor")
    assert broken == []
