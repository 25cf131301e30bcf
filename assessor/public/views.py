from __future__ import annotations

from flask import render_template

from assessor.extensions import db
from assessor.models import Campaign
from assessor.public import bp


@bp.get("/")
def index() -> str:
    campaigns = db.session.scalars(db.select(Campaign).order_by(Campaign.created_at)).all()
    return render_template("public/index.html", campaigns=campaigns)
