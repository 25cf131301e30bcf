"""A real OpenID provider for the tests, built with Authlib's server side and served over
HTTP on a local port: discovery, JWKS, authorisation (code flow with PKCE and nonce) and
token endpoints. It stands in for NHSmail / Entra ID.

There is no login form: the authorisation endpoint signs in whoever `provider.person` names
(the person at the browser), or answers `access_denied` when it names nobody. `provider.mode`
makes it misbehave the way an attacker or a misconfigured tenant would: `tamper` alters the
ID token's claims after signing, `audience` signs one for another client, `expired` signs
one that expired an hour ago, `issuer` signs one from another issuer, `unverified` says the
address is not verified.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify
from joserfc import jwt
from joserfc.jwk import RSAKey
from joserfc.util import urlsafe_b64decode, urlsafe_b64encode
from werkzeug.serving import make_server

KID = "test-key-1"


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Any local redirect: the app under test runs on a port chosen at random.
        return redirect_uri.startswith(("http://localhost", "http://127.0.0.1"))

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    email: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return "0"

    def get_amr(self) -> list[str]:
        return ["pwd", "mfa"]


class Provider:
    """The provider and its knobs; `issuer` is its URL once started."""

    def __init__(self, client_id: str = "assessor", client_secret: str = "s3cret") -> None:
        self.client = Client(client_id, client_secret)
        self.key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig"}, private=True)
        self.codes: dict[str, Code] = {}
        self.used_codes: set[str] = set()
        self.person: str | None = None
        self.mode: str | None = None
        self.token_requests = 0
        self.issuer = ""
        self._server: Any = None

    def subject_of(self, email: str) -> str:
        return "sub-" + email.split("@")[0]

    # ------------------------------------------------------------------ serving

    def start(self) -> Provider:
        app = self._app()
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    def _app(self) -> Flask:
        app = Flask("test-oidc-provider")
        provider = self
        server = AuthorizationServer(
            app, query_client=self._query_client, save_token=lambda token, req: None
        )

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, req: Any) -> None:
                payload = req.payload
                provider.codes[code] = Code(
                    code=code,
                    client_id=req.client.client_id,
                    redirect_uri=payload.redirect_uri,
                    scope=payload.scope,
                    email=req.user,
                    nonce=payload.data.get("nonce"),
                    code_challenge=payload.data.get("code_challenge"),
                    code_challenge_method=payload.data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)
                provider.used_codes.add(authorization_code.code)

            def authenticate_user(self, authorization_code: Code) -> str:
                return authorization_code.email

        class OpenID(OpenIDCode):
            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: Client) -> str:
                return "RS256"

            def get_encode_header(self, client: Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": KID}

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                now = int(time.time())
                claims: dict[str, Any] = {"iss": provider.issuer, "aud": [client.client_id]}
                if provider.mode == "audience":  # another client's token, naming us as azp
                    claims.update(aud=["someone-else"], azp=client.client_id)
                if provider.mode == "issuer":
                    claims["iss"] = "https://login.example.invalid/other-tenant/v2.0"
                if provider.mode == "expired":
                    claims.update(iat=now - 7200, exp=now - 3600)
                return claims

            def generate_user_info(self, user: str, scope: str) -> UserInfo:
                info = UserInfo(sub=provider.subject_of(user), email=user, preferred_username=user)
                if provider.mode == "unverified":
                    info["email_verified"] = False
                return info

        server.register_grant(CodeGrant, [CodeChallenge(required=True), OpenID(require_nonce=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            base = provider.issuer
            return jsonify(
                issuer=base,
                authorization_endpoint=f"{base}/authorize",
                token_endpoint=f"{base}/token",
                jwks_uri=f"{base}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
                scopes_supported=["openid", "email", "profile"],
                token_endpoint_auth_methods_supported=[
                    "client_secret_basic",
                    "client_secret_post",
                ],
            )

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify(keys=[provider.key.as_dict(private=False)])

        @app.get("/authorize")
        def authorize() -> Any:
            return server.create_authorization_response(grant_user=provider.person)

        @app.post("/token")
        def token() -> Any:
            provider.token_requests += 1
            response = server.create_token_response()
            if provider.mode == "tamper" and response.status_code == 200:
                body = json.loads(response.get_data())
                body["id_token"] = _tampered(body["id_token"])
                response.set_data(json.dumps(body))
            return response

        return app

    def _query_client(self, client_id: str) -> Client | None:
        return self.client if client_id == self.client.client_id else None

    def decode(self, id_token: str) -> dict[str, Any]:
        return jwt.decode(id_token, self.key).claims


def _tampered(id_token: str) -> str:
    """The same signature over claims changed to another person's address."""
    header, payload, signature = id_token.split(".")
    claims = json.loads(urlsafe_b64decode(payload.encode()))
    claims["email"] = claims["preferred_username"] = "admin@example.nhs.uk"
    changed = urlsafe_b64encode(json.dumps(claims).encode()).decode()
    return f"{header}.{changed}.{signature}"
