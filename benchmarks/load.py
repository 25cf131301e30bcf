"""Load: 50 concurrent clients submit 10,000 responses through the API to gunicorn (as
`make serve` runs it) on a scratch PostgreSQL database over loopback, a share of them resent
with the same submission_id, some resends racing their original. Prints throughput and
latency percentiles for the submissions and, in the same run on the same server, for a bare
JSON endpoint (GET /api/v1/health: one `SELECT 1`; half before the submissions, half after),
their ratio (target >= 0.25), then checks rows stored == distinct acknowledged submissions,
no duplicates, nothing half-written, and maintained statistics == a rebuild. Exits 1 if any
check fails. Limits are counted in Redis (REDIS_URL, default the local one), as in
production with several workers.

    .venv/bin/python benchmarks/load.py [--clients 50] [--submissions 10000] [--workers 4]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.live import (  # noqa: E402
    Run,
    Server,
    describe,
    get_all,
    prepare,
    print_checks,
    problems,
    scratch_database,
    submit_all,
    verify,
)

PG_BASE = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--resend-share", type=float, default=0.1)
    parser.add_argument("--bare-requests", type=int, default=10_000)
    parser.add_argument("--orgs", type=int, default=200, help="organisations in the campaign")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8, help="as gunicorn.conf.py")
    args = parser.parse_args()

    with scratch_database(PG_BASE) as url:
        world = prepare(url, n_orgs=args.orgs)
        server = Server(url, workers=args.workers, threads=args.threads)
        server.start()
        try:
            get_all(server, clients=args.clients, requests=500)  # warm every worker
            # Half the bare requests before the submissions and half after: on a shared
            # machine whose speed drifts, the ratio then compares like with like.
            half = args.bare_requests // 2
            before = get_all(server, clients=args.clients, requests=half)
            run = submit_all(
                server,
                world,
                clients=args.clients,
                submissions=args.submissions,
                resend_share=args.resend_share,
            )
            after = get_all(server, clients=args.clients, requests=args.bare_requests - half)
            bare = Run.combined(before, after)
        finally:
            server.stop()
        checks = verify(url, run)

    print(
        f"{args.clients} clients, {args.orgs} organisations,"
        f" gunicorn {args.workers} workers x {args.threads} threads,"
        f" PostgreSQL, loopback ({os.cpu_count()} cores shared by clients and server)"
    )
    bare_rate = describe("bare JSON", bare)
    print(
        f"               (before the submissions {before.requests / before.elapsed:.0f}/s,"
        f" after {after.requests / after.elapsed:.0f}/s)"
    )
    submit_rate = describe("submissions", run)
    ratio = submit_rate / bare_rate
    print(f"  ratio        {ratio:.2f} (target >= 0.25: {'met' if ratio >= 0.25 else 'NOT met'})")
    print(
        f"  distinct submissions {args.submissions:,}, acknowledged {len(run.accepted):,},"
        f" unacknowledged after retries {run.unacknowledged}"
    )
    print_checks(checks)
    found = problems(checks, run)
    if checks["distinct_acknowledged"] != args.submissions:
        found.append("not every submission was acknowledged")
    print("  verdict: " + ("; ".join(found) if found else "all checks passed"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
