"""The settings the privacy notice and the API reference show (controller, contact, lawful
basis, retention, whom to ask for an API token), with the demo's example wording where one is
not set: the pages mark an example as one, so a live service cannot show it unnoticed."""

from __future__ import annotations

from flask import current_app

#: What the demo shows where a notice setting is not set, always marked as an example.
EXAMPLES = {
    "PRIVACY_CONTROLLER": "NHS England, Wellington House, 133-155 Waterloo Road, London SE1 8UG",
    "PRIVACY_CONTACT": "Data Protection Officer, england.dpo@nhs.net",
    "PRIVACY_LAWFUL_BASIS": (
        "UK GDPR Article 6(1)(e): a task carried out in the public interest (improving how NHS"
        " organisations involve patients, under the NHS Act 2006). No special category data is"
        " asked for."
    ),
    "PRIVACY_RETENTION": (
        "Submitted answers are kept for 6 years after the campaign closes, then deleted;"
        " published figures are kept as published."
    ),
    "API_TOKEN_CONTACT": "the assessor service team, assessor@example.nhs.uk",
}


def notice_setting(name: str) -> tuple[str, bool]:
    """(the setting's value, whether it is the demo's example because it is not set)."""
    value = current_app.config.get(name) or ""
    return (value, False) if value else (EXAMPLES[name], True)
