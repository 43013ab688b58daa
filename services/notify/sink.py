"""A local SMTP sink for development and tests (``slagkracht smtp-sink``): accepts every
message and writes it, as received, to ``<folder>/<time>-<id>.eml``. It relays nothing;
production points SMTP_URL at a real relay."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class MailFolder:
    """aiosmtpd handler: each accepted message becomes one .eml file (written whole, then
    renamed, so a reader never sees half a message)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        if isinstance(envelope.content, bytes) and not content:
            content = envelope.content
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.eml"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(content)
        os.replace(partial, self.folder / name)
        return "250 Message accepted for delivery"


class SmtpSink:
    """The sink on ``host:port`` in a background thread (``start``/``stop``)."""

    def __init__(self, folder: Path, *, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.folder = folder
        self.controller = Controller(MailFolder(folder), hostname=host, port=port)

    @property
    def url(self) -> str:
        return f"smtp://{self.controller.hostname}:{self.controller.port}"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve(folder: Path, host: str, port: int) -> None:
    """Run until interrupted (the launcher stops it with SIGTERM/SIGINT)."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with SmtpSink(folder, host=host, port=port) as sink:
        print(f"SMTP sink on {sink.url}, writing every message to {folder.resolve()}", flush=True)
        stop.wait()
