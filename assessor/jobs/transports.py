"""How messages leave: SMTP (an NHSmail relay or any server, `SMTP_URL`) or GOV.UK Notify
(`NOTIFY_API_KEY`). A transport sends a claimed batch and calls `commit_sent` with the ids
it is about to hand over for good, so that a worker killed at any moment neither loses a
message nor sends one twice (see SmtpTransport.send)."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

SENT = "sent"
TEMPORARY = "temporary"
PERMANENT = "permanent"


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    key: str
    kind: str
    channel: str
    to: str
    subject: str
    body: str
    optout: str
    #: Named values for a Notify template (Notify's own templates hold the layout).
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    kind: str  # TEMPORARY or PERMANENT
    error: str


CommitSent = Callable[[list[int]], None]


class Transport(Protocol):
    channels: tuple[str, ...]

    def send(self, batch: list[Outgoing], commit_sent: CommitSent) -> dict[int, Failure]:
        """Send the batch; return the failures by message id (the rest were sent)."""

    def close(self) -> None: ...


def _classify(code: int, reply: bytes | str) -> Failure:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    kind = PERMANENT if 500 <= code < 600 else TEMPORARY
    return Failure(kind, f"{code} {text}"[:300])


class SmtpTransport:
    """Email over SMTP, one connection per message of a batch.

    Each message goes up to the end of its DATA, without the final dot; then its row is
    marked sent (committed), and only then is the dot written. A server discards a message
    whose DATA never ended, so a worker killed before the commit leaves the message to be
    sent again by the next worker, and one killed after it has already handed the message
    over; only the microseconds between the commit and writing three bytes are unguarded.
    """

    channels = ("email",)

    def __init__(self, url: str, sender: str, connections: int = 50) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise ValueError("SMTP_URL must start smtp://, smtp+starttls:// or smtps://")
        self.scheme = parts.scheme
        self.host = parts.hostname or "localhost"
        self.port = parts.port or {"smtp": 25, "smtps": 465, "smtp+starttls": 587}[parts.scheme]
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.slots: list[smtplib.SMTP | None] = [None] * connections

    def _connect(self) -> smtplib.SMTP:
        if self.scheme == "smtps":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=30, context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=30)
        conn.ehlo()
        if self.scheme == "smtp+starttls":
            conn.starttls(context=ssl.create_default_context())
            conn.ehlo()
        if self.user:
            conn.login(self.user, self.password or "")
        return conn

    def _slot(self, index: int) -> smtplib.SMTP:
        conn = self.slots[index]
        if conn is None:
            conn = self.slots[index] = self._connect()
        return conn

    def _drop(self, index: int) -> None:
        conn, self.slots[index] = self.slots[index], None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def message_bytes(self, item: Outgoing) -> bytes:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = item.to
        msg["Subject"] = item.subject
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = f"<{item.key}@assessor>"
        msg["List-Unsubscribe"] = f"<{item.optout}>"
        msg.set_content(item.body)
        data = smtplib._quote_periods(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))  # type: ignore[attr-defined]
        return data if data.endswith(b"\r\n") else data + b"\r\n"

    def _open_data(self, index: int, item: Outgoing) -> Failure | None:
        """Send the envelope and the body, all but the final dot."""
        conn = self._slot(index)
        code, reply = conn.mail(self.sender)
        if code == 250:
            code, reply = conn.rcpt(item.to)
        if code == 250:
            conn.putcmd("data")
            code, reply = conn.getreply()
            if code == 354:
                conn.send(self.message_bytes(item))
                return None
        conn.rset()
        return _classify(code, reply)

    def send(self, batch: list[Outgoing], commit_sent: CommitSent) -> dict[int, Failure]:
        assert len(batch) <= len(self.slots), "a batch is at most one message per connection"
        failures: dict[int, Failure] = {}
        ready: list[tuple[int, Outgoing]] = []
        for index, item in enumerate(batch):
            try:
                failure = self._open_data(index, item)
            except (smtplib.SMTPException, OSError) as exc:
                self._drop(index)
                failure = Failure(TEMPORARY, f"connection: {exc}"[:300])
            if failure is None:
                ready.append((index, item))
            else:
                failures[item.message_id] = failure
        commit_sent([item.message_id for _, item in ready])
        for index, item in ready:
            try:
                self._slot(index).send(b".\r\n")
                code, reply = self._slot(index).getreply()
            except (smtplib.SMTPException, OSError) as exc:
                self._drop(index)
                failures[item.message_id] = Failure(TEMPORARY, f"connection: {exc}"[:300])
                continue
            if code != 250:
                failures[item.message_id] = _classify(code, reply)
        return failures

    def close(self) -> None:
        for index in range(len(self.slots)):
            conn = self.slots[index]
            if conn is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    conn.quit()
            self.slots[index] = None


class NotifyTransport:
    """Email and SMS through GOV.UK Notify, paced under its rate limit (3,000 a minute),
    with back-off on 429 and 5xx. A 400 is the address's fault: a permanent failure."""

    channels = ("email", "sms")

    def __init__(
        self,
        api_key: str,
        templates: Mapping[str, str],
        base_url: str | None = None,
        per_minute: int = 3000,
        retries: int = 4,
        backoff: float = 1.0,
    ) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
        self.client = NotificationsAPIClient(api_key, timeout=15, **kwargs)
        self.templates = templates
        self.interval = 60.0 / per_minute
        self.retries = retries
        self.backoff = backoff
        self._next = 0.0

    def _pace(self) -> None:
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
        self._next = max(now, self._next) + self.interval

    def _post(self, item: Outgoing) -> None:
        template = self.templates[f"{item.channel}_{item.kind}"]
        personalisation = {"subject": item.subject, "body": item.body, **item.fields}
        if item.channel == "sms":
            self.client.send_sms_notification(
                item.to, template, personalisation=personalisation, reference=item.key
            )
        else:
            self.client.send_email_notification(
                item.to,
                template,
                personalisation=personalisation,
                reference=item.key,
                one_click_unsubscribe_url=item.optout,
            )

    def _one(self, item: Outgoing) -> Failure | None:
        from notifications_python_client.errors import APIError

        for attempt in range(self.retries + 1):
            self._pace()
            try:
                self._post(item)
                return None
            except APIError as exc:
                status = exc.status_code
                if status == 400:
                    return Failure(PERMANENT, f"{status} {exc.message}"[:300])
                if status != 429 and status < 500:
                    raise  # 403 and the like: the key or a template id is wrong
                error = Failure(TEMPORARY, f"{status} {exc.message}"[:300])
            if attempt < self.retries:
                time.sleep(self.backoff * 2**attempt)
        return error

    def send(self, batch: list[Outgoing], commit_sent: CommitSent) -> dict[int, Failure]:
        failures: dict[int, Failure] = {}
        for item in batch:
            failure = self._one(item)
            if failure is None:
                commit_sent([item.message_id])
            else:
                failures[item.message_id] = failure
        return failures

    def close(self) -> None:
        pass


def transport_from(config: Mapping[str, Any]) -> Transport:
    """Notify when NOTIFY_API_KEY is set, else SMTP when SMTP_URL is; else refuse."""
    if config.get("NOTIFY_API_KEY"):
        return NotifyTransport(
            config["NOTIFY_API_KEY"],
            config["NOTIFY_TEMPLATES"],
            base_url=config.get("NOTIFY_URL") or None,
            per_minute=int(config.get("NOTIFY_PER_MINUTE", 3000)),
            backoff=float(config.get("NOTIFY_BACKOFF_SECONDS", 1.0)),
        )
    if config.get("SMTP_URL"):
        return SmtpTransport(config["SMTP_URL"], config["SMTP_FROM"])
    raise LookupError("set SMTP_URL or NOTIFY_API_KEY to send messages")


def channels_of(config: Mapping[str, Any]) -> tuple[str, ...]:
    if config.get("NOTIFY_API_KEY"):
        return NotifyTransport.channels
    if config.get("SMTP_URL"):
        return SmtpTransport.channels
    return ()
