"""plotly.js, served by the app from the installed plotly package: no third-party request.

The URL carries plotly.js's version, so the file can be cached for a year and marked
immutable; an upgrade of the package changes the URL. The gzip body is made once per process
(the library is 4.8 MB, 1.4 MB compressed)."""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from pathlib import Path

import plotly
from flask import Blueprint, abort, request, url_for
from plotly.offline import get_plotlyjs_version
from werkzeug.wrappers import Response

assets_bp = Blueprint("assets", __name__, url_prefix="/assets")

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
YEAR = 31536000


@cache
def _plotly() -> tuple[bytes, bytes, str]:
    raw = PLOTLY_JS.read_bytes()
    return raw, gzip.compress(raw, compresslevel=9, mtime=0), hashlib.sha256(raw).hexdigest()[:16]


def plotly_url() -> str:
    return url_for("assets.plotly_js", version=get_plotlyjs_version())


@assets_bp.get("/plotly-<version>.min.js")
def plotly_js(version: str) -> Response:
    if version != get_plotlyjs_version():
        abort(404)
    raw, packed, digest = _plotly()
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(packed if gzipped else raw, mimetype="text/javascript")
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(digest + ("-gz" if gzipped else ""))
    return response.make_conditional(request)
