"""plotly.js, served by the app: no third-party request.

It is plotly.js's cartesian bundle, vendored beside this module (vendor/README.md says where
from and why not the full bundle of the plotly Python package). The URL carries its version,
so the file can be cached for a year and marked immutable; a new bundle changes the URL. The
gzip body is made once per process (the bundle is 1.5 MB, 0.5 MB compressed)."""

from __future__ import annotations

import gzip
import hashlib
import re
from functools import cache
from pathlib import Path

from flask import Blueprint, abort, request, url_for
from werkzeug.wrappers import Response

assets_bp = Blueprint("assets", __name__, url_prefix="/assets")

PLOTLY_JS = Path(__file__).resolve().parent / "vendor" / "plotly-cartesian.min.js"
YEAR = 31536000
#: V8's compile hint (Chromium 136 on; a comment to any other browser): compile every function
#: of the script on a background thread as it loads. Without it Chromium compiles plotly.js's
#: functions one by one on the page's main thread as its start-up first calls them, in the
#: same task: a median 270 ms against 140 ms with the hint on this project's busy two-core
#: machine (vendor/README.md).
COMPILE_ALL = b"//# allFunctionsCalledOnLoad\n"


@cache
def _plotly() -> tuple[bytes, bytes, str]:
    raw = COMPILE_ALL + PLOTLY_JS.read_bytes()
    return raw, gzip.compress(raw, compresslevel=9, mtime=0), hashlib.sha256(raw).hexdigest()[:16]


@cache
def plotly_version() -> str:
    """The bundle's plotly.js version, from its licence header."""
    head = PLOTLY_JS.read_bytes()[:300].decode("ascii", "replace")
    found = re.search(r"plotly\.js \(cartesian - minified\) v(\d+\.\d+\.\d+)", head)
    if found is None:
        raise RuntimeError(f"{PLOTLY_JS} does not say which plotly.js it is")
    return found.group(1)


def plotly_url() -> str:
    return url_for("assets.plotly_js", version=plotly_version())


@assets_bp.get("/plotly-cartesian-<version>.min.js")
def plotly_js(version: str) -> Response:
    if version != plotly_version():
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
