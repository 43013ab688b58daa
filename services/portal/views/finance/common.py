"""Pieces finance's pages share: words for cost-sharing's codes, the organisations a finance
user works for, and API refusals shown in place (a 403 too: the four-eyes rule is a refusal
finance acts on, not a page they may not see)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from services.portal.auth import User, current_user
from services.portal.cache import shared_cache
from services.portal.clients import ApiProblem, apis
from services.portal.labels import label
from services.portal.views.finance import bp
from services.portal.views.owner.common import attempt

T = TypeVar("T")

ALLOCATION_STATES: dict[str, Any] = {
    "proposed": _l("Proposed"),
    "needs_agreement": _l("Needs an agreement"),
    "approved": _l("Approved"),
    "disputed": _l("Disputed"),
    "resolved": _l("Resolved"),
    "settled": _l("Settled"),
}
# What still waits for finance: the queue shows these unless another state is chosen.
AWAITING_REVIEW = ("proposed", "disputed", "needs_agreement")

ALLOCATION_KINDS: dict[str, Any] = {
    "usage": _l("Use"),
    "cancellation": _l("Late cancellation"),
    "procurement": _l("Order"),
}
REVIEW_ACTIONS: dict[str, Any] = {
    "approve": _l("Approved"),
    "dispute": _l("Disputed"),
    "resolve": _l("Resolved"),
}
LEDGER_ENTRIES: dict[str, Any] = {
    "original": _l("Original"),
    "reversal": _l("Reversal"),
    "correction": _l("Correction"),
}
LEDGER_LINES: dict[str, Any] = {
    "requester_share": _l("Requester's share"),
    "owner_borne": _l("Borne by the owner"),
    "provision": _l("Provision of the capacity"),
}
SIDES: dict[str, Any] = {"debit": _l("Debit"), "credit": _l("Credit")}
# Who resolves a dispute raised by a side: the other side's finance or the joint controller.
OTHER_SIDE_RESOLVES: dict[str, Any] = {
    "politie": _l("Defence finance or the joint controller"),
    "defensie": _l("Police finance or the joint controller"),
    "joint": _l("another finance officer"),
}


def refusal(call: Callable[[], T]) -> tuple[T | None, ApiProblem | None]:
    """Run one review or closing; a refusal to show in place is returned: the owner's pages'
    refusals and the API's 403 (the four-eyes rule, another side's statement)."""
    try:
        return attempt(call)
    except ApiProblem as exc:
        if exc.status != 403:
            raise
        return None, exc


def signed_in_user() -> User:
    user = current_user()
    assert user is not None  # role_required
    return user


def side_of(org: str) -> str:
    """politie, defensie or joint: organisation ids name their side (catalog enforces it)."""
    return org.split("-", 1)[0]


def dispute_of(reviews: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest dispute among an allocation's review steps, if any."""
    return next((r for r in reversed(reviews) if r["action"] == "dispute"), None)


def may_resolve(user: User, dispute: dict[str, Any] | None) -> bool:
    """The four-eyes rule as the API applies it, to say so before anyone tries: whoever
    disputed, and their side, do not resolve; the joint controller or the other side does."""
    if dispute is None:
        return True
    if dispute["actor"] == user.sub:
        return False
    return user.org == "joint" or side_of(dispute["actor_org"]) != side_of(user.org)


def organisations() -> list[dict[str, Any]]:
    return list(shared_cache().get_or_load("organisations", apis().catalog.organisations))


def finance_orgs(user: User, chosen: str = "") -> list[tuple[str, str]]:
    """The police units and Defence owners whose figures the user keeps: their own side's,
    or all for the joint controller. The API decides what may be read; ``chosen`` stays an
    option even when the cached list does not have it yet (an organisation just added)."""
    options = [
        (o["id"], o["name"])
        for o in organisations()
        if o["kind"] in ("politie", "defensie")
        and (user.org == "joint" or side_of(o["id"]) == side_of(user.org))
    ]
    if chosen and chosen not in dict(options):
        options.append((chosen, chosen))
    return options


def current_quarter(today: date | None = None) -> str:
    today = today or date.today()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


@bp.app_template_filter("finance_number")
def finance_number(value: str | Decimal | None) -> str:
    """A quantity or percentage as the API writes it ("2.50") in the user's language ("2,5")."""
    if value is None or value == "":
        return ""
    try:
        return format_decimal(Decimal(str(value)), locale=str(get_locale()))
    except InvalidOperation:
        return str(value)


@bp.app_template_filter("allocation_state_label")
def allocation_state_label(code: str | None) -> str:
    return label(ALLOCATION_STATES, code)


@bp.app_template_filter("allocation_kind_label")
def allocation_kind_label(code: str | None) -> str:
    return label(ALLOCATION_KINDS, code)


@bp.app_template_filter("review_action_label")
def review_action_label(code: str | None) -> str:
    return label(REVIEW_ACTIONS, code)


@bp.app_template_filter("ledger_entry_label")
def ledger_entry_label(code: str | None) -> str:
    return label(LEDGER_ENTRIES, code)


@bp.app_template_filter("ledger_line_label")
def ledger_line_label(code: str | None) -> str:
    return label(LEDGER_LINES, code)


@bp.app_template_filter("side_label")
def side_label(code: str | None) -> str:
    return label(SIDES, code)
