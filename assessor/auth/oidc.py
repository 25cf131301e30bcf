"""Sign in with NHSmail: OpenID Connect against the provider that OIDC_ISSUER names
(Microsoft Entra ID for NHSmail), through Authlib.

Authlib reads the provider's discovery document and keys, sends state, nonce and a PKCE
challenge (S256), and checks the ID token's signature against the provider's JWKS, its
issuer (the discovery document's), audience (our client id), expiry and nonce. The state
and PKCE verifier live in the signed session cookie and are used once, so a replayed
callback finds none. Who may then come in is `accounts.admit`'s decision.
"""

from __future__ import annotations

import logging
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from assessor.auth import accounts, sessions

log = logging.getLogger(__name__)
bp = Blueprint("oidc", __name__)
NAME = "nhsmail"
NEXT = "oidc_next"
SCOPE = "openid email profile"


def configured() -> bool:
    return bool(current_app.config.get("OIDC_ISSUER") and current_app.config.get("OIDC_CLIENT_ID"))


def client() -> FlaskOAuth2App:
    """The provider's client for the current settings (one per settings, kept by the app)."""
    config = current_app.config
    issuer = str(config["OIDC_ISSUER"]).rstrip("/")
    key = (issuer, config["OIDC_CLIENT_ID"], config.get("OIDC_CLIENT_SECRET") or "")
    clients = current_app.extensions.setdefault("assessor.oidc", {})
    if key not in clients:
        clients[key] = FlaskOAuth2App(
            FlaskIntegration(NAME),
            NAME,
            client_id=key[1],
            client_secret=key[2],
            server_metadata_url=f"{issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": 10},
        )
    return clients[key]


def _refused(reason: str, email: str = "", status: int = 403) -> tuple[str, int]:
    sessions.failed(email, "oidc", reason)
    contact = current_app.config.get("ACCESS_CONTACT") or ""
    page = render_template("auth/refused.html", reason=reason, email=email, contact=contact)
    return page, status


@bp.get("/login/nhsmail")
def start() -> Response:
    if not configured():
        abort(404)
    target = request.args.get("next")
    session[NEXT] = target if sessions.is_safe_next(target) else None
    try:
        return client().authorize_redirect(url_for("oidc.callback", _external=True))
    except (OAuthError, OSError, ValueError) as exc:  # discovery failed: provider down
        log.warning("OpenID discovery failed: %s", exc)
        return _provider_unavailable()  # type: ignore[return-value]


def _provider_unavailable() -> tuple[str, int]:
    return _refused("NHSmail sign-in is not available at the moment. Try again shortly.", "", 503)


def _claims() -> dict[str, Any]:
    """The ID token's checked claims; raises OAuthError or JoseError when any check fails.

    Authlib checks the audience only when told to (by default just `azp`, which a token for
    another client may carry naming us), so issuer and audience are both required here."""
    found = client()
    issuer = found.load_server_metadata().get("issuer")
    if issuer != str(current_app.config["OIDC_ISSUER"]).rstrip("/"):
        raise OAuthError(error="issuer_mismatch", description=f"discovery names {issuer!r}")
    options = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": found.client_id},
        "exp": {"essential": True},
    }
    token = found.authorize_access_token(claims_options=options)
    claims = token.get("userinfo")
    if not claims:
        raise OAuthError(error="no_id_token", description="the provider sent no ID token")
    return dict(claims)


@bp.get("/login/nhsmail/callback")
def callback() -> Response | tuple[str, int]:
    if not configured():
        abort(404)
    if request.args.get("error"):  # the person cancelled, or the provider said no
        log.info("NHSmail sign-in not completed: %s", request.args.get("error"))
        return _refused("You did not finish signing in with NHSmail.", status=400)
    try:
        claims = _claims()
    except (OAuthError, JoseError, ValueError, KeyError) as exc:
        log.warning("NHSmail sign-in refused: %s", exc)
        return _refused("The sign-in could not be checked, so it was refused.", status=400)
    except OSError as exc:
        log.warning("NHSmail token request failed: %s", exc)
        return _provider_unavailable()
    # Entra ID puts the address in `email` when that optional claim is configured, and in
    # `preferred_username` (the NHSmail address) always.
    email = str(claims.get("email") or claims.get("preferred_username") or "")
    if claims.get("email_verified") is False:  # a provider that says the address is unproven
        return _refused("NHSmail has not verified your e-mail address.", email)
    admitted = accounts.admit(email, str(claims["sub"]))
    if admitted.user is None:
        return _refused(admitted.refusal or "refused", email)
    target = session.get(NEXT)
    sessions.start(admitted.user, "oidc")
    return redirect(sessions.next_or_default(target))
