"""Notify's pure rules: who is told what, the message table in both languages, retry timing,
webhook address safety, signatures and the SMTP URL."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import string

import pytest

from services.notify import domain, messages
from services.notify.config import load_notify_config, parse_smtp_url
from services.notify.domain import Recipient
from shared.auth import FINANCE, OWNER, PLANNER
from shared.settings import SettingsError, load_settings

BOOKING = {"booking_id": "b1", "owner_org": "defensie-dhc", "requester_org": "politie-rotterdam"}
ALLOCATION = {
    "allocation_id": "a1",
    "booking_id": "b1",
    "owner_org": "defensie-dhc",
    "requester_org": "politie-rotterdam",
}


def test_a_request_and_an_accepted_counter_offer_go_to_the_owner() -> None:
    owner = [Recipient("defensie-dhc", OWNER)]
    assert domain.recipients(domain.REQUESTED, BOOKING) == owner
    assert domain.recipients(domain.COUNTER_OFFER_ACCEPTED, BOOKING) == owner


@pytest.mark.parametrize(
    "kind",
    [domain.APPROVED, domain.REJECTED, domain.COUNTER_OFFERED, domain.PREEMPTED, domain.EXPIRED],
)
def test_decisions_go_to_the_requesting_units_planners(kind: str) -> None:
    assert domain.recipients(kind, BOOKING) == [Recipient("politie-rotterdam", PLANNER)]


def test_a_cancellation_tells_the_unit_and_the_owner() -> None:
    assert domain.recipients(domain.CANCELLED, BOOKING) == [
        Recipient("politie-rotterdam", PLANNER),
        Recipient("defensie-dhc", OWNER),
    ]


@pytest.mark.parametrize("kind", [domain.DISPUTED, domain.RESOLVED])
def test_disputes_go_to_finance_of_both_sides_and_the_joint_controller(kind: str) -> None:
    assert domain.recipients(kind, ALLOCATION) == [
        Recipient("defensie-financien", FINANCE),
        Recipient("politie-financien", FINANCE),
        Recipient("joint", FINANCE),
    ]
    # Police lending to police: one side's finance, once.
    same_side = {**ALLOCATION, "owner_org": "politie-amsterdam"}
    assert domain.recipients(kind, same_side) == [
        Recipient("politie-financien", FINANCE),
        Recipient("joint", FINANCE),
    ]


def test_a_closed_statement_goes_to_its_sides_finance_and_the_controller() -> None:
    closed = {"statement_id": "s1", "org": "politie-rotterdam", "period": "2026-Q4"}
    assert domain.recipients(domain.STATEMENT_CLOSED, closed) == [
        Recipient("politie-financien", FINANCE),
        Recipient("joint", FINANCE),
    ]
    assert domain.recipients(domain.STATEMENT_CLOSED, {**closed, "org": "joint"}) == [
        Recipient("joint", FINANCE)
    ]


def test_an_approval_after_a_counter_offer_is_its_acceptance() -> None:
    assert domain.kind_of("booking.approved", "counter_offered") == domain.COUNTER_OFFER_ACCEPTED
    assert domain.kind_of("booking.approved", "requested") == domain.APPROVED
    assert domain.kind_of("booking.approved", None) == domain.APPROVED
    assert domain.kind_of("booking.started", "approved") is None
    assert domain.kind_of("booking.completed", "in_use") is None


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_kind_has_dutch_and_english_with_the_same_values() -> None:
    assert set(messages.MESSAGES) == set(domain.KINDS)
    known = set(messages.values({}, "nl"))
    for kind, texts in messages.MESSAGES.items():
        assert set(texts) == set(domain.LANGUAGES), kind
        nl_subject, nl_body = texts["nl"]
        en_subject, en_body = texts["en"]
        assert _names(nl_subject) | _names(nl_body) == _names(en_subject) | _names(en_body), kind
        assert _names(nl_body) <= known, kind
        assert nl_body != en_body, kind


def test_a_preemption_lists_its_alternatives_in_the_readers_language() -> None:
    params = {
        **BOOKING,
        "category": "helicopter",
        "planned_start": "2026-12-24T09:00:00+00:00",
        "planned_end": "2026-12-24T12:00:00+00:00",
        "reason": "Overstroming",
        "alternatives": [
            {"name": "NH90 N-088", "owner_org": "defensie-dhc", "home_base": "De Kooy"}
        ],
    }
    subject, body = messages.render(domain.PREEMPTED, "nl", params)
    assert subject == "Verdrongen door een acute inzet: helikopter van 24-12-2026 10:00"
    assert "- NH90 N-088, defensie-dhc (De Kooy)" in body
    assert "Overstroming" in body
    subject, body = messages.render(domain.PREEMPTED, "en", {**params, "alternatives": []})
    assert subject == "Preempted by an acute operation: helicopter from 24-12-2026 10:00"
    assert "Free alternatives:\n(none)" in body
    # A language nobody wrote falls back to Dutch; a value the event lacked shows as a dash.
    assert messages.render(domain.REQUESTED, "de", {})[0] == "Nieuwe aanvraag: — van —"


@pytest.mark.parametrize(
    ("address", "allow_loopback", "refusal"),
    [
        ("127.0.0.1", False, "loopback"),
        ("127.0.0.1", True, None),
        ("::1", False, "loopback"),
        ("::ffff:127.0.0.1", False, "loopback"),
        ("10.1.2.3", True, "private"),
        ("192.168.0.10", True, "private"),
        ("169.254.169.254", True, "link-local"),
        ("fe80::1", True, "link-local"),
        ("0.0.0.0", True, "private"),
        ("224.0.0.1", True, "not public"),
        ("100.64.0.1", True, "not public"),
        ("93.184.215.14", False, None),
        ("2606:4700::1111", False, None),
    ],
)
def test_webhooks_go_to_public_addresses_only(
    address: str, allow_loopback: bool, refusal: str | None
) -> None:
    assert domain.address_refusal(address, allow_loopback=allow_loopback) == refusal


def test_the_signature_is_the_hmac_of_timestamp_dot_body() -> None:
    body = b'{"kind":"booking.requested"}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert domain.signature("s3cret", "1700000000", body) == f"sha256={expected}"
    assert domain.signature("other", "1700000000", body) != f"sha256={expected}"


def test_retries_double_up_to_the_cap() -> None:
    delays = [domain.retry_delay_s(n, 10, 3600) for n in range(1, 12)]
    assert delays[:4] == [10, 20, 40, 80]
    assert delays[-1] == 3600
    assert domain.retry_delay_s(10_000, 10, 3600) == 3600


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://127.0.0.1:8025")
    assert (plain.host, plain.port, plain.implicit_tls, plain.starttls) == (
        "127.0.0.1",
        8025,
        False,
        False,
    )
    relay = parse_smtp_url("smtps://mailer:p%40ss@relay.example")
    assert (relay.port, relay.implicit_tls, relay.username, relay.password) == (
        465,
        True,
        "mailer",
        "p@ss",
    )
    assert parse_smtp_url("smtp://relay.example:587?starttls=true").starttls
    with pytest.raises(SettingsError, match="SMTP_URL"):
        parse_smtp_url("http://relay.example")


def test_an_escalation_alerts_owner_and_controller_and_gives_the_unit_its_alternatives() -> None:
    assert domain.recipients(domain.ESCALATED, BOOKING) == [
        Recipient("defensie-dhc", OWNER),
        Recipient("joint", FINANCE),
        Recipient("politie-rotterdam", PLANNER),
    ]
    assert domain.escalation_contacts(domain.ESCALATED, BOOKING) == [
        Recipient("defensie-dhc", domain.ESCALATION_CONTACT)
    ]
    assert domain.escalation_contacts(domain.REQUESTED, BOOKING) == []


def test_a_hold_is_the_units_and_its_confirmation_the_owners() -> None:
    unit, owner = [Recipient("politie-rotterdam", PLANNER)], [Recipient("defensie-dhc", OWNER)]
    assert domain.recipients(domain.HELD, BOOKING) == unit
    assert domain.recipients(domain.HOLD_EXPIRED, BOOKING) == unit
    assert domain.recipients(domain.HOLD_CONFIRMED, BOOKING) == owner
    assert domain.kind_of("booking.hold_released", "held") is None


def test_an_acute_request_says_so_and_names_its_deadline() -> None:
    params = {
        **BOOKING,
        "category": "helicopter",
        "requester_org": "politie-rotterdam",
        "priority": 1,
        "decide_by": "2026-12-24T09:15:00+00:00",
    }
    subject, body = messages.render(domain.REQUESTED, "nl", params)
    assert subject == "ACUUT: Nieuwe aanvraag: helikopter van politie-rotterdam"
    assert body.endswith("Beslis vóór 24-12-2026 10:15.")
    planned = {**params, "priority": 2, "decide_by": None}  # only acute requests have a clock
    subject, body = messages.render(domain.REQUESTED, "en", planned)
    assert subject == "New request: helicopter from politie-rotterdam"
    assert body.endswith("awaits your decision.") and "Decide by" not in body


def test_escalated_alternatives_are_listed_in_rank_order_with_their_readiness() -> None:
    ranked = [
        {
            "rank": 1,
            "name": "AW139 Gilze",
            "owner_org": "defensie-dhc",
            "home_base": "Gilze-Rijen",
            "ready_in_minutes": 52,
        },
        {
            "rank": 2,
            "name": "NH90 De Kooy",
            "owner_org": "defensie-dhc",
            "home_base": "De Kooy",
            "ready_in_minutes": 95,
        },
    ]
    _, body = messages.render(domain.ESCALATED, "en", {**BOOKING, "alternatives": ranked})
    assert body.endswith(
        "- 1. AW139 Gilze, defensie-dhc (Gilze-Rijen), ready in 52 min\n"
        "- 2. NH90 De Kooy, defensie-dhc (De Kooy), ready in 95 min"
    )
    _, body = messages.render(domain.ESCALATED, "nl", {**BOOKING, "alternatives": ranked[:1]})
    assert body.endswith("- 1. AW139 Gilze, defensie-dhc (Gilze-Rijen), inzetbaar in 52 min")


def test_notify_settings_refuse_loopback_webhooks_in_production() -> None:
    settings = load_settings("notify", {"DATABASE_URL": "postgresql://u@127.0.0.1/notify"})
    config = load_notify_config(settings, {})
    assert config.smtp is None and not config.allow_loopback_webhooks  # emails wait for a relay
    assert load_notify_config(settings, {"NOTIFY_ALLOW_LOOPBACK_WEBHOOKS": "true"})
    production = dataclasses.replace(settings, environment="production")
    with pytest.raises(SettingsError, match="NOTIFY_ALLOW_LOOPBACK_WEBHOOKS"):
        load_notify_config(production, {"NOTIFY_ALLOW_LOOPBACK_WEBHOOKS": "true"})
    with pytest.raises(SettingsError, match="NOTIFY_RETRY_BASE_S"):
        load_notify_config(settings, {"NOTIFY_RETRY_BASE_S": "soon"})
    # Settings.extra (how tests set them) wins over the environment.
    extra = dataclasses.replace(settings, extra={"SMTP_URL": "smtp://127.0.0.1:2525"})
    smtp = load_notify_config(extra, {"SMTP_URL": "smtp://elsewhere:25"}).smtp
    assert smtp is not None and (smtp.host, smtp.port) == ("127.0.0.1", 2525)
