"""A stand-in for the three APIs over real HTTP, for the portal's own behaviour: what it
forwards (token, language, request id) and how it shows each kind of answer. It answers
what a test tells it to and records every request; nothing here is patched into the portal."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server


@dataclass
class FakeApi:
    url: str = ""
    answers: dict[tuple[str, str], tuple[int, Any, float]] = field(default_factory=dict)
    seen: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, method: str, path: str, status: int, body: Any, delay_s: float = 0) -> None:
        """``path`` below /api/v1, e.g. ``/categories``."""
        self.answers[(method, f"/api/v1{path}")] = (status, body, delay_s)

    def last(self, path: str) -> dict[str, Any]:
        matching = [s for s in self.seen if s["path"] == f"/api/v1{path}"]
        assert matching, f"the portal did not call {path}"
        return matching[-1]


def _app(fake: FakeApi) -> Flask:
    app = Flask("fake-api")

    @app.route("/api/v1/<path:rest>", methods=["GET", "POST"])
    def any_call(rest: str) -> Response:
        fake.seen.append(
            {
                "method": request.method,
                "path": request.path,
                "headers": dict(request.headers),
                "args": request.args.to_dict(),
                "json": request.get_json(silent=True),
            }
        )
        status, body, delay_s = fake.answers.get(
            (request.method, request.path), (404, {"title": "Not Found", "status": 404}, 0)
        )
        if delay_s:
            time.sleep(delay_s)  # simulates a slow API for the portal's read timeout
        response = jsonify(body)
        response.status_code = status
        if status >= 400:
            response.mimetype = "application/problem+json"
        return response

    return app


@contextmanager
def running_fake_api() -> Iterator[FakeApi]:
    fake = FakeApi()
    server = make_server("127.0.0.1", 0, _app(fake), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
