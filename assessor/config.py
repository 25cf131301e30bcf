"""Settings from the environment, so one image runs as a pilot on SQLite or nationally on
PostgreSQL without a code change. Every setting is listed in the README."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

#: Stands in for SECRET_KEY in development and the demo only; serving refuses it otherwise.
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"
#: Shorter keys are refused outside demo mode: they sign sessions and key cursor encryption.
MIN_SECRET_KEY_LENGTH = 32
DEFAULT_MIN_RESPONDENTS = 5
#: The floor below which no campaign may go (scoring.md s.3, rule set 2: k is never below 5):
#: with fewer respondents a mean and a visible n reveal too much about each person.
FLOOR_MIN_RESPONDENTS = 5


def json_dumps(value: Any) -> str:
    """The one JSON serialiser for the database: compact and deterministic for the same
    value, so stored JSON can be compared as text (a rebuild rewrites only what changed);
    orjson because a rebuild parses hundreds of thousands of answer sets."""
    return orjson.dumps(value).decode("utf-8")


def _default_database_url() -> str:
    instance = Path.cwd() / "instance"
    return f"sqlite:///{instance / 'assessor.db'}"


def min_respondents_from(value: str | int | None) -> int:
    """Parse MIN_RESPONDENTS, refusing values below the floor rather than silently raising
    them: an administrator who asks for k=2 should learn that it is not allowed."""
    if value is None or value == "":
        return DEFAULT_MIN_RESPONDENTS
    try:
        k = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"MIN_RESPONDENTS must be a whole number, not {value!r}") from exc
    if k < FLOOR_MIN_RESPONDENTS:
        raise ValueError(f"MIN_RESPONDENTS must be at least {FLOOR_MIN_RESPONDENTS}, not {k}")
    return k


def serving_problems(config: Mapping[str, Any]) -> list[str]:
    """Why these settings must not serve real respondents (empty: they may). Checked by
    `assessor serve`, wsgi.py and gunicorn.conf.py before any worker starts."""
    if config.get("DEMO_MODE"):
        return []
    problems = []
    key = str(config.get("SECRET_KEY") or "")
    if key == DEVELOPMENT_SECRET_KEY or len(key) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_KEY_LENGTH}"
            ' characters (python -c "import secrets; print(secrets.token_urlsafe(48))"),'
            " or ASSESSOR_DEMO=1 set for a demo"
        )
    return problems


#: Settings shown on the privacy notice and the API reference (see `public.notice_settings`).
NOTICE_SETTINGS = (
    "PRIVACY_CONTROLLER",
    "PRIVACY_CONTACT",
    "PRIVACY_LAWFUL_BASIS",
    "PRIVACY_RETENTION",
    "API_TOKEN_CONTACT",
)


class Config:
    """Read once at app creation; tests pass overrides to create_app instead."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL") or _default_database_url()
        self.SECRET_KEY = env.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
        #: ASSESSOR_DEMO=1 (`make demo`) lets the service run with the development key.
        self.DEMO_MODE = env.get("ASSESSOR_DEMO", "") in ("1", "true", "yes")
        self.MIN_RESPONDENTS = min_respondents_from(env.get("MIN_RESPONDENTS"))
        self.QUESTIONNAIRES_DIR = env.get(
            "QUESTIONNAIRES_DIR", str(Path(__file__).resolve().parent.parent / "questionnaires")
        )
        #: Shared state for several workers (request limits); empty: process memory.
        self.REDIS_URL = env.get("REDIS_URL", "")
        #: Survey starts allowed per client address, campaign and hour on open links.
        self.SURVEY_STARTS_PER_HOUR = int(env.get("SURVEY_STARTS_PER_HOUR", "30") or 30)
        #: Requests to invitation links per client address (many staff may share one).
        self.INVITATION_LIMIT = env.get("INVITATION_LIMIT", "300 per hour")
        #: Failed board sign-ins allowed per account, and per client address.
        self.LOGIN_LIMIT_PER_ACCOUNT = env.get("LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes")
        self.LOGIN_LIMIT_PER_ADDRESS = env.get("LOGIN_LIMIT_PER_ADDRESS", "50 per 15 minutes")
        #: API submissions per token.
        self.API_SUBMISSIONS_LIMIT = env.get("API_SUBMISSIONS_LIMIT", "3000 per minute")
        self.BASE_URL = env.get("BASE_URL", "http://127.0.0.1:5000")
        #: Seconds an open campaign's admin preview may be reused (shared through the database).
        self.PREVIEW_SECONDS = float(env.get("PREVIEW_SECONDS", "5") or 5)
        #: Canonical base of the FHIR Questionnaire urls this service exports.
        self.FHIR_URL_BASE = env.get("FHIR_URL_BASE", "")
        #: How many reverse proxies sit in front of the app (0: none); their
        #: X-Forwarded-* headers are then trusted, so `next` links name the public host.
        self.TRUSTED_PROXIES = int(env.get("TRUSTED_PROXIES", "0") or 0)
        self._sign_in(env)
        self._reaching(env)
        #: The privacy notice's controller, contact, lawful basis and retention, and whom API
        #: users ask for a token: empty shows the demo's example wording, marked as an example.
        for name in NOTICE_SETTINGS:
            setattr(self, name, env.get(name, "").strip())
        self.MAX_CONTENT_LENGTH = 64 * 1024
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        #: Set SESSION_COOKIE_SECURE=1 wherever the service is reached over HTTPS.
        self.SESSION_COOKIE_SECURE = env.get("SESSION_COOKIE_SECURE", "") in ("1", "true", "yes")
        self.SQLALCHEMY_ENGINE_OPTIONS = {
            "pool_pre_ping": True,
            "json_serializer": json_dumps,
            "json_deserializer": orjson.loads,
        }
        self.API_TITLE = "assessor"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"

    def _sign_in(self, env: Mapping[str, str]) -> None:
        """Board sign-in: single sign-on, sessions, accounts, password hashing."""
        #: Single sign-on (OpenID Connect: NHSmail / Entra ID); empty issuer: passwords only.
        self.OIDC_ISSUER = env.get("OIDC_ISSUER", "")
        self.OIDC_CLIENT_ID = env.get("OIDC_CLIENT_ID", "")
        self.OIDC_CLIENT_SECRET = env.get("OIDC_CLIENT_SECRET", "")
        #: Whom a refused person should ask for access (shown on the refusal page).
        self.ACCESS_CONTACT = env.get("ACCESS_CONTACT", "")
        #: A board session ends this many hours after sign-in.
        self.SESSION_HOURS = float(env.get("SESSION_HOURS", "8") or 8)
        #: Accounts not used for this many days are disabled.
        self.INACTIVE_DAYS = int(env.get("INACTIVE_DAYS", "90") or 90)
        #: werkzeug's password hash method ("scrypt": n=32768, r=8, p=1). Tests set a cheap
        #: scrypt cost; production keeps the default.
        self.PASSWORD_HASH_METHOD = env.get("PASSWORD_HASH_METHOD", "scrypt")

    def _reaching(self, env: Mapping[str, str]) -> None:
        """Reaching respondents: SMTP or GOV.UK Notify, reminders, contacts, the queue, metrics."""
        #: Sending (README, "Reaching respondents"): SMTP, or GOV.UK Notify when its key is set.
        self.SMTP_URL = env.get("SMTP_URL", "")
        self.SMTP_FROM = env.get("SMTP_FROM", "assessor <noreply@assessor.nhs.example>")
        self.NOTIFY_API_KEY = env.get("NOTIFY_API_KEY", "")
        self.NOTIFY_URL = env.get("NOTIFY_URL", "")
        self.NOTIFY_TEMPLATES = {
            f"{channel}_{kind}": env.get(f"NOTIFY_{channel.upper()}_{kind.upper()}_TEMPLATE", "")
            for channel in ("email", "sms")
            for kind in ("invitation", "reminder")
        }
        self.NOTIFY_PER_MINUTE = int(env.get("NOTIFY_PER_MINUTE", "3000") or 3000)
        self.REMINDERS_MAX = int(env.get("REMINDERS_MAX", "2") or 2)
        self.REMINDER_DAYS = float(env.get("REMINDER_DAYS", "7") or 7)
        #: Contacts of a campaign that never closes are deleted after this many days.
        self.CONTACT_DAYS = float(env.get("CONTACT_DAYS", "30") or 30)
        #: Prometheus metrics at /metrics (off by default); METRICS_TOKEN: a bearer token.
        self.METRICS = env.get("METRICS", "") in ("1", "true", "yes")
        self.METRICS_TOKEN = env.get("METRICS_TOKEN", "")
        #: The RQ queue's name (several deployments may share one Redis).
        self.QUEUE_NAME = env.get("QUEUE_NAME", "assessor")
        #: A claim older than this is taken to belong to a worker that died.
        self.CLAIM_SECONDS = float(env.get("CLAIM_SECONDS", "300") or 300)

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if k.isupper()}
