"""The words of invitations and reminders, by email and SMS.

Plain English (a Flesch reading ease of at least 65, measured on the words without the
links, tests/campaigns/test_messages.py): each says which organisation asks, what a
patient leader is, when the survey closes, that answers are private, and how to opt out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PATIENT_LEADER = (
    "A patient leader is someone who uses NHS services, or cares for someone who does, "
    "and helps the NHS plan and check its work."
)
AS_WHOM = {
    "staff": "We are asking you as a member of staff.",
    "patient_leader": "We are asking you as a patient leader.",
}


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def closing_words(closes_at: datetime | None) -> str:
    if closes_at is None:
        return "We will tell you before the survey closes."
    return f"The survey closes on {closes_at.day} {closes_at:%B %Y}."


def email_text(
    kind: str, org_name: str, audience: str, closes_at: datetime | None, link: str, optout: str
) -> Text:
    """An invitation or reminder email."""
    if kind == "reminder":
        subject = f"Reminder: {org_name} would like your views"
        opening = (
            f"A few days ago we asked you to tell {org_name} how well it works with patients. "
            "We have not had your answers yet. If you have answered, thank you, and please "
            "ignore this email."
        )
    else:
        subject = f"{org_name} would like your views"
        opening = (
            f"{org_name} wants to know how well it works with patients and the public. "
            "Please answer a short survey. It takes about 15 minutes."
        )
    body = "\n\n".join(
        [
            "Hello,",
            opening,
            f"{AS_WHOM[audience]} {PATIENT_LEADER}",
            "Your answers are private. They are not linked to your name or your email. "
            "No one can tell which answers are yours.",
            f"Use this link to start. It is just for you and works once:\n{link}",
            closing_words(closes_at),
            f"If you do not want any more emails about this survey, use this link:\n{optout}",
            "Thank you.",
        ]
    )
    return Text(subject, body + "\n")


def sms_text(kind: str, org_name: str, closes_at: datetime | None, link: str, optout: str) -> str:
    """An invitation or reminder by text message: short, with the same facts."""
    ask = "Reminder: please tell" if kind == "reminder" else "Please tell"
    return (
        f"{ask} {org_name} how well it works with patients. It takes 15 minutes and your "
        f"answers are private. {closing_words(closes_at)} Start here: {link} "
        f"No more texts: {optout}"
    )
