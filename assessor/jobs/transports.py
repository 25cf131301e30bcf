"""How messages leave: SMTP (an NHSmail relay or any server, `SMTP_URL`) or GOV.UK Notify
(`NOTIFY_API_KEY`). A transport sends a claimed batch and calls `commit_sent` with the ids
it has handed over (SMTP: is about to hand over) for good, so that a worker killed at any
moment loses no message; what may still go twice, and how each transport narrows it, is
in jobs/sending.py's docstring."""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from assessor.jobs.pacing import Pace
from assessor.jobs.queue import redis_from_url

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
    #: Claimed before (by a worker that died, or for an attempt that failed): it may have
    #: reached the service already.
    claimed_before: bool = False


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


def message_id(key: str, sender: str) -> str:
    """The Message-ID of the message with this key: the same on every attempt, so that a
    receiving system can drop a second copy. The key's colons become dots and any other
    character outside letters, digits, '-' and '_' is written =XX, which keeps distinct
    keys distinct and the id valid (RFC 5322 dot-atom, for keys as campaigns/outbox.py makes
    them: no leading, trailing or doubled colon); the right side is the sender's domain."""
    left = re.sub(
        r"[^A-Za-z0-9_-]",
        lambda m: "." if m[0] == ":" else "".join(f"={b:02X}" for b in m[0].encode()),
        key,
    )
    domain = parseaddr(sender)[1].rpartition("@")[2]
    if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*", domain):
        domain = "assessor.invalid"
    return f"<{left}@{domain}>"


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
        # Each body and its dot are two writes with no reply between: without this,
        # Nagle's algorithm holds the dot until the body is acknowledged (up to 40 ms).
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
        """The message as sent in DATA (periods quoted, ending in CRLF). Plain ASCII, the
        usual case, is written out directly: the email package takes longer than the send."""
        headers = {
            "From": self.sender,
            "To": item.to,
            "Subject": item.subject,
            "Date": formatdate(usegmt=True),
            "Message-ID": message_id(item.key, self.sender),
            "List-Unsubscribe": f"<{item.optout}>",
        }
        text = "".join(headers.values()) + item.body
        if text.isascii() and all(len(line) < 990 for line in text.splitlines()):
            head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            head += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
            body = "\r\n".join(item.body.splitlines())
            data = (head + "Content-Transfer-Encoding: 7bit\r\n\r\n" + body).encode("ascii")
        else:
            msg = EmailMessage()
            for name, value in headers.items():
                msg[name] = value
            msg.set_content(item.body)
            data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        data = smtplib._quote_periods(data)  # type: ignore[attr-defined]
        return data if data.endswith(b"\r\n") else data + b"\r\n"

    def _round(
        self,
        live: dict[int, Outgoing],
        failures: dict[int, Failure],
        write: Callable[[smtplib.SMTP, Outgoing], None],
        expect: int | None,
    ) -> None:
        """One step for every live connection at once: every write, then every reply, so
        that a batch waits for one round trip per step rather than one per message.
        Connections whose reply is not `expect` leave `live`, their message failed."""
        for index, item in list(live.items()):
            try:
                write(self._slot(index), item)
            except (smtplib.SMTPException, OSError) as exc:
                self._fail(index, live, failures, Failure(TEMPORARY, f"connection: {exc}"))
        if expect is None:
            return
        for index in list(live):
            try:
                code, reply = self._slot(index).getreply()
            except (smtplib.SMTPException, OSError) as exc:
                self._fail(index, live, failures, Failure(TEMPORARY, f"connection: {exc}"))
                continue
            if code != expect:
                self._fail(index, live, failures, _classify(code, reply), reset=True)

    def _fail(
        self,
        index: int,
        live: dict[int, Outgoing],
        failures: dict[int, Failure],
        failure: Failure,
        reset: bool = False,
    ) -> None:
        failures[live.pop(index).message_id] = Failure(failure.kind, failure.error[:300])
        if not reset:
            self._drop(index)
            return
        try:
            self._slot(index).rset()
        except (smtplib.SMTPException, OSError):
            self._drop(index)

    def send(self, batch: list[Outgoing], commit_sent: CommitSent) -> dict[int, Failure]:
        assert len(batch) <= len(self.slots), "a batch is at most one message per connection"
        failures: dict[int, Failure] = {}
        live: dict[int, Outgoing] = {}
        for index, item in enumerate(batch):
            try:
                self._slot(index)
                live[index] = item
            except (smtplib.SMTPException, OSError) as exc:
                self._drop(index)
                failures[item.message_id] = Failure(TEMPORARY, f"connection: {exc}"[:300])
        sender = smtplib.quoteaddr(self.sender)
        self._round(live, failures, lambda c, i: c.putcmd("mail", f"FROM:{sender}"), 250)
        self._round(live, failures, lambda c, i: c.putcmd("rcpt", f"TO:<{i.to}>"), 250)
        self._round(live, failures, lambda c, i: c.putcmd("data"), 354)
        # Each message up to the end of its DATA, without the final dot.
        self._round(live, failures, lambda c, i: c.send(self.message_bytes(i)), None)
        commit_sent([item.message_id for item in live.values()])
        # Every dot, then every reply: the unguarded moment is the few microseconds the
        # dots' writes take after the commit.
        self._round(live, failures, lambda c, i: c.send(b".\r\n"), 250)
        return failures

    def close(self) -> None:
        for index in range(len(self.slots)):
            conn = self.slots[index]
            if conn is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    conn.quit()
            self.slots[index] = None


class NotifyTransport:
    """Email and SMS through GOV.UK Notify, paced under its rate limit (3,000 requests a
    minute per service, shared by every worker through Redis when given one:
    jobs/pacing.py), with back-off on 429 and 5xx. A 400 is the address's fault: a
    permanent failure.

    Each message is posted with its key as Notify's `reference`. A message that may have
    reached Notify already (claimed before, by a worker that died between Notify's answer
    and the commit; or retried after a 5xx or no answer, which can come after Notify took
    it) is first looked up by that reference, and counted as sent if Notify holds it. A
    first send pays for no lookup."""

    channels = ("email", "sms")

    def __init__(
        self,
        api_key: str,
        templates: Mapping[str, str],
        base_url: str | None = None,
        per_minute: int = 3000,
        retries: int = 4,
        backoff: float = 1.0,
        redis: Any | None = None,
        pace_key: str | None = None,
    ) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
        self.client = NotificationsAPIClient(api_key, timeout=15, **kwargs)
        self.templates = templates
        self.retries = retries
        self.backoff = backoff
        # Notify counts its limit per service: workers sending for one service share a key.
        key = pace_key or f"assessor:notify-pace:{self.client.service_id}"
        self.pace = Pace(60.0 / per_minute, redis, key)

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

    def _held(self, item: Outgoing) -> bool:
        """Whether Notify already holds a notification with the message's reference (it
        lists those of the last 7 days, far longer than a claim takes to go stale)."""
        found = self.client.get_all_notifications(reference=item.key)
        return any(n.get("reference") == item.key for n in found.get("notifications") or ())

    def _one(self, item: Outgoing) -> Failure | None:
        from notifications_python_client.errors import APIError

        look = item.claimed_before
        for attempt in range(self.retries + 1):
            posting = False
            try:
                if look:
                    self.pace.wait()
                    if self._held(item):
                        return None
                posting = True
                self.pace.wait()
                self._post(item)
                return None
            except APIError as exc:
                status = exc.status_code
                if status == 400 and posting:
                    return Failure(PERMANENT, f"{status} {exc.message}"[:300])
                if status != 429 and status < 500:
                    raise  # 403 and the like: the key or a template id is wrong
                error = Failure(TEMPORARY, f"{status} {exc.message}"[:300])
                # A 5xx, or no answer (the client's 503), may have come after Notify took
                # the message: look for it before posting it again.
                look = look or (posting and status != 429)
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
    """Notify when NOTIFY_API_KEY is set, else SMTP when SMTP_URL is; else refuse. Notify's
    pace is shared through Redis when REDIS_URL is set."""
    if config.get("NOTIFY_API_KEY"):
        url = config.get("REDIS_URL")
        return NotifyTransport(
            config["NOTIFY_API_KEY"],
            config["NOTIFY_TEMPLATES"],
            base_url=config.get("NOTIFY_URL") or None,
            per_minute=int(config.get("NOTIFY_PER_MINUTE", 3000)),
            backoff=float(config.get("NOTIFY_BACKOFF_SECONDS", 1.0)),
            redis=redis_from_url(url) if url else None,
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
