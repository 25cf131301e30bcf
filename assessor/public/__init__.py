"""Public pages: the landing page that `make demo` points people to."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from assessor.public import views  # noqa: E402,F401
