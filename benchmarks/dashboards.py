"""The national dashboard at national scale: server time, page weight and browser draw time.

`measure(app, slug)` is the part `benchmarks/national.py` calls for a campaign built by
`assessor demo --scale national`: it prints the median time the server takes to produce
`/dashboards/<slug>` (signed in as a board member), the page's weight (HTML, and what a
first visit transfers with plotly.js compressed; plotly.js is cached for a year after that),
and, when Debian's Chromium is installed, how long the browser takes to draw every chart and
the longest stretch its main thread was blocked meanwhile.

Run alone, it builds its own campaign quickly: the demo's 40-organisation publication with
its rows resampled to N organisations in 7 regions and 40 peer groups (synthetic arrays of
the read model, not scores computed from responses), in a temporary SQLite database.
Targets (issue 8): <= 500 ms median, <= 3 MB, drawn without freezing the browser.

    .venv/bin/python benchmarks/dashboards.py [--orgs 7000] [--runs 11]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from flask import Flask
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "benchmark-board@example.nhs.uk"
MB = 1024 * 1024


class _Client(FlaskClient):
    """Each request in its own app context, as in production, even when the caller holds
    one open (a test): Flask-Login caches the signed-in user in `flask.g`."""

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def,override]
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _client(app: Flask):  # type: ignore[no-untyped-def]
    """A test client signed in as a board member (created if need be)."""
    from assessor.auth.passwords import create_user
    from assessor.extensions import db
    from assessor.models import User

    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == EMAIL))
        if user is None:
            user = create_user(EMAIL, "viewer", "benchmark password, long enough")
            db.session.commit()
        session_id = user.get_id()
    client = _Client(app, app.response_class, use_cookies=True)
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def measure(
    app: Flask, slug: str, *, runs: int = 11, query: str = "", browser: bool = True
) -> dict:
    """Print and return the national page's median server time, weight and draw time."""
    client = _client(app)
    path = f"/dashboards/{slug}" + (f"?{query}" if query else "")
    first = client.get(path)  # warms the snapshot cache, as any earlier reader would
    assert first.status_code == 200, first.status_code
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
    html = response.data
    assets = {}
    for url in _assets(html.decode()):
        asset = client.get(url, headers={"Accept-Encoding": "gzip"})
        assets[url] = len(asset.data)
    figures = {
        "server_ms_median": 1000 * statistics.median(times),
        "server_ms_min": 1000 * min(times),
        "html_bytes": len(html),
        "html_gzip_bytes": len(gzip.compress(html, 6)),
        "assets_bytes_as_sent": sum(assets.values()),
    }
    figures["first_visit_bytes"] = figures["html_bytes"] + figures["assets_bytes_as_sent"]
    figures["first_visit_gzip_bytes"] = figures["html_gzip_bytes"] + figures["assets_bytes_as_sent"]
    print(f"{path}: server median {figures['server_ms_median']:.0f} ms over {runs} runs")
    print(
        f"  HTML {figures['html_bytes'] / MB:.2f} MB ({figures['html_gzip_bytes'] / MB:.2f} MB"
        f" gzipped); assets as sent {figures['assets_bytes_as_sent'] / MB:.2f} MB"
        f" (plotly.js gzipped, cached a year); first visit"
        f" {figures['first_visit_bytes'] / MB:.2f} MB"
    )
    if browser and Path("/usr/bin/chromium").exists():
        figures.update(_draw(app, client, path))
    return figures


def _assets(html: str) -> list[str]:
    import re

    return re.findall(r'<(?:script src|link rel="stylesheet" href)="(/[^"]+)"', html)


def _draw(app: Flask, client: Any, path: str) -> dict[str, float]:
    """Time from navigation to every chart drawn, and the longest main-thread task."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    cookie = next(c for c in client._cookies.values() if c.key == app.config["SESSION_COOKIE_NAME"])
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
            page = context.new_page()
            page.add_init_script(
                """window.__long = 0; new PerformanceObserver(list => { for (const e of
                   list.getEntries()) window.__long = Math.max(window.__long, e.duration); })
                   .observe({type: "longtask", buffered: true});"""
            )
            drawn = []
            for _ in range(2):  # the second visit has plotly.js cached, as boards will
                start = time.perf_counter()
                page.goto(base + path)
                page.wait_for_function(
                    "document.querySelectorAll('.plot[data-figure]').length ==="
                    " document.querySelectorAll('.plot[data-drawn]').length",
                    timeout=120_000,
                )
                drawn.append(time.perf_counter() - start)
            longest = page.evaluate("window.__long")
            browser.close()
    finally:
        server.shutdown()
        thread.join(timeout=5)
    print(
        f"  browser: drawn {drawn[0]:.2f} s on a first visit, {drawn[1]:.2f} s with plotly.js"
        f" cached; longest main-thread task {longest:.0f} ms"
    )
    return {"draw_s_first": drawn[0], "draw_s_cached": drawn[1], "longest_task_ms": longest}


# --------------------------------------------------------------------------- a synthetic campaign


def scale_snapshot(snapshot: Any, n_orgs: int, seed: int = 8) -> Any:
    """The snapshot's organisations resampled to `n_orgs`, in 7 regions and 40 peer groups."""
    from assessor.results.snapshot import Snapshot

    rng = np.random.default_rng(seed)
    old = len(snapshot.orgs)
    rows = rng.integers(0, old, n_orgs)
    from assessor.demo import REGIONS

    regions = sorted(REGIONS)
    peers = [f"Peer group {p:02d}" for p in range(40)]
    region_of = [regions[r] for r in rng.integers(0, len(regions), n_orgs)]
    peer_of = [peers[p] for p in rng.integers(0, len(peers), n_orgs)]
    meta = dict(snapshot.meta)
    meta["orgs"] = [f"X{i:05d}" for i in range(n_orgs)]
    meta["names"] = [f"Synthetic organisation {i}" for i in range(n_orgs)]
    meta["regions"], meta["peer_groups"] = region_of, peer_of
    meta["groups"] = {"national": ["national"], "region": regions, "peer_group": peers}
    labels = {"national": ["national"] * n_orgs, "region": region_of, "peer_group": peer_of}
    arrays = {}
    for name, arr in snapshot.arrays.items():
        if name.startswith("gid."):
            by = name.split(".", 1)[1]
            position = {label: g for g, label in enumerate(meta["groups"][by])}
            arrays[name] = np.array([position[x] for x in labels[by]], dtype=np.int32)
        elif name.startswith("grp."):
            by = name.split(".")[2]
            wanted = len(meta["groups"][by])
            arrays[name] = arr[np.arange(wanted) % arr.shape[0]]
        elif arr.ndim and arr.shape[0] == old:
            arrays[name] = arr[rows]
        else:
            arrays[name] = arr
    return Snapshot(meta, arrays)


def replace_publication(publication: Any, snapshot: Any) -> None:
    """Store `snapshot` as the publication's numbers: its head and a row per organisation."""
    from assessor.extensions import db
    from assessor.models import PublicationRow

    publication.data = snapshot.head_to_bytes()
    table = PublicationRow.__table__
    db.session.execute(table.delete().where(table.c.publication_id == publication.id))
    db.session.execute(
        table.insert(),
        [
            {"publication_id": publication.id, "org_index": i, "data": raw}
            for i, raw in enumerate(snapshot.rows_to_bytes())
        ],
    )


def synthetic_app(n_orgs: int, directory: Path) -> tuple[Flask, str]:
    from assessor import create_app, results
    from assessor.campaigns import get_campaign
    from assessor.cli.core import upgrade_database
    from assessor.demo import load_demo
    from assessor.extensions import db
    from assessor.questionnaires.publishing import publish_directory
    from assessor.results import publications

    url = f"sqlite:///{directory / 'dashboards.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "benchmark",
            "QUESTIONNAIRES_DIR": str(ROOT / "questionnaires"),
        }
    )
    slug = "2025-assessment"
    with app.app_context():
        upgrade_database()
        publish_directory(ROOT / "questionnaires")
        db.session.commit()
        load_demo(seed=8, echo=lambda _: None, organisations=40)
        db.session.commit()
        campaign = get_campaign(slug)
        publication = results.ensure_published(campaign)
        big = scale_snapshot(publications.snapshot_of(publication).complete(), n_orgs)
        replace_publication(publication, big)
        db.session.commit()
        publications.clear_cache()
    return app, slug


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=7000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        app, slug = synthetic_app(args.orgs, Path(tmp))
        print(
            f"built a synthetic campaign of {args.orgs:,} organisations in"
            f" {time.perf_counter() - start:.1f} s"
        )
        measure(app, slug, runs=args.runs, browser=not args.no_browser)
        measure(app, slug, runs=args.runs, query="region=London", browser=False)


if __name__ == "__main__":
    main()
