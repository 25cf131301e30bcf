"""GET /api/v1/organisations, in code order."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from assessor.auth.bearer import require_scope
from assessor.extensions import db
from assessor.models import Organisation
from assessor.web.api import problem_responses
from assessor.web.paging import ListArgs, page, page_schema, read_cursor

blp = Blueprint(
    "organisations", __name__, url_prefix="/api/v1", description="Organisations (ODS codes)."
)


class OrganisationSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "00L"})
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    region = ma.fields.String(required=True)
    peer_group = ma.fields.String(required=True)
    parent_code = ma.fields.String(required=True, allow_none=True)
    closed = ma.fields.Boolean(required=True)


OrganisationPageSchema = page_schema(OrganisationSchema, "OrganisationPageSchema")


@blp.route("/organisations")
class Organisations(MethodView):
    @require_scope("results:read")
    @problem_responses(400, 422)
    @blp.arguments(ListArgs, location="query", as_kwargs=True, unknown=ma.RAISE)
    @blp.response(200, OrganisationPageSchema)
    def get(self, **args: Any) -> Any:
        """Every organisation, open and closed, in code order"""
        cursor = read_cursor(args)
        query = select(Organisation)
        if cursor is not None:
            query = query.where(Organisation.code > cursor.after)
        rows = db.session.scalars(query.order_by(Organisation.code).limit(args["limit"] + 1)).all()
        chunk = rows[: args["limit"]]
        total = db.session.scalar(select(func.count()).select_from(Organisation))
        return page(
            chunk,
            int(total or 0),
            args,
            more=len(rows) > args["limit"],
            pin=None,
            after=chunk[-1].code if chunk else None,
        )
