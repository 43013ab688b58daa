"""Idempotent creates: a retried POST with the same ``Idempotency-Key`` returns the first result."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from shared.db import UnitOfWork, idempotency_keys_table
from shared.errors import Invalid

_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def idempotency_key() -> str | None:
    """The request's key, if any; a malformed key is refused rather than ignored."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _KEY_PATTERN.match(key):
        raise Invalid(
            "Idempotency-Key must be 8-128 characters of letters, digits, '.', '_', ':' or '-'.",
            errors={"Idempotency-Key": ["Malformed key."]},
        )
    return key


def _fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path} {canonical}".encode()).hexdigest()


def _replay(request_hash: str, response_body: Any, fingerprint: str) -> dict[str, Any]:
    """The stored answer, if the key was first used with this very request (else 422)."""
    if request_hash != fingerprint:
        raise Invalid(
            "This Idempotency-Key was already used with a different request.",
            errors={"Idempotency-Key": ["Reused with a different body."]},
        )
    return dict(response_body)


_LOOKUP = select(idempotency_keys_table.c.request_hash, idempotency_keys_table.c.response_body)


def _stored(uow: UnitOfWork, actor: str, key: str, fingerprint: str) -> dict[str, Any] | None:
    row = uow.session.execute(
        _LOOKUP.where(idempotency_keys_table.c.actor == actor, idempotency_keys_table.c.key == key)
    ).first()
    return None if row is None else _replay(row.request_hash, row.response_body, fingerprint)


@dataclass(frozen=True)
class IdempotentRequest:
    """A creating request that carries an ``Idempotency-Key``, for use cases that claim the key
    themselves in the statement that writes their rows (fewer round trips than
    ``run_idempotent``: no advisory lock, no separate lookup and insert). Such a use case
    reads ``stored(...)`` in its first query, writes ``idempotency_keys`` (``actor``, ``key``,
    ``fingerprint`` as request_hash, its response) with its rows, and retries in a fresh
    transaction when the key's primary key refuses the insert: a concurrent request with the
    same key committed first, and the retry replays its answer.
    """

    actor: str
    key: str
    fingerprint: str

    def replay(self, request_hash: str, response_body: Any) -> dict[str, Any]:
        """The first answer for this key; 422 if the key came with another request."""
        return _replay(request_hash, response_body, self.fingerprint)

    def stored(self, uow: UnitOfWork) -> dict[str, Any] | None:
        """The first answer for this key, if one committed (a query of its own)."""
        return _stored(uow, self.actor, self.key, self.fingerprint)


def idempotent_request(*, actor: str, body: Any) -> IdempotentRequest | None:
    """This request's key and fingerprint, or None without a key (malformed keys are 422)."""
    key = idempotency_key()
    return None if key is None else IdempotentRequest(actor, key, _fingerprint(body))


def run_idempotent(
    make_uow: Callable[[], UnitOfWork],
    *,
    actor: str,
    body: Any,
    action: Callable[[UnitOfWork], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """Run ``action`` once per (actor, key); returns (response body, created now?)."""
    key = idempotency_key()
    fingerprint = _fingerprint(body)
    with make_uow() as uow:
        if key is not None:
            # A retry racing the first request waits for it here and then finds its result,
            # rather than running the use case again (which may refuse, e.g. "already booked").
            uow.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                {"k": f"idempotency:{actor}:{key}"},
            )
        if key is not None and (prior := _stored(uow, actor, key, fingerprint)) is not None:
            return prior, False
        result = action(uow)
        if key is not None:
            uow.session.execute(
                pg_insert(idempotency_keys_table).values(
                    actor=actor,
                    key=key,
                    request_hash=fingerprint,
                    status_code=201,
                    response_body=result,
                )
            )
        try:
            uow.commit()
            return result, True
        except IntegrityError:
            if key is None:
                raise
    # A concurrent request with the same key won the race: answer with its result.
    with make_uow() as uow:
        prior = _stored(uow, actor, key, fingerprint)
        if prior is None:
            raise RuntimeError("idempotency row vanished after a conflict")
        return prior, False
