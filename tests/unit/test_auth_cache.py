"""The verified-principal cache answers repeat tokens without changing any verdict.

A cached token is still refused once it expires, under other settings (secret, audience), and a
refusal is never remembered; the cache stays within its bound.
"""

from __future__ import annotations

import time

import jwt
import pytest

from shared.auth import OWNER, PrincipalCache, mint_token
from shared.errors import Unauthorized
from shared.settings import DEV_JWT_SECRET, Settings, load_settings

OTHER_SECRET = "another-secret-of-at-least-thirty-two-bytes-long"


def settings(**env: str) -> Settings:
    return load_settings("catalog", {"DATABASE_URL": "postgresql://sk@127.0.0.1/x", **env})


def token(secret: str = DEV_JWT_SECRET, ttl_s: int = 600, sub: str = "owner-dhc") -> str:
    return mint_token(
        sub=sub, name="Owner", org="defensie-dhc", roles=[OWNER], secret=secret, ttl_s=ttl_s
    )


def test_a_repeated_token_is_answered_from_the_cache() -> None:
    cache = PrincipalCache()
    raw = token()
    first = cache.decode(raw, settings())
    assert first.org == "defensie-dhc" and first.has_role(OWNER)
    assert cache.decode(raw, settings()) is first
    assert len(cache) == 1


def test_a_cached_token_is_refused_once_it_expires() -> None:
    cache = PrincipalCache()
    raw = token(ttl_s=60)
    exp = jwt.decode(raw, options={"verify_signature": False})["exp"]
    cache.decode(raw, settings())
    assert cache.decode(raw, settings(), now=lambda: exp - 0.5).sub == "owner-dhc"
    with pytest.raises(Unauthorized, match="The token has expired."):
        cache.decode(raw, settings(), now=lambda: float(exp))
    assert len(cache) == 0


def test_an_entry_older_than_its_max_age_is_verified_again() -> None:
    cache = PrincipalCache(max_age_s=10)
    raw = token()
    first = cache.decode(raw, settings())
    later = time.time() + 11
    again = cache.decode(raw, settings(), now=lambda: later)
    assert again == first and again is not first


def test_a_token_cached_under_one_secret_is_refused_under_another() -> None:
    cache = PrincipalCache()
    raw = token()
    cache.decode(raw, settings())
    # The caller is told only "invalid or expired"; PyJWT's reason is the cause.
    with pytest.raises(Unauthorized, match="invalid or expired") as refused:
        cache.decode(raw, settings(JWT_SECRET=OTHER_SECRET))
    assert "Signature verification failed" in str(refused.value.__cause__)


def test_a_token_cached_without_an_audience_is_refused_when_one_is_required() -> None:
    cache = PrincipalCache()
    raw = token()
    cache.decode(raw, settings())
    with pytest.raises(Unauthorized, match="invalid or expired") as refused:
        cache.decode(raw, settings(JWT_AUDIENCE="slagkracht"))
    assert "aud" in str(refused.value.__cause__)


def test_refusals_are_never_cached() -> None:
    cache = PrincipalCache()
    forged = token(secret=OTHER_SECRET)
    for _ in range(2):
        with pytest.raises(Unauthorized, match="invalid or expired") as refused:
            cache.decode(forged, settings())
        assert "Signature verification failed" in str(refused.value.__cause__)
    not_yet = jwt.encode(
        {
            "sub": "x",
            "org": "defensie-dhc",
            "roles": [OWNER],
            "nbf": int(time.time()) + 3600,
            "exp": int(time.time()) + 7200,
        },
        DEV_JWT_SECRET,
        algorithm="HS256",
    )
    with pytest.raises(Unauthorized, match="invalid or expired") as refused:
        cache.decode(not_yet, settings())
    assert "not yet valid" in str(refused.value.__cause__)
    no_roles = jwt.encode(
        {"sub": "x", "exp": int(time.time()) + 600}, DEV_JWT_SECRET, algorithm="HS256"
    )
    with pytest.raises(Unauthorized, match="lacks the 'org' and 'roles'"):
        cache.decode(no_roles, settings())
    assert len(cache) == 0


def test_the_cache_keeps_at_most_maxsize_tokens_least_recently_used_first_out() -> None:
    cache = PrincipalCache(maxsize=3)
    raws = [token(sub=f"owner-{n}") for n in range(5)]
    for raw in raws[:3]:
        cache.decode(raw, settings())
    kept = cache.decode(raws[0], settings())  # now the most recently used
    for raw in raws[3:]:
        cache.decode(raw, settings())
    assert len(cache) == 3
    assert cache.decode(raws[0], settings()) is kept
