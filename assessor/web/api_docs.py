"""A browsable reference of the JSON API at /api/docs: Swagger UI over /api/openapi.json.

Swagger UI's files come from the installed `swagger-ui-bundle` package and are served by the
app itself, so reading the reference sends no request anywhere but this server. The page's
own script is a file too (no inline script), so a strict Content-Security-Policy allows it.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

from assessor.web.notices import notice_setting

bp = Blueprint("api_docs", __name__, url_prefix="/api/docs")

#: The only Swagger UI files the page loads.
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})
START = """window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.spec, dom_id: "#swagger-ui", deepLinking: true,
    validatorUrl: null, tryItOutEnabled: false, supportedSubmitMethods: []
  });
});
"""


@bp.get("")
def reference() -> str:
    contact, example = notice_setting("API_TOKEN_CONTACT")
    return render_template(
        "api/docs.html",
        spec_url=url_for("api-docs.openapi_json"),
        token_contact=contact,
        token_example=example,
    )


@bp.get("/start.js")
def start() -> Response:
    response = Response(START, mimetype="text/javascript")
    response.cache_control.max_age = 3600
    return response


@bp.get("/assets/<name>")
def asset(name: str) -> Response:
    if name not in ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_path, name, max_age=86400)
