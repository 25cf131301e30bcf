"""Entry point for gunicorn: `make serve` (gunicorn -c gunicorn.conf.py wsgi:app)."""

from assessor import create_app
from assessor.config import serving_problems

app = create_app()
_problems = serving_problems(app.config)
if _problems:
    raise SystemExit("assessor will not serve: " + "; ".join(_problems))
