"""A browser-like HTTP client for the portal: a cookie session, CSRF tokens read from forms."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import requests

TIMEOUT_S = 30
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def hidden_value(html: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert found, f"no hidden field {name!r} in the page"
    return unescape(found.group(1))


def csrf_token(html: str) -> str:
    found = _CSRF.search(html) or _META_CSRF.search(html)
    assert found, "no CSRF token in the page"
    return unescape(found.group(1))


class PortalClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(f"{self.base_url}{path}", timeout=TIMEOUT_S, **kwargs)

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> requests.Response:
        return self.http.post(f"{self.base_url}{path}", data=data, timeout=TIMEOUT_S, **kwargs)

    def submit(self, page_path: str, action: str, data: dict[str, Any]) -> requests.Response:
        """Open ``page_path`` and post ``data`` to ``action`` with the page's CSRF token."""
        page = self.get(page_path)
        assert page.status_code == 200, page.text
        return self.post(action, {"csrf_token": csrf_token(page.text), **data})

    def sign_in(self, persona: str) -> requests.Response:
        response = self.submit("/sign-in", "/sign-in/persona", {"persona": persona, "next": "/"})
        assert response.status_code == 200, response.text
        return response
