"""GET /api/v1/organisations, in code order."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from assessor.models import Organisation
from assessor.web.operations import read_operation
from assessor.web.paging import ListArgs, page_of_query, page_schema

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
    @read_operation(blp, "results:read", OrganisationPageSchema, (400, 422), query=ListArgs)
    def get(self, **args: Any) -> Any:
        """Every organisation, open and closed, in code order"""
        return page_of_query(Organisation, args, order_by=[Organisation.code])
