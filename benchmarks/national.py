"""Reads at national scale against the ordinary demo, in one run (the publications issue).

    python benchmarks/national.py [--ordinary sqlite:///...] [--national sqlite:///...]

Each URL names a database loaded by `assessor demo` (default: the pilot scale) and
`assessor demo --scale national`; a missing SQLite file is loaded first (the national one
takes some minutes). For each data set it prints the median time of: an API results page of
100, one organisation's API item, its public page, the benchmarks list and the board
dashboard index; cold (every worker cache emptied before each request, as a new worker
would be) and warm; then the ratio national / ordinary, and the time to publish the national
campaign again. Targets: ratio <= 1.5 for one page or one organisation; every read <= 100
ms median at national scale; publishing <= 10 s.

At national scale it also measures the board's national page (benchmarks/dashboards.py): its
server time (<= 500 ms median), its weight (<= 3 MB), and, with Debian's Chromium, whether
the browser draws it and each filtered view without freezing (that module's docstring
defines it: no main-thread task over 200 ms, blocking time <= 600 ms, charts drawn within
5 s, clicks handled within 250 ms). `--no-browser` leaves the browser out.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assessor import create_app  # noqa: E402
from assessor.auth.tokens import create_token  # noqa: E402
from assessor.extensions import db  # noqa: E402
from assessor.results import publications  # noqa: E402

CAMPAIGN = "2025-assessment"
PASSWORD = "patient-leaders-2026"


def ensure_loaded(url: str, scale: str) -> None:
    path = url.removeprefix("sqlite:///")
    if not url.startswith("sqlite:///") or Path(path).exists():
        return
    env = {**os.environ, "DATABASE_URL": url}
    assessor = str(Path(sys.executable).parent / "assessor")
    print(f"loading the {scale} demo into {path} ...", flush=True)
    started = time.perf_counter()
    subprocess.run([assessor, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([assessor, "demo", "--scale", scale], env=env, check=True)
    print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)


def median_ms(call: Callable[[], object], runs: int, cold: bool) -> float:
    times = []
    for _ in range(runs):
        if cold:
            publications.clear_cache()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(url: str, runs: int) -> dict[str, tuple[float, float]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    client = app.test_client()
    with app.app_context():
        _, token = create_token(f"benchmark {time.time_ns()}", ["results:read"], None)
        db.session.commit()
        code = db.session.execute(
            db.text(
                "SELECT org_code FROM campaign_organisation JOIN campaign"
                " ON campaign.id = campaign_id WHERE slug = :s ORDER BY org_code LIMIT 1 OFFSET 7"
            ),
            {"s": CAMPAIGN},
        ).scalar()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    client.post(
        "/login",
        data={
            "email": "board@example.nhs.uk",
            "password": PASSWORD,
            "csrf_token": csrf.group(1) if csrf else "",
        },
    )
    auth = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/campaigns/{CAMPAIGN}"

    def get(path: str, headers: dict[str, str] | None = None) -> Callable[[], object]:
        def call() -> object:
            response = client.get(path, headers=headers or {})
            assert response.status_code == 200, (path, response.status_code)
            return response

        return call

    reads = {
        "API results page of 100": get(f"{base}/results?limit=100", auth),
        "API item of one organisation": get(f"{base}/results/{code}", auth),
        "public organisation page": get(f"/results/{CAMPAIGN}/{code}"),
        "API benchmarks list (by region)": get(f"{base}/benchmarks?group_by=region", auth),
        "dashboard index": get("/dashboards/"),
    }
    figures = {}
    for name, call in reads.items():
        call()
        figures[name] = (median_ms(call, runs, cold=True), median_ms(call, runs, cold=False))
    return figures


def publish_seconds(url: str) -> float:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        from assessor.campaigns.service import get_campaign
        from assessor.results import publish

        campaign = get_campaign(CAMPAIGN)
        started = time.perf_counter()
        publish(campaign, "benchmark")
        elapsed = time.perf_counter() - started
        db.session.rollback()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ordinary", default=f"sqlite:///{ROOT}/instance/bench-pilot.db")
    parser.add_argument("--national", default=f"sqlite:///{ROOT}/instance/bench-national.db")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    (ROOT / "instance").mkdir(exist_ok=True)
    ensure_loaded(args.ordinary, "pilot")
    ensure_loaded(args.national, "national")
    ordinary = measure(args.ordinary, args.runs)
    national = measure(args.national, args.runs)
    print(f"\nmedian of {args.runs} requests, ms: cold / warm")
    print(f"{'read':34} {'ordinary':>16} {'national':>16} {'ratio cold/warm':>16}")
    for name in ordinary:
        (oc, ow), (nc, nw) = ordinary[name], national[name]
        print(f"{name:34} {oc:7.1f} /{ow:7.1f} {nc:7.1f} /{nw:7.1f} {nc / oc:7.2f} /{nw / ow:6.2f}")
    print("\nat national scale:")
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.national, "SECRET_KEY": "bench"})
    from benchmarks.dashboards import measure as dashboard_page
    from benchmarks.public_search import time_search

    dashboard_page(app, CAMPAIGN, runs=args.runs, browser=not args.no_browser)
    time_search(app, CAMPAIGN, repeat=args.runs)
    print(f"publishing {CAMPAIGN}: {publish_seconds(args.national):.1f} s")


if __name__ == "__main__":
    main()
