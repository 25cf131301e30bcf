"""Bearer-token checks for API views, and their place in the OpenAPI document.

`require_scope` must be the outermost decorator of a view method, so that a request without
a valid token is refused before its arguments are even parsed: a client without a token
learns nothing about the API but that it needs one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request

from assessor.auth.tokens import authenticate, grants
from assessor.models import ApiToken
from assessor.web.api import BEARER_SCHEME, PROBLEM_RESPONSE
from assessor.web.errors import problem

F = TypeVar("F", bound=Callable[..., Any])


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def current_token() -> ApiToken:
    """The token of the request being served (only inside a view guarded by require_scope)."""
    return g.api_token


def _unauthorised(detail: str, invalid: bool) -> Any:
    # RFC 6750: no error code when the request carried no credentials at all.
    challenge = 'Bearer realm="assessor"' + (', error="invalid_token"' if invalid else "")
    return problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": challenge})


def require_scope(scope: str) -> Callable[[F], F]:
    """Refuse the request with 401 (no valid token) or 403 (token without `scope`), and
    document the bearer requirement and both refusals on the operation."""

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            raw = bearer_token()
            if raw is None:
                return _unauthorised("This API needs an 'Authorization: Bearer' token.", False)
            token = authenticate(raw)
            if token is None:
                return _unauthorised("The token is unknown, revoked or expired.", True)
            if not grants(token, scope):
                return problem(
                    403,
                    "Forbidden",
                    f"This token does not have the {scope!r} scope.",
                    headers={
                        "WWW-Authenticate": f'Bearer realm="assessor", error="insufficient_scope",'
                        f' scope="{scope}"'
                    },
                )
            g.api_token = token
            return current_app.ensure_sync(func)(*args, **kwargs)

        doc = deepcopy(getattr(wrapper, "_apidoc", {}))
        manual = doc.setdefault("manual_doc", {})
        manual["security"] = [{BEARER_SCHEME: []}]
        manual["x-scope"] = scope
        wrapper.__doc__ = inspect.cleandoc(func.__doc__ or "") + (
            f"\n\nNeeds a bearer token with the `{scope}` scope"
            + ("." if scope == "admin" else " (or `admin`).")
        )
        responses = doc.setdefault("response", {}).setdefault("responses", {})
        for status in (401, 403):
            responses.setdefault(status, []).append(PROBLEM_RESPONSE)
        wrapper._apidoc = doc  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
