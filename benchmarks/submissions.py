"""Sustained concurrent submissions through the real HTTP stack, with none lost or doubled.

Starts gunicorn as `make serve` does on a scratch PostgreSQL database, then client threads
POST responses to /api/v1/campaigns/<slug>/responses; a fifth of the submissions are resent
(same submission_id and body, as a client does after a timeout), a quarter of those racing
the original. Afterwards it checks, in the database, one stored response per acknowledged
submission_id, none duplicated or half-written, and cell statistics equal to a rebuild;
prints throughput and latency percentiles. `benchmarks/load.py` is the same at 10,000
submissions beside a bare endpoint; both use `benchmarks/live.py`.

    .venv/bin/python benchmarks/submissions.py [--clients 16] [--submissions 960] [--workers 4]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.live import (  # noqa: E402
    Server,
    describe,
    prepare,
    print_checks,
    problems,
    scratch_database,
    submit_all,
    verify,
)
from benchmarks.load import PG_BASE  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--submissions", type=int, default=960)
    parser.add_argument("--resend-share", type=float, default=0.2)
    parser.add_argument("--orgs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    with scratch_database(PG_BASE) as url:
        world = prepare(url, n_orgs=args.orgs)
        server = Server(url, workers=args.workers)
        server.start()
        try:
            run = submit_all(
                server,
                world,
                clients=args.clients,
                submissions=args.submissions,
                resend_share=args.resend_share,
            )
        finally:
            server.stop()
        checks = verify(url, run)

    print(f"{args.clients} clients, gunicorn {args.workers} workers, PostgreSQL")
    describe("submissions", run)
    print_checks(checks)
    found = problems(checks, run)
    print("  verdict: " + ("; ".join(found) if found else "none lost or duplicated"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
