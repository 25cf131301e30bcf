"""Typed SQLAlchemy models, one module per aggregate."""

from assessor.models.action import Action, Cosign, CosignLink, PlanVersion, VerdictAnswer
from assessor.models.audit import AuditEvent
from assessor.models.auth import ApiToken, DomainGrant, User
from assessor.models.base import Base, utcnow
from assessor.models.campaign import Campaign, CampaignOrganisation
from assessor.models.contact import Contact, Message
from assessor.models.organisation import Organisation
from assessor.models.questionnaire import QuestionnaireVersion
from assessor.models.response import Invitation, RespondentScore, Response
from assessor.models.results import (
    Cell,
    Publication,
    PublicationRow,
    ResultsPreview,
)

__all__ = [
    "Action",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Campaign",
    "CampaignOrganisation",
    "Cell",
    "Contact",
    "Cosign",
    "CosignLink",
    "DomainGrant",
    "Invitation",
    "Message",
    "Organisation",
    "PlanVersion",
    "Publication",
    "PublicationRow",
    "QuestionnaireVersion",
    "RespondentScore",
    "Response",
    "ResultsPreview",
    "User",
    "VerdictAnswer",
    "utcnow",
]
