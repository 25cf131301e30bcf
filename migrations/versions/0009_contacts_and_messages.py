"""contacts and messages: the people a campaign invites, and every message sent to them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 02:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from assessor.models.base import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("mobile", sa.String(length=16), nullable=True),
        sa.Column("seed", sa.String(length=32), nullable=False),
        sa.Column("optout_hash", sa.String(length=64), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("opted_out_at", UTCDateTime(), nullable=True),
        sa.Column("failure", sa.String(length=200), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("last_message_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "audience IN ('staff', 'patient_leader')", name=op.f("ck_contact_audience")
        ),
        sa.CheckConstraint(
            "email IS NOT NULL OR mobile IS NOT NULL", name=op.f("ck_contact_reachable")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_contact_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"], ["invitation.id"], name=op.f("fk_contact_invitation_id_invitation")
        ),
        sa.ForeignKeyConstraint(
            ["org_code"], ["organisation.code"], name=op.f("fk_contact_org_code_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
        sa.UniqueConstraint("campaign_id", "email", name=op.f("uq_contact_campaign_id_email")),
        sa.UniqueConstraint("campaign_id", "mobile", name=op.f("uq_contact_campaign_id_mobile")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_contact_invitation_id")),
        sa.UniqueConstraint("optout_hash", name=op.f("uq_contact_optout_hash")),
    )
    op.create_index(op.f("ix_contact_campaign_id"), "contact", ["campaign_id"])
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("org_code", sa.String(length=16), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", UTCDateTime(), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('invitation', 'reminder')", name=op.f("ck_message_kind")
        ),
        sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f("ck_message_channel")),
        sa.CheckConstraint(
            "status IN ('pending', 'claimed', 'sent', 'failed', 'skipped')",
            name=op.f("ck_message_status"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_message_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_message_contact_id_contact"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint("key", name=op.f("uq_message_key")),
    )
    op.create_index("ix_message_status_campaign", "message", ["status", "campaign_id"])
    op.create_index(op.f("ix_message_claim"), "message", ["claim"])
    op.create_index(op.f("ix_message_contact_id"), "message", ["contact_id"])


def downgrade() -> None:
    op.drop_table("message")
    op.drop_table("contact")
