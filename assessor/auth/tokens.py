"""API bearer tokens: scoped, revocable, optionally expiring, stored only as sha256 hashes.

The raw token is shown once, at creation. It carries 256 random bits, so a plain sha256
(no salt, no slow hash) is enough: there is nothing to guess, and the hash can be looked up
by index on every request. Every creation and revocation is written to the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import bindparam, select

from assessor.extensions import db
from assessor.models import ApiToken, AuditEvent, utcnow
from assessor.models.auth import SCOPES

ADMIN = "admin"
#: last_used_at is written at most this often per token, so that many concurrent requests
#: made with one token (a bulk submission run) do not queue on a lock on the token's row.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_MAX_NAME_LENGTH = 200
#: Built once: every API request runs it, and building it per request cost a third as much
#: as running it.
_BY_HASH = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash"))


class TokenError(ValueError):
    """A token request that cannot be carried out; the message says why."""


def hash_token(raw: str) -> str:
    """The one hash of every secret token stored (API tokens, invitations, survey links): the
    database holds only this, so a leaked table opens nothing."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def expiry_of(day: date) -> datetime:
    """A token created with `--expires 2027-03-31` works through that whole day (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=UTC)


def grants(token: ApiToken, scope: str) -> bool:
    """`admin` grants every scope."""
    return ADMIN in token.scopes or scope in token.scopes


def is_active(token: ApiToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    if token.revoked_at is not None:
        return False
    return token.expires_at is None or now < token.expires_at


def create_token(
    name: str,
    scopes: list[str] | tuple[str, ...],
    expires: date | None = None,
    *,
    actor: str = "cli",
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the raw secret, which is never stored.

    Names are unique among active tokens, so that the audit log's token names and
    `tokens revoke NAME` are unambiguous."""
    name = name.strip()
    if not name:
        raise TokenError("a token needs a name (who holds it, e.g. 'NHS England')")
    if len(name) > _MAX_NAME_LENGTH:
        raise TokenError(f"a token name may have at most {_MAX_NAME_LENGTH} characters")
    wanted = list(dict.fromkeys(scopes))
    if not wanted:
        raise TokenError(f"give at least one scope: {', '.join(SCOPES)}")
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise TokenError(f"unknown scope {unknown[0]!r}; scopes are {', '.join(SCOPES)}")
    now = utcnow()
    expires_at = expiry_of(expires) if expires is not None else None
    if expires_at is not None and expires_at <= now:
        raise TokenError(f"the expiry date {expires.isoformat()} has passed")  # type: ignore[union-attr]
    if any(is_active(t, now) for t in _by_name(name)):
        raise TokenError(f"an active token is already named {name!r}; choose another name")
    raw = secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=hash_token(raw),
        scopes=wanted,
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    _audit(actor, "token.create", token, now, scopes=wanted)
    return token, raw


def authenticate(raw: str | None) -> ApiToken | None:
    """The active token with this secret, or None (unknown, revoked or expired)."""
    if not raw:
        return None
    token = db.session.scalar(_BY_HASH, {"token_hash": hash_token(raw)})
    now = utcnow()
    if token is None or not is_active(token, now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token


def find_token(id_or_name: str) -> ApiToken:
    """A token by id, or by name (the active one of that name, else the only one)."""
    if id_or_name.isdigit():
        token = db.session.get(ApiToken, int(id_or_name))
        if token is not None:
            return token
    matches = _by_name(id_or_name)
    active = [t for t in matches if is_active(t)]
    candidates = active or matches
    if not candidates:
        raise TokenError(f"no token has the id or name {id_or_name!r}")
    if len(candidates) > 1:
        ids = ", ".join(str(t.id) for t in candidates)
        raise TokenError(f"several tokens are named {id_or_name!r} (ids {ids}); give the id")
    return candidates[0]


def revoke(token: ApiToken, *, actor: str = "cli") -> bool:
    """Revoke a token; False when it was already revoked (revoking twice is harmless)."""
    if token.revoked_at is not None:
        return False
    now = utcnow()
    token.revoked_at = now
    _audit(actor, "token.revoke", token, now)
    db.session.flush()
    return True


def list_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))


def status_of(token: ApiToken, now: datetime | None = None) -> str:
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and now >= token.expires_at:
        return "expired"
    return "active"


def _by_name(name: str) -> list[ApiToken]:
    return list(
        db.session.scalars(select(ApiToken).where(ApiToken.name == name).order_by(ApiToken.id))
    )


def _audit(actor: str, action: str, token: ApiToken, at: datetime, **extra: object) -> None:
    db.session.add(
        AuditEvent(
            actor=actor,
            action=action,
            details={"token_id": token.id, "token_name": token.name, **extra},
            at=at,
        )
    )
