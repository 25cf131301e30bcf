"""A second factor for password accounts: a TOTP authenticator (RFC 6238, pyotp) and
one-time recovery codes. Admins with a password must enrol; others may. Accounts that sign
in with NHSmail rely on the provider's own MFA.

The secret is kept as is (the server must compute codes from it); recovery codes are kept
only as hashes and each works once. A code is accepted once: the step it belongs to is
remembered, so a code seen over a shoulder cannot be replayed within its 30 seconds.
"""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp
import segno

from assessor.auth.accounts import audit
from assessor.auth.roles import ADMIN
from assessor.auth.tokens import hash_token
from assessor.extensions import db
from assessor.models import User

ISSUER = "assessor"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def required(user: User) -> bool:
    """A password admin must have an authenticator before the sign-in completes."""
    return user.role == ADMIN and user.password_hash is not None


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an inline SVG element, drawn here (no third-party service)."""
    return segno.make(uri, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app", dark="#0b0c0c", light="#ffffff"
    )


def _step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step a code is right for (this step or the one either side), else None."""
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    digits = "".join(ch for ch in code if ch.isdigit())
    for offset in (0, -1, 1):
        moment = now + offset * totp.interval
        if hmac.compare_digest(totp.at(moment), digits):
            return int(moment // totp.interval)
    return None


def _normal(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes() -> list[str]:
    """Ten codes of 16 letters and digits (80 bits each), grouped in fours for reading."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def enrol(user: User, secret: str, code: str, *, at: float | None = None) -> list[str] | None:
    """Keep the authenticator whose code this is; returns the recovery codes to show once
    (None: the code is wrong, nothing kept)."""
    step = _step(secret, code, at)
    if step is None:
        return None
    codes = new_recovery_codes()
    user.totp_secret = secret
    user.totp_last_step = step
    user.recovery_codes = [hash_token(_normal(c)) for c in codes]
    audit(user.email, "auth.mfa_enrol")
    db.session.flush()
    return codes


def verify(user: User, code: str, *, at: float | None = None) -> str | None:
    """How the second factor was given (`totp` or `recovery code`), or None when not."""
    if not user.totp_secret:
        return None
    step = _step(user.totp_secret, code, at)
    if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
        user.totp_last_step = step
        return "totp"
    digest = hash_token(_normal(code))
    remaining = list(user.recovery_codes or [])
    for stored in remaining:
        if hmac.compare_digest(stored, digest):
            remaining.remove(stored)
            user.recovery_codes = remaining
            audit(user.email, "auth.recovery_code_used", left=len(remaining))
            return "recovery code"
    return None
