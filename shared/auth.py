"""JWT bearer auth: HS256 with a shared secret in dev, RS256 via JWKS in production."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, TypeVar, cast

import jwt
from flask import current_app, g, request

from shared.errors import Forbidden, Unauthorized
from shared.settings import Settings

# Roles (DOMAIN.md "Who uses it")
PLANNER = "politie-planner"
OWNER = "defensie-beheerder"
FINANCE = "financien"
ADMIN = "beheerder-functioneel"
ALL_ROLES = (PLANNER, OWNER, FINANCE, ADMIN)


@dataclass(frozen=True)
class Principal:
    sub: str
    name: str
    org: str
    roles: frozenset[str]

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_joint(self) -> bool:
        """The joint controller and administrators see across organisations."""
        return self.org == "joint" or ADMIN in self.roles


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True)


def _verify(token: str, settings: Settings) -> tuple[Principal, int]:
    """Check signature, expiry and claims; the principal and the token's ``exp``."""
    try:
        if settings.jwt_jwks_url:
            key: Any = _jwks_client(settings.jwt_jwks_url).get_signing_key_from_jwt(token).key
            algorithms = ["RS256"]
        else:
            key, algorithms = settings.jwt_secret, ["HS256"]
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.jwt_audience,
            options={"require": ["exp", "sub"], "verify_aud": settings.jwt_audience is not None},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"The token is not valid: {exc}") from exc
    roles = claims.get("roles")
    if not isinstance(claims.get("org"), str) or not isinstance(roles, list):
        raise Unauthorized("The token lacks the 'org' and 'roles' claims.")
    principal = Principal(
        sub=str(claims["sub"]),
        name=str(claims.get("name", claims["sub"])),
        org=claims["org"],
        roles=frozenset(str(r) for r in roles),
    )
    return principal, int(claims["exp"])  # jwt.decode has checked that exp is an integer


class PrincipalCache:
    """Verified principals by raw token, least recently used evicted first.

    Verifying a token is ~120 µs of every authenticated request (HMAC or RSA, base64, JSON,
    claim checks), and a caller sends the same token many times. Only successful verifications
    are kept, each under the settings that verified it (secret, JWKS URL, audience), and only
    while the token is unexpired: ``exp`` is checked again on every hit, exactly as jwt.decode
    checks it (expired when ``exp <= now``). Nothing else that jwt.decode checks can turn a valid
    token invalid as time passes (``nbf``/``iat`` only become valid). An entry is also dropped
    after ``max_age_s``, so a signing key withdrawn from the JWKS stops being honoured about as
    soon as PyJWKClient's own key cache (5 minutes) would notice.
    """

    def __init__(self, maxsize: int = 1024, max_age_s: float = 300.0) -> None:
        self.maxsize = maxsize
        self.max_age_s = max_age_s
        self._entries: OrderedDict[tuple[str, ...], tuple[Principal, int, float]] = OrderedDict()
        self._lock = threading.Lock()  # gthread workers and tests share a process

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def decode(
        self, token: str, settings: Settings, *, now: Callable[[], float] = time.time
    ) -> Principal:
        """The principal of ``token`` under ``settings``; Unauthorized as decode_token says."""
        key = (token, settings.jwt_secret, settings.jwt_jwks_url or "", settings.jwt_audience or "")
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is not None:
            principal, exp, verified_at = entry
            moment = now()
            if exp > moment and moment - verified_at < self.max_age_s:
                return principal
            with self._lock:
                self._entries.pop(key, None)
            if exp <= moment:
                raise Unauthorized("The token has expired.")
        principal, exp = _verify(token, settings)
        with self._lock:
            self._entries[key] = (principal, exp, now())
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return principal


_principals = PrincipalCache()


def decode_token(token: str, settings: Settings) -> Principal:
    """Verify signature, expiry and claims; raise Unauthorized with the reason.

    A token verified before under the same settings is answered from a bounded cache, its
    expiry checked again (PrincipalCache)."""
    return _principals.decode(token, settings)


def mint_token(
    *,
    sub: str,
    name: str,
    org: str,
    roles: Iterable[str],
    secret: str,
    ttl_s: int = 12 * 3600,
) -> str:
    """An HS256 token for development and tests (production tokens come from the IdP)."""
    now = int(time.time())
    claims = {"sub": sub, "name": name, "org": org, "roles": list(roles), "iat": now}
    claims["exp"] = now + ttl_s
    return jwt.encode(claims, secret, algorithm="HS256")


def current_principal() -> Principal:
    """The caller of this request, verified once and cached on ``g``."""
    cached = g.get("principal")
    if cached is not None:
        return cast(Principal, cached)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send 'Authorization: Bearer <token>'.")
    principal = decode_token(token.strip(), current_app.config["SLAGKRACHT_SETTINGS"])
    g.principal = principal
    return principal


F = TypeVar("F", bound=Callable[..., Any])


def require_roles(*roles: str) -> Callable[[F], F]:
    """Decorator: the caller must be signed in and hold one of ``roles`` (none = any role)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if roles and not principal.has_role(*roles):
                raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate
