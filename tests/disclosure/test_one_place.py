"""Issue 17 item 4: every threshold on what is shown lives in assessor/disclosure/.

Scans the surfaces' source for a comparison against k (a name `k`, `k - 1`, or a
`min_respondents` attribute): none may remain outside disclosure. This failed before the
verdict tallies asked `disclosure.tally` (actions/verdicts.py compared `n < k` itself).
"""

from __future__ import annotations

import ast
from pathlib import Path

import assessor

ROOT = Path(assessor.__file__).parent
#: Packages whose numbers reach people who are not administrators, and the engine that
#: computes them (benchmarking/cells.py once decided `n >= k` itself).
SURFACES = (
    "results",
    "actions",
    "published",
    "dashboards",
    "campaigns",
    "responses",
    "benchmarking",
    "scoring",
)


def _mentions_k(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id == "k":
            return True
        if isinstance(sub, ast.Attribute) and sub.attr == "min_respondents":
            return True
    return False


def _is_threshold(node: ast.Compare) -> bool:
    """An ordering comparison (<, <=, >, >=) with k on either side."""
    ordering = all(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in node.ops)
    return ordering and any(_mentions_k(side) for side in [node.left, *node.comparators])


def _comparisons_with_k(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and _is_threshold(node):
            found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    return found


def test_no_threshold_on_k_outside_disclosure() -> None:
    found = [
        hit
        for package in SURFACES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "service.py" not in path.name or package != "campaigns"  # k's floor at creation
        for hit in _comparisons_with_k(path)
    ]
    assert found == []


def test_the_scan_sees_a_threshold() -> None:
    """The scan itself finds `n < k` and `ref - n <= k - 1` (so an empty result means none)."""
    source = "def f(n, k, ref):\n    return n < k or ref - n <= k - 1 or k != 'n'\n"
    tree = ast.parse(source)
    hits = [n for n in ast.walk(tree) if isinstance(n, ast.Compare) and _is_threshold(n)]
    assert len(hits) == 2
