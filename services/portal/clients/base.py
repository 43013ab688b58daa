"""One HTTP client per API on a shared base: timeouts, the user's token and language, the
request id, and API errors turned into exceptions the portal shows as pages or messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests


def flatten_errors(errors: object, prefix: str = "") -> dict[str, list[str]]:
    """problem+json ``errors`` (possibly nested per field) as ``{"a.b": ["message", ...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for inner, messages in flatten_errors(value, name).items():
                flat.setdefault(inner, []).extend(messages)
    elif isinstance(errors, list | tuple):
        for item in errors:
            for inner, messages in flatten_errors(item, prefix).items():
                flat.setdefault(inner, []).extend(messages)
    elif errors is not None:
        flat.setdefault(prefix or "_body", []).append(str(errors))
    return flat


class ApiProblem(Exception):
    """An API answered with an error (problem+json, RFC 9457)."""

    def __init__(self, service: str, status: int, body: Mapping[str, Any]) -> None:
        self.service = service
        self.status = status
        self.title = str(body.get("title") or "")
        self.detail = str(body.get("detail") or "")
        self.errors = flatten_errors(body.get("errors"))
        self.body = dict(body)
        super().__init__(f"{service} answered {status}: {self.title} {self.detail}".strip())

    @property
    def message(self) -> str:
        """What to tell the user: the detail, else the title."""
        return self.detail or self.title


class ApiUnavailable(Exception):
    """An API could not be reached in time (connection refused, timeout, 5xx gateway)."""

    def __init__(self, service: str, reason: str) -> None:
        self.service = service
        super().__init__(f"{service} unavailable: {reason}")


@dataclass(frozen=True)
class CallContext:
    """Who is calling: the token and language forwarded with every API request."""

    token: str | None
    language: str
    request_id: str
    connect_timeout_s: float = 3.05
    read_timeout_s: float = 15.0
    extra_headers: Mapping[str, str] = field(default_factory=dict)


class ApiClient:
    """The shared base; subclasses name their service and add one method per operation."""

    service: ClassVar[str] = ""

    def __init__(self, http: requests.Session, base_url: str, context: CallContext) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.context = context

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Accept-Language": self.context.language,
            "X-Request-ID": self.context.request_id,
            **self.context.extra_headers,
        }
        if self.context.token:
            headers["Authorization"] = f"Bearer {self.context.token}"
        return {**headers, **(extra or {})}

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One request to the API; ApiProblem for a 4xx/5xx answer, ApiUnavailable when
        the API cannot be reached or answers 502-504 (a gateway or proxy in between)."""
        url = f"{self.base_url}/api/v1{path}"
        try:
            response = self.http.request(
                method,
                url,
                params={k: v for k, v in (params or {}).items() if v not in (None, "")},
                json=json,
                headers=self.headers(headers),
                timeout=(self.context.connect_timeout_s, self.context.read_timeout_s),
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ApiUnavailable(self.service, type(exc).__name__) from exc
        if response.status_code in (502, 503, 504):
            raise ApiUnavailable(self.service, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"title": response.reason or f"HTTP {response.status_code}"}
            if not isinstance(body, Mapping):
                body = {"title": str(body)}
            raise ApiProblem(self.service, response.status_code, body)
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params).json()

    def every(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list (``{items, next_cursor}``), following the cursor page by page:
        for short lists a page shows whole (an asset's windows, the organisations)."""
        items: list[dict[str, Any]] = []
        while True:
            page = self.get(path, **params)
            items.extend(page["items"])
            if not page.get("next_cursor"):
                return items
            params = {**params, "cursor": page["next_cursor"]}

    def post(self, path: str, body: Any = None, headers: Mapping[str, str] | None = None) -> Any:
        response = self.call("POST", path, json=body if body is not None else {}, headers=headers)
        return response.json() if response.content else None
