"""`assessor invitations create` and the invitation service."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from assessor.campaigns.invitations import (
    InvitationError,
    create_invitations,
    find_invitation,
    hash_token,
    invitation_count,
    mark_used,
)
from assessor.campaigns.invitations_cli import invitations
from assessor.extensions import db as _db
from assessor.models import (
    Campaign,
    CampaignOrganisation,
    Invitation,
    Organisation,
    QuestionnaireVersion,
)

LINK = re.compile(r"http://127\.0\.0\.1:5000/i/([A-Za-z0-9_-]{32})")


@pytest.fixture()
def campaign(db) -> Campaign:
    version = QuestionnaireVersion(
        key="engagement-maturity",
        version=1,
        title="Engagement maturity",
        status="published",
        checksum="0" * 64,
        definition={},
    )
    for code in ("00L", "00N"):
        _db.session.add(
            Organisation(
                code=code,
                name=f"NHS NORTH EAST AND NORTH CUMBRIA ICB - {code}",
                kind="sub_icb",
                region="North East and Yorkshire",
                peer_group="North East and Yorkshire",
            )
        )
    campaign = Campaign(
        slug="2026-assessment",
        title="2026 assessment",
        questionnaire=version,
        min_respondents=5,
        access="invitation",
    )
    _db.session.add(campaign)
    _db.session.flush()
    _db.session.add(
        CampaignOrganisation(
            campaign_id=campaign.id,
            org_code="00L",
            region="North East and Yorkshire",
            peer_group="North East and Yorkshire",
        )
    )
    _db.session.commit()
    return campaign


def test_cli_prints_links_and_stores_only_hashes(runner, campaign) -> None:
    result = runner.invoke(
        invitations, ["create", "2026-assessment", "00L", "patient_leader", "--count", "3"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    tokens = [LINK.fullmatch(line).group(1) for line in lines]
    assert len(set(tokens)) == 3
    assert "3 invitation(s) created for 00L (patient_leader) in 2026-assessment" in result.stderr

    stored = _db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
    assert len(stored) == 3
    assert sorted(i.token_hash for i in stored) == sorted(
        hashlib.sha256(t.encode()).hexdigest() for t in tokens
    )
    for invitation in stored:
        assert (invitation.campaign_id, invitation.org_code) == (campaign.id, "00L")
        assert (invitation.audience, invitation.used_at) == ("patient_leader", None)
        assert invitation.token_hash not in tokens
    columns = [c.name for c in Invitation.__table__.columns]
    row_text = " ".join(str(getattr(i, c)) for i in stored for c in columns)
    assert not any(token in row_text for token in tokens)

    assert find_invitation(tokens[0]).token_hash == hash_token(tokens[0])
    assert invitation_count(campaign.id, "00L", "patient_leader") == 3
    assert invitation_count(campaign.id, "00L", "staff") == 0


def test_cli_uses_base_url(app, runner, campaign) -> None:
    app.config["BASE_URL"] = "https://assess.example.nhs.uk/"
    try:
        result = runner.invoke(
            invitations, ["create", "2026-assessment", "00L", "staff", "--count", "1"]
        )
    finally:
        del app.config["BASE_URL"]
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"https://assess\.example\.nhs\.uk/i/[A-Za-z0-9_-]{32}\n", result.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["nope", "00L", "staff", "--count", "2"],
            "Invalid value for CAMPAIGN: campaign 'nope' does not exist",
        ),
        (
            ["2026-assessment", "00N", "staff", "--count", "2"],
            "Invalid value for ORG: organisation '00N' is not in campaign '2026-assessment'",
        ),
        (
            ["2026-assessment", "XYZ", "staff", "--count", "2"],
            "Invalid value for ORG: organisation 'XYZ' is not in campaign '2026-assessment'",
        ),
        (
            ["2026-assessment", "00L", "board", "--count", "2"],
            "Invalid value for AUDIENCE: audience must be one of staff, patient_leader,"
            " not 'board'",
        ),
        (["2026-assessment", "00L", "staff", "--count", "0"], "Invalid value for '--count'"),
        (["2026-assessment", "00L", "staff"], "Missing option '--count'"),
    ],
)
def test_cli_refuses(runner, campaign, args: list[str], message: str) -> None:
    result = runner.invoke(invitations, ["create", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "/i/" not in result.stdout
    assert _db.session.scalars(select(Invitation)).all() == []


def test_service_accepts_a_campaign_or_its_slug(campaign) -> None:
    by_object = create_invitations(campaign, "00L", "staff", 2)
    by_slug = create_invitations("2026-assessment", "00L", "staff", 1)
    assert len(by_object) == 2 and len(by_slug) == 1
    assert invitation_count(campaign.id, "00L", "staff") == 3
    with pytest.raises(InvitationError) as refused:
        create_invitations(campaign, "00N", "staff", 1)
    assert refused.value.argument == "org"
    with pytest.raises(InvitationError) as refused:
        create_invitations(campaign, "00L", "staff", 0)
    assert refused.value.argument == "count"


def test_find_and_mark_used(campaign) -> None:
    token, other = create_invitations(campaign, "00L", "patient_leader", 2)
    assert find_invitation("not-a-token") is None
    assert find_invitation("") is None
    invitation = find_invitation(token)
    assert invitation is not None and invitation.used_at is None

    mark_used(invitation)
    assert invitation.used_at is not None
    # Kept to the day only, so it cannot be matched against a response's timestamps.
    assert (invitation.used_at.hour, invitation.used_at.minute, invitation.used_at.second) == (
        0,
        0,
        0,
    )
    _db.session.expire_all()
    assert find_invitation(token).used_at == invitation.used_at
    assert find_invitation(other).used_at is None

    with pytest.raises(InvitationError, match="already been used"):
        mark_used(find_invitation(token))
    assert invitation_count(campaign.id, "00L", "patient_leader") == 2
