"""`assessor jobs run-due` (cron, every minute) and `assessor worker`."""

from __future__ import annotations

import click
import structlog
from flask import current_app
from flask.cli import with_appcontext

from assessor.extensions import db
from assessor.jobs.queue import connection, enqueue, get_queue
from assessor.jobs.transports import channels_of
from assessor.models import utcnow
from assessor.web.logs import configure as configure_logs
from assessor.web.logs import log

TASKS = "assessor.jobs.tasks"


def echo_outcome(how: str, outcome: object) -> None:
    """Print what an inline job did, or the id of the queued one."""
    if how == "inline":
        for line in outcome or []:  # type: ignore[attr-defined]
            click.echo(line)
    else:
        click.echo(f"queued job {outcome}")


@click.group("jobs")
def jobs() -> None:
    """Background work: run what is due."""


@jobs.command("run-due")
@click.option("--all", "everything", is_flag=True, help="also the hourly work, whatever the time")
@with_appcontext
def run_due_command(everything: bool) -> None:
    """Enqueue what is due (run from cron every minute): publishing campaigns whose closing
    date has passed, deleting contacts of closed campaigns (or older than CONTACT_DAYS),
    reminders, sending queued messages; and hourly, purging idle in-progress answers.
    Without REDIS_URL each job runs here, in turn."""
    names = ["publish_due", "delete_contacts", "queue_reminders"]
    if channels_of(current_app.config):
        names.append("send_messages")
    if everything or utcnow().minute == 0:
        names.append("purge_idle")
    lines: list[str] = []
    queued = 0
    for name in names:
        how, outcome = enqueue(f"{TASKS}.{name}")
        if how == "inline":
            lines += outcome
        else:
            queued += 1
    for line in lines:
        click.echo(line)
    if queued:
        click.echo(f"{queued} job(s) queued")
    elif not lines:
        click.echo("nothing due")


@click.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run jobs from the queue on REDIS_URL until stopped (or, with --burst, until empty)."""
    queue = get_queue()
    if queue is None:
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run inline")
    configure_logs()
    from rq import SimpleWorker

    class Worker(SimpleWorker):
        """Runs each job in this process, inside this app context, each with a fresh
        database session."""

        def perform_job(self, job, *args, **kwargs):  # type: ignore[no-untyped-def]
            structlog.contextvars.bind_contextvars(job_id=job.id)
            try:
                done = super().perform_job(job, *args, **kwargs)
                log.info("job", job=job.func_name, outcome="ok" if done else "failed")
                return done
            finally:
                db.session.remove()
                structlog.contextvars.clear_contextvars()

    Worker([queue], connection=connection()).work(burst=burst, logging_level="WARNING")


def register(group: click.Group) -> None:
    group.add_command(jobs)
    group.add_command(worker_command)
