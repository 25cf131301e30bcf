"""axe-core, injected into the page under test (installed from npm by `make test`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.2 AA and the rules below it, as design.md promises for the survey.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now: rule id, impact and the offending nodes."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: `make test` installs it (npm ci --prefix tests/browser)")
    page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))",
        TAGS,
    )
    return list(found)
