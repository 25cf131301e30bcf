"""A real SMTP server for tests (aiosmtpd on a free local port) that keeps every message
it accepts, and can refuse chosen recipients permanently (550) or for now (451)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+/i/([A-Za-z0-9_-]+)")
OPT_OUT = re.compile(r"https?://\S+/o/([A-Za-z0-9_-]+)")


@dataclass
class Received:
    to: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        return self.message.get_content()

    @property
    def link(self) -> str:
        found = LINK.search(self.body)
        assert found, self.body
        return found.group(1)

    @property
    def opt_out(self) -> str:
        found = OPT_OUT.search(self.body)
        assert found, self.body
        return found.group(1)


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    #: (step, address): the server stops answering at that step ("rcpt", or "data" after
    #: it has the whole message) for that address until `release` is set; `held` is set
    #: meanwhile.
    hold: tuple[str, str] | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def _wait_if_held(self, step: str, address: str) -> None:
        if self.hold == (step, address):
            self.held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        await self._wait_if_held("rcpt", address)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        # Held here, the message is kept but its 250 not yet sent, as a relay that has
        # queued a message keeps it even if the client goes before reading the reply.
        await self._wait_if_held("data", envelope.rcpt_tos[0])
        return "250 Message accepted"


class SmtpServer:
    def __init__(self) -> None:
        self.handler = Handler()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.to]

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.received.clear()


@pytest.fixture()
def smtp_server(app, monkeypatch) -> Iterator[SmtpServer]:  # type: ignore[no-untyped-def]
    """A running server, with the app set to send through it (and no Notify)."""
    server = SmtpServer()
    server.controller.start()
    monkeypatch.setitem(app.config, "SMTP_URL", server.url)
    monkeypatch.setitem(app.config, "NOTIFY_API_KEY", "")
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    try:
        yield server
    finally:
        server.handler.release.set()
        server.controller.stop()
