"""`assessor init`, `serve` and `demo`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from assessor.web.transactions import unit_of_work


def upgrade_database() -> None:
    """Run Alembic migrations up to head on the app's database."""
    from alembic import command

    command.upgrade(alembic_config(), "head")


def alembic_config():  # type: ignore[no-untyped-def]
    from alembic.config import Config as AlembicConfig

    root = Path(__file__).resolve().parents[2]
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.set_main_option(
        "sqlalchemy.url",
        current_app.config["SQLALCHEMY_DATABASE_URI"].replace("%", "%%"),
    )
    return cfg


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database, then publish the shipped questionnaires."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade_database()
    click.echo("Database upgraded to the latest migration.")
    from assessor.questionnaires.publishing import publish_directory

    with unit_of_work():
        outcomes = publish_directory(Path(current_app.config["QUESTIONNAIRES_DIR"]))
    for outcome in outcomes:
        click.echo(outcome)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1))
@with_appcontext
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the app through gunicorn, as production does, for a pilot or a demo. Settings
    come from the environment (DATABASE_URL and the rest); each worker builds its own app."""
    from assessor.cli.serving import Server
    from assessor.config import serving_problems

    problems = serving_problems(current_app.config)
    if problems:
        raise click.ClickException("will not serve: " + "; ".join(problems))
    base = f"http://{host}:{port}"
    click.echo(f"assessor is serving on {base}/  (Ctrl+C to stop)")
    click.echo(f"  boards sign in at {base}/login, then {base}/dashboards/")
    click.echo(f"  published results for everyone at {base}/; the API reference at {base}/api/docs")
    Server({"bind": f"{host}:{port}", "workers": workers}).run()


@click.command("demo")
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--organisations", type=click.IntRange(min=1), help="keep only the first N")
@click.option(
    "--scale",
    type=click.Choice(["pilot", "national"]),
    default="pilot",
    show_default=True,
    help="pilot: about 200 organisations; national: about 7,000 and 700,000 responses",
)
@with_appcontext
def demo_command(seed: int, organisations: int | None, scale: str) -> None:
    """Fill an empty database with the demo data set (deterministic for a seed)."""
    from assessor.demo import load_demo

    load_demo(seed=seed, echo=click.echo, organisations=organisations, scale=scale)


def register(group: click.Group) -> None:
    group.add_command(init_command)
    group.add_command(serve_command)
    group.add_command(demo_command)
