"""Published results, readable by everyone without signing in: patient leaders above all
(design.md, "Everyone"). Nothing is shown here that the publication rule withholds."""

from flask import Blueprint

bp = Blueprint("published", __name__)

from assessor.published import report, views  # noqa: E402,F401
