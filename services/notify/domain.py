"""Notify's rules, free of I/O: which event concerns whom, retry timing, webhook address
safety and signatures."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from typing import Any

from shared.roles import FINANCE, OWNER, PLANNER

JOINT = "joint"  # the joint organisation: its financien role is the joint controller

# Notification kinds. Most are the event type that causes them; an approval of a booking that
# stood counter-offered is the requester accepting the offer, which concerns the owner.
REQUESTED = "booking.requested"
COUNTER_OFFER_ACCEPTED = "booking.counter_offer_accepted"
APPROVED = "booking.approved"
REJECTED = "booking.rejected"
COUNTER_OFFERED = "booking.counter_offered"
PREEMPTED = "booking.preempted"
CANCELLED = "booking.cancelled"
EXPIRED = "booking.expired"
# The crisis fast path (issue 13): an acute request not decided in time, and the hold on the
# best alternative a preempted unit gets.
ESCALATED = "booking.escalated"
HELD = "booking.held"
HOLD_CONFIRMED = "booking.hold_confirmed"
HOLD_EXPIRED = "booking.hold_expired"
DISPUTED = "costsharing.allocation.disputed"
RESOLVED = "costsharing.allocation.resolved"
STATEMENT_CLOSED = "costsharing.statement.closed"

KINDS = (
    REQUESTED,
    COUNTER_OFFER_ACCEPTED,
    APPROVED,
    REJECTED,
    COUNTER_OFFERED,
    PREEMPTED,
    CANCELLED,
    EXPIRED,
    ESCALATED,
    HELD,
    HOLD_CONFIRMED,
    HOLD_EXPIRED,
    DISPUTED,
    RESOLVED,
    STATEMENT_CLOSED,
)
COSTSHARING_EVENTS = (DISPUTED, RESOLVED, STATEMENT_CLOSED)
LANGUAGES = ("nl", "en")
# A mailbox "role" of the directory that is no user role: the organisation's escalation
# contact, emailed when an acute request to it escalates.
ESCALATION_CONTACT = "escalation"
DEFAULT_LANGUAGE = "nl"


@dataclass(frozen=True, order=True)
class Recipient:
    """Who a notification is for: a role in an organisation (users are only token subjects)."""

    org: str
    role: str


def kind_of(event_type: str, previous_state: str | None) -> str | None:
    """The notification kind an event is, given the booking's state before it (None: unknown
    or not a booking); None when the event notifies nobody."""
    if event_type == APPROVED and previous_state == "counter_offered":
        return COUNTER_OFFER_ACCEPTED
    return event_type if event_type in KINDS else None


def side_of(org: str) -> str:
    """politie, defensie or joint: organisation ids name their side (as cost-sharing decides)."""
    return org.split("-", 1)[0]


def _finance_of(*orgs: str) -> list[Recipient]:
    """Finance of each organisation's side, and the joint controller."""
    sides = {side_of(org) for org in orgs} - {JOINT}
    return [Recipient(f"{side}-financien", FINANCE) for side in sorted(sides)] + [
        Recipient(JOINT, FINANCE)
    ]


def recipients(kind: str, data: dict[str, Any]) -> list[Recipient]:
    """The (organisation, role) pairs a notification of ``kind`` about ``data`` goes to."""
    if kind in (REQUESTED, COUNTER_OFFER_ACCEPTED, HOLD_CONFIRMED):
        return [Recipient(data["owner_org"], OWNER)]
    if kind == ESCALATED:  # the owner and the controller are alerted; the unit gets the
        # ranked alternatives
        return [
            Recipient(data["owner_org"], OWNER),
            Recipient(JOINT, FINANCE),
            Recipient(data["requester_org"], PLANNER),
        ]
    if kind == CANCELLED:  # the unit is told it is done; the owner that the slot is free
        return [Recipient(data["requester_org"], PLANNER), Recipient(data["owner_org"], OWNER)]
    if kind in (APPROVED, REJECTED, COUNTER_OFFERED, PREEMPTED, EXPIRED, HELD, HOLD_EXPIRED):
        return [Recipient(data["requester_org"], PLANNER)]
    if kind in (DISPUTED, RESOLVED):
        return _finance_of(data["requester_org"], data["owner_org"])
    if kind == STATEMENT_CLOSED:
        return _finance_of(data["org"])
    return []


def escalation_contacts(kind: str, data: dict[str, Any]) -> list[Recipient]:
    """Mailboxes emailed beyond the recipients' own: an escalation goes to the owner
    organisation's escalation contact too."""
    return [Recipient(data["owner_org"], ESCALATION_CONTACT)] if kind == ESCALATED else []


def subject_id(kind: str, data: dict[str, Any]) -> str:
    """The id of the thing a notification is about (booking, allocation or statement)."""
    if kind == STATEMENT_CLOSED:
        return str(data["statement_id"])
    if kind in (DISPUTED, RESOLVED):
        return str(data["allocation_id"])
    return str(data["booking_id"])


# The event members a notification keeps to render its text (the rest, e.g. tariffs, is not
# told to anyone).
PARAM_KEYS = (
    "booking_id",
    "allocation_id",
    "statement_id",
    "category",
    "priority",
    "purpose",
    "planned_start",
    "planned_end",
    "requester_org",
    "owner_org",
    "reason",
    "counter_offer",
    "alternatives",
    "total",
    "requester_amount",
    "currency",
    "org",
    "period",
    "totals",
    "decide_by",
    "escalated_at",
    "region",
    "held_for",
    "hold_expires_at",
    "hold_booking_id",
)


def params_of(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in PARAM_KEYS if data.get(key) is not None}


def retry_delay_s(failed_attempts: int, base_s: float, max_s: float) -> float:
    """How long to wait after the ``failed_attempts``-th failure: doubling, capped."""
    return float(min(base_s * 2 ** min(failed_attempts - 1, 40), max_s))


def address_refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why a webhook may not be sent to ``address`` (an IP), or None if it may: only public
    addresses, and loopback when configuration allows it (development)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private:
        return "private"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "not public"
    return None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">``, the X-Slagkracht-Signature."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()
