"""Where a webhook may be sent: resolve its host and check every address it resolves to,
at registration and again at each delivery (a name may resolve differently later: DNS
rebinding); the delivery then connects to the very address it checked."""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.notify import domain


class UnsafeTarget(Exception):
    """The URL may not be called; ``field_message`` says why, for the caller."""

    def __init__(self, reason: str, address: str | None = None) -> None:
        super().__init__(f"{reason}{f' ({address})' if address else ''}")
        self.reason = reason
        self.address = address


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query
    address: str  # the checked IP the connection goes to


def check_url(url: str, *, allow_loopback: bool) -> Target:
    """The URL's target if every address its host resolves to is allowed; else UnsafeTarget
    with reason "scheme", "unresolvable", or the kind of address (loopback, private, ...)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("scheme")
    if parts.username or parts.password:
        raise UnsafeTarget("credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget("port") from exc
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget("unresolvable") from exc
    addresses = sorted({str(info[4][0]) for info in found})
    if not addresses:
        raise UnsafeTarget("unresolvable")
    for address in addresses:
        refusal = domain.address_refusal(address, allow_loopback=allow_loopback)
        if refusal is not None:
            raise UnsafeTarget(refusal, address)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name resolves to by now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """As _PinnedHTTP, with TLS verified against the URL's host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to the target's checked address; returns the HTTP status."""
    connection: http.client.HTTPConnection = (
        _PinnedHTTPS(target, timeout) if target.scheme == "https" else _PinnedHTTP(target, timeout)
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # a receiver's answer is not kept; read a little and close
        return int(response.status)
    finally:
        connection.close()
