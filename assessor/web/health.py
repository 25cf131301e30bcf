"""GET /api/v1/health: open, for load balancers and monitors."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from assessor.extensions import db
from assessor.web.api import problem_responses
from assessor.web.errors import problem

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Service health.")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"example": "ok"})
    database = ma.fields.String(required=True, metadata={"example": "ok"})


@blp.route("/health")
class Health(MethodView):
    @problem_responses(503)
    @blp.response(200, HealthSchema)
    @blp.doc(security=[])
    def get(self) -> Any:
        """Whether the service and its database answer

        Open: needs no token. 503 (problem+json) when the database cannot be reached.
        """
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            db.session.rollback()
            return problem(503, "Service Unavailable", "The database cannot be reached.")
        return {"status": "ok", "database": "ok"}
