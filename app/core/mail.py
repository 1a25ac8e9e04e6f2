"""A pluggable mail backend. The default writes messages (and so their links) to the log."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from flask import current_app


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


class LogBackend:
    """Write each message to the application log (the default: no mail server needed)."""

    def send(self, message: Message) -> None:
        current_app.logger.warning("Mail to %s: %s\n%s", message.to, message.subject, message.body)


class MemoryBackend:
    """Keep messages in ``outbox`` (used by the test suite to follow links)."""

    #: One shared outbox per process; the test suite clears it.
    outbox: list[Message] = []

    def send(self, message: Message) -> None:
        self.outbox.append(message)


BACKENDS = {"log": LogBackend, "memory": MemoryBackend}


def backend():
    """Return the configured backend: ``log``, ``memory`` or a dotted path ``pkg.module:Class``."""
    name = current_app.config["MAIL_BACKEND"]
    if name in BACKENDS:
        return BACKENDS[name]()
    module_name, _, class_name = name.partition(":")
    return getattr(import_module(module_name), class_name)()


def send(to: str, subject: str, body: str) -> None:
    """Send one plain-text message through the configured backend."""
    backend().send(Message(to=to, subject=subject, body=body))
