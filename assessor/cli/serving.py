"""gunicorn run from the `assessor serve` command: the same server production runs, so a
demo never greets people with the development server's warning."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class Server(BaseApplication):
    """gunicorn with its settings given in code; each worker calls `load` and so builds its
    own app and database pool after the fork (nothing is shared between workers)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.settings.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from assessor import create_app

        return create_app()
