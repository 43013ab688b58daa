"""Bearer auth: HS256 with a shared secret in dev; in production RS256 via JWKS (or an opaque
access token the identity provider's userinfo vouches for), claims mapped by the settings."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, TypeVar, cast

import jwt
from flask import current_app, g, request

from shared.errors import Forbidden, Unauthorized, Unavailable
from shared.roles import ADMIN, ALL_ROLES, FINANCE, OWNER, PLANNER  # noqa: F401 (re-exported)
from shared.settings import Settings


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


def _jwks_signing_key(url: str, token: str) -> Any:
    """The JWKS key that signed ``token``: the one its ``kid`` names or, when the token names
    none (some providers leave it out), the only signing key the JWKS publishes."""
    client = _jwks_client(url)
    if jwt.get_unverified_header(token).get("kid") is not None:
        return client.get_signing_key_from_jwt(token).key
    keys = client.get_signing_keys()
    if len(keys) != 1:
        raise jwt.InvalidTokenError("it names no key (kid) and the JWKS holds several")
    return keys[0].key


def _jwt_claims(token: str, settings: Settings) -> tuple[dict[str, Any], int]:
    """The claims of a signed token (HS256 secret, or RS256 through the JWKS) and its ``exp``."""
    try:
        if settings.jwt_jwks_url:
            key: Any = _jwks_signing_key(settings.jwt_jwks_url, token)
            algorithms = ["RS256"]
        else:
            key, algorithms = settings.jwt_secret, ["HS256"]
        required = ["exp", "sub", *(["iss"] if settings.jwt_issuer else [])]
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": required, "verify_aud": settings.jwt_audience is not None},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.") from exc
    except jwt.PyJWTError as exc:
        # PyJWT's reason can quote the token's bytes ("Invalid header string: 'utf-8' codec
        # can't decode byte..."): the caller is told only what matters to them.
        raise Unauthorized("The token is invalid or expired.") from exc
    return claims, int(claims["exp"])  # jwt.decode has checked that exp is an integer


def _userinfo_claims(token: str, url: str) -> dict[str, Any]:
    """Who an opaque access token belongs to, as the identity provider's userinfo says."""
    asked = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(asked, timeout=5) as answer:
            claims = json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        if exc.code in (400, 401, 403):
            raise Unauthorized(
                "The token is not valid: the identity provider does not know it "
                "(expired, revoked or never issued)."
            ) from exc
        raise Unavailable("The identity provider could not be asked who you are.") from exc
    except (OSError, ValueError) as exc:
        raise Unavailable("The identity provider could not be asked who you are.") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
        raise Unavailable("The identity provider's userinfo answer names no subject.")
    return claims


def _claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by name, or by a dotted path into nested claims (``realm_access.roles``)."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def _verify(token: str, settings: Settings) -> tuple[Principal, int | None]:
    """Check signature, expiry and claims; the principal and the token's ``exp``.

    A JWT is verified locally (JWKS or the dev secret); any other token, when
    ``JWT_USERINFO_URL`` is set, is an opaque access token the identity provider vouches for
    (it says nothing of its own expiry: None, and PrincipalCache asks again after its max age).
    Either way the organisation and roles come from the configured claims."""
    exp: int | None = None
    if settings.jwt_userinfo_url and not _looks_like_jwt(token):
        claims = _userinfo_claims(token, settings.jwt_userinfo_url)
    else:
        claims, exp = _jwt_claims(token, settings)
    org = _claim(claims, settings.jwt_org_claim)
    roles = _claim(claims, settings.jwt_roles_claim)
    if not isinstance(org, str) or not isinstance(roles, list):
        raise Unauthorized(
            f"The token lacks the '{settings.jwt_org_claim}' and "
            f"'{settings.jwt_roles_claim}' claims."
        )
    principal = Principal(
        sub=str(claims["sub"]),
        name=str(claims.get("name", claims["sub"])),
        org=org,
        roles=frozenset(str(r) for r in roles),
    )
    return principal, exp


class PrincipalCache:
    """Verified principals by raw token, least recently used evicted first.

    Verifying a token is ~120 µs of every authenticated request (HMAC or RSA, base64, JSON,
    claim checks), and a caller sends the same token many times. Only successful verifications
    are kept, each under the settings that verified it (secret, JWKS URL, audience, issuer,
    claim names, userinfo URL), and only while the token is unexpired: ``exp`` is checked again
    on every hit, exactly as jwt.decode checks it (expired when ``exp <= now``). Nothing else
    that jwt.decode checks can turn a valid token invalid as time passes (``nbf``/``iat`` only
    become valid). An entry is also dropped after ``max_age_s``, so a signing key withdrawn from
    the JWKS stops being honoured about as soon as PyJWKClient's own key cache (5 minutes) would
    notice, and an opaque token the userinfo endpoint vouched for (no ``exp`` of its own) is
    asked about again.
    """

    def __init__(self, maxsize: int = 1024, max_age_s: float = 300.0) -> None:
        self.maxsize = maxsize
        self.max_age_s = max_age_s
        self._entries: OrderedDict[tuple[str, ...], tuple[Principal, int | None, float]] = (
            OrderedDict()
        )
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
        key = (token, *_verification_settings(settings))
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is not None:
            principal, exp, verified_at = entry
            moment = now()
            expired = exp is not None and exp <= moment
            if not expired and moment - verified_at < self.max_age_s:
                return principal
            with self._lock:
                self._entries.pop(key, None)
            if expired:
                raise Unauthorized("The token has expired.")
        principal, exp = _verify(token, settings)
        with self._lock:
            self._entries[key] = (principal, exp, now())
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return principal


def _verification_settings(settings: Settings) -> tuple[str, ...]:
    """Every setting that decides whether a token is accepted and as whom."""
    return (
        settings.jwt_secret,
        settings.jwt_jwks_url or "",
        settings.jwt_audience or "",
        settings.jwt_issuer or "",
        settings.jwt_org_claim,
        settings.jwt_roles_claim,
        settings.jwt_userinfo_url or "",
    )


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
