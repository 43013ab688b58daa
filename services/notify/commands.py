"""What each notify use case takes: typed commands and queries, built by the schemas'
``@post_load`` (``schemas.py``) from a request, or directly by the demo loader and tests.

Imperative names for what changes something (``SetPreferences``), nouns for what only reads
(``InboxQuery``). Standard library only."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class InboxQuery:
    unread: bool = False  # leave out what the caller marked read
    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True)
class PageQuery:
    """A page of a list: ``limit`` items after the one ``cursor`` names."""

    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True)
class SetPreferences:
    language: str
    email: str | None = None
    email_kinds: list[str] = field(default_factory=list)  # also sent to ``email``


@dataclass(frozen=True)
class SetMailbox:
    address: str
    language: str


@dataclass(frozen=True)
class RegisterWebhook:
    url: str
    kinds: list[str]
    org: str | None = None  # whose notifications; None: the caller's organisation
