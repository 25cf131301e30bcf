"""axe-core, vendored with its licence (tests/browser/vendor/README.md says how to update it),
injected into the page under test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
#: WCAG 2.2 AA and the rules below it, as design.md promises for the survey.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _source() -> str:
    return AXE_JS.read_text(encoding="utf-8") + "\n;window.axe = axe; true"


def inject_axe(page: Any) -> None:
    """Evaluated through the DevTools protocol: a <script> tag would be refused by the app's
    Content-Security-Policy (script-src 'self'), which the tests keep switched on."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())


def violations(page: Any, tags: list[str] | None = None) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now: rule id, impact and the offending nodes."""
    inject_axe(page)
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))",
        tags or TAGS,
    )
    return list(found)
