"""What a response rate divides by: the number eligible where it was recorded (`campaigns
eligible`), else the invitations issued (links printed by `invitations create` and those
sent to contacts), so that live counts, publications and day-old counts agree."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select

from assessor.extensions import db
from assessor.models import Invitation
from assessor.results.snapshot import AUDIENCES


def denominators(campaign_id: int, codes: list[str], eligible: np.ndarray) -> np.ndarray:
    """(organisations x audiences) denominators, 0 where unknown; `eligible` holds the
    recorded numbers eligible in the same order (0 where none was recorded)."""
    index = {code: i for i, code in enumerate(codes)}
    invited = np.zeros((len(codes), len(AUDIENCES)), dtype=np.int64)
    for org, audience, count in db.session.execute(
        select(Invitation.org_code, Invitation.audience, func.count())
        .where(Invitation.campaign_id == campaign_id)
        .group_by(Invitation.org_code, Invitation.audience)
    ):
        if org in index and audience in AUDIENCES:
            invited[index[org], AUDIENCES.index(audience)] = count
    recorded = np.asarray(eligible, dtype=np.int64).reshape(len(codes), len(AUDIENCES))
    return np.where(recorded > 0, recorded, invited)
