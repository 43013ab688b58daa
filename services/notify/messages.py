"""The text of every notification, in Dutch and English: one table, rendered with str.format.

A message names its values ({start}, {owner_org}, ...); ``render`` fills in every value a
notification can have, so a message may use any of them and a missing one shows as "—".
tests/unit/test_notify_domain.py checks each kind has both languages with the same values."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.notify import domain

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MISSING = "—"

# kind -> language -> (subject, body)
MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    domain.REQUESTED: {
        "nl": (
            "{acute}Nieuwe aanvraag: {category} van {requester_org}",
            "{requester_org} vraagt {category} aan van {start} tot {end} (prioriteit "
            "{priority}).\nDoel: {purpose}\nAanvraag {booking_id} wacht op uw besluit."
            "{deadline}",
        ),
        "en": (
            "{acute}New request: {category} from {requester_org}",
            "{requester_org} requests {category} from {start} to {end} (priority "
            "{priority}).\nPurpose: {purpose}\nRequest {booking_id} awaits your decision."
            "{deadline}",
        ),
    },
    domain.COUNTER_OFFER_ACCEPTED: {
        "nl": (
            "Tegenvoorstel aanvaard door {requester_org}",
            "{requester_org} aanvaardt uw tegenvoorstel: {category} van {start} tot {end}.\n"
            "Boeking {booking_id} is goedgekeurd.",
        ),
        "en": (
            "Counter-offer accepted by {requester_org}",
            "{requester_org} accepts your counter-offer: {category} from {start} to {end}.\n"
            "Booking {booking_id} is approved.",
        ),
    },
    domain.APPROVED: {
        "nl": (
            "Goedgekeurd: {category} van {start}",
            "{owner_org} keurt uw aanvraag goed: {category} van {start} tot {end}.\n"
            "Boeking {booking_id}.",
        ),
        "en": (
            "Approved: {category} from {start}",
            "{owner_org} approves your request: {category} from {start} to {end}.\n"
            "Booking {booking_id}.",
        ),
    },
    domain.REJECTED: {
        "nl": (
            "Afgewezen: {category} van {start}",
            "{owner_org} wijst uw aanvraag af ({category}, {start} tot {end}).\nReden: {reason}"
            "\nAanvraag {booking_id}.",
        ),
        "en": (
            "Rejected: {category} from {start}",
            "{owner_org} rejects your request ({category}, {start} to {end}).\nReason: {reason}"
            "\nRequest {booking_id}.",
        ),
    },
    domain.COUNTER_OFFERED: {
        "nl": (
            "Tegenvoorstel voor {category}",
            "{owner_org} doet een tegenvoorstel voor uw aanvraag {booking_id}: van "
            "{offer_start} tot {offer_end}.\nReden: {reason}\nAanvaard of wijs af in Slagkracht.",
        ),
        "en": (
            "Counter-offer for {category}",
            "{owner_org} makes a counter-offer for your request {booking_id}: from "
            "{offer_start} to {offer_end}.\nReason: {reason}\nAccept or decline in Slagkracht.",
        ),
    },
    domain.PREEMPTED: {
        "nl": (
            "Verdrongen door een acute inzet: {category} van {start}",
            "Uw boeking {booking_id} ({category}, {start} tot {end}) wijkt voor een acute "
            "inzet.\nReden: {reason}\nVrije alternatieven:\n{alternatives}",
        ),
        "en": (
            "Preempted by an acute operation: {category} from {start}",
            "Your booking {booking_id} ({category}, {start} to {end}) gives way to an acute "
            "operation.\nReason: {reason}\nFree alternatives:\n{alternatives}",
        ),
    },
    domain.CANCELLED: {
        "nl": (
            "Geannuleerd: {category} van {start}",
            "Boeking {booking_id} ({category}, {start} tot {end}) van {requester_org} bij "
            "{owner_org} is geannuleerd.\nReden: {reason}",
        ),
        "en": (
            "Cancelled: {category} from {start}",
            "Booking {booking_id} ({category}, {start} to {end}) of {requester_org} with "
            "{owner_org} is cancelled.\nReason: {reason}",
        ),
    },
    domain.EXPIRED: {
        "nl": (
            "Verlopen zonder besluit: {category} van {start}",
            "Uw aanvraag {booking_id} ({category}, {start} tot {end}) is niet op tijd "
            "beslist en verlopen.",
        ),
        "en": (
            "Lapsed without a decision: {category} from {start}",
            "Your request {booking_id} ({category}, {start} to {end}) was not decided in "
            "time and has lapsed.",
        ),
    },
    domain.ESCALATED: {
        "nl": (
            "ESCALATIE: acute aanvraag {category} van {requester_org} niet beslist",
            "De acute aanvraag {booking_id} van {requester_org} bij {owner_org} ({category}, "
            "{start} tot {end}, regio {region}) is niet beslist vóór {decide_by}.\n"
            "Doel: {purpose}\nAlternatieven, het snelst inzetbaar eerst:\n{alternatives}",
        ),
        "en": (
            "ESCALATION: acute request {category} from {requester_org} not decided",
            "The acute request {booking_id} of {requester_org} to {owner_org} ({category}, "
            "{start} to {end}, region {region}) was not decided by {decide_by}.\n"
            "Purpose: {purpose}\nAlternatives, the soonest ready first:\n{alternatives}",
        ),
    },
    domain.HELD: {
        "nl": (
            "Voor u vastgehouden: {category} van {start}",
            "Na de verdringing van uw boeking {held_for} houdt Slagkracht {category} van {start} "
            "tot {end} voor u vast tot {hold_expires_at}.\nBevestig of geef vrij: boeking "
            "{booking_id}.",
        ),
        "en": (
            "Held for you: {category} from {start}",
            "After your booking {held_for} was preempted, Slagkracht holds {category} from "
            "{start} to {end} for you until {hold_expires_at}.\nConfirm or release it: booking "
            "{booking_id}.",
        ),
    },
    domain.HOLD_CONFIRMED: {
        "nl": (
            "Vastgehouden boeking bevestigd: {category} van {requester_org}",
            "{requester_org} bevestigt de voor haar vastgehouden {category} van {start} tot "
            "{end}.\nAanvraag {booking_id} wacht op uw besluit.",
        ),
        "en": (
            "Hold confirmed: {category} from {requester_org}",
            "{requester_org} confirms the {category} held for it from {start} to {end}.\n"
            "Request {booking_id} awaits your decision.",
        ),
    },
    domain.HOLD_EXPIRED: {
        "nl": (
            "Vastgehouden boeking verlopen: {category} van {start}",
            "De voor u vastgehouden boeking {booking_id} ({category}, {start} tot {end}) is "
            "niet op tijd bevestigd en vrijgegeven.",
        ),
        "en": (
            "Hold lapsed: {category} from {start}",
            "The booking {booking_id} held for you ({category}, {start} to {end}) was not "
            "confirmed in time and is released.",
        ),
    },
    domain.DISPUTED: {
        "nl": (
            "Verdeling betwist: {total} {currency}",
            "De kostenverdeling {allocation_id} ({requester_org} / {owner_org}, {total} "
            "{currency}) is betwist.\nReden: {reason}",
        ),
        "en": (
            "Allocation disputed: {total} {currency}",
            "The cost allocation {allocation_id} ({requester_org} / {owner_org}, {total} "
            "{currency}) is disputed.\nReason: {reason}",
        ),
    },
    domain.RESOLVED: {
        "nl": (
            "Geschil opgelost: {total} {currency}",
            "Het geschil over kostenverdeling {allocation_id} ({requester_org} / {owner_org}) "
            "is opgelost: {total} {currency}, waarvan {requester_amount} voor de aanvrager.",
        ),
        "en": (
            "Dispute resolved: {total} {currency}",
            "The dispute over cost allocation {allocation_id} ({requester_org} / {owner_org}) "
            "is resolved: {total} {currency}, of which {requester_amount} for the requester.",
        ),
    },
    domain.STATEMENT_CLOSED: {
        "nl": (
            "Afrekening {period} gesloten: {org}",
            "De afrekening van {org} over {period} is gesloten (netto {net}).\n"
            "Afrekening {statement_id}.",
        ),
        "en": (
            "Statement {period} closed: {org}",
            "The statement of {org} for {period} is closed (net {net}).\nStatement {statement_id}.",
        ),
    },
}

CATEGORY_NAMES: dict[str, dict[str, str]] = {
    "helicopter": {"nl": "helikopter", "en": "helicopter"},
    "drone": {"nl": "drone", "en": "drone"},
    "dive_team": {"nl": "duikteam", "en": "dive team"},
    "search_team": {"nl": "zoekteam", "en": "search team"},
    "terrain": {"nl": "terrein", "en": "terrain"},
    "procurement_item": {"nl": "inkoopartikel", "en": "procurement item"},
}
NO_ALTERNATIVES = {"nl": "(geen)", "en": "(none)"}
# An acute request's subject starts with this, and its body ends with the decision deadline.
ACUTE = {"nl": "ACUUT: ", "en": "ACUTE: "}
DEADLINE = {"nl": "\nBeslis vóór {}.", "en": "\nDecide by {}."}
READY_IN = {"nl": "inzetbaar in {} min", "en": "ready in {} min"}


def local_time(value: Any) -> str:
    """An ISO instant as Dutch wall-clock time (what a planner reads), else as given."""
    if not isinstance(value, str):
        return MISSING
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return value
    return instant.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")


def _alternatives(items: Any, language: str) -> str:
    """One line per alternative, in the event's order (an escalation's are ranked)."""
    if not isinstance(items, list) or not items:
        return NO_ALTERNATIVES[language]
    lines = []
    for item in items:
        if isinstance(item, dict):
            rank = f"{item['rank']}. " if isinstance(item.get("rank"), int) else ""
            where = f" ({item['home_base']})" if item.get("home_base") else ""
            ready = item.get("ready_in_minutes")
            when = f", {READY_IN[language].format(ready)}" if isinstance(ready, int) else ""
            lines.append(
                f"- {rank}{item.get('name', item.get('asset_id', MISSING))}, "
                f"{item.get('owner_org', MISSING)}{where}{when}"
            )
    return "\n".join(lines) or NO_ALTERNATIVES[language]


def values(params: dict[str, Any], language: str) -> dict[str, str]:
    """Every value a message may name, from a notification's params, in ``language``."""
    category = str(params.get("category", MISSING))
    offer = params.get("counter_offer") if isinstance(params.get("counter_offer"), dict) else {}
    totals = params.get("totals") if isinstance(params.get("totals"), dict) else {}
    plain = {
        key: str(params.get(key, MISSING))
        for key in (
            "booking_id",
            "allocation_id",
            "statement_id",
            "priority",
            "purpose",
            "requester_org",
            "owner_org",
            "reason",
            "total",
            "requester_amount",
            "currency",
            "org",
            "period",
            "region",
            "held_for",
        )
    }
    acute = params.get("priority") == 1
    decide_by = params.get("decide_by")
    return {
        **plain,
        "category": CATEGORY_NAMES.get(category, {}).get(language, category),
        "start": local_time(params.get("planned_start")),
        "end": local_time(params.get("planned_end")),
        "offer_start": local_time((offer or {}).get("start")),
        "offer_end": local_time((offer or {}).get("end")),
        "alternatives": _alternatives(params.get("alternatives"), language),
        "net": str((totals or {}).get("net", MISSING)),
        "decide_by": local_time(decide_by),
        "hold_expires_at": local_time(params.get("hold_expires_at")),
        "acute": ACUTE[language] if acute else "",
        "deadline": DEADLINE[language].format(local_time(decide_by)) if decide_by else "",
    }


def render(kind: str, language: str, params: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of a notification in ``language`` (nl or en; else nl)."""
    texts = MESSAGES[kind]
    subject, body = texts.get(language) or texts[domain.DEFAULT_LANGUAGE]
    filled = values(params, language if language in texts else domain.DEFAULT_LANGUAGE)
    return subject.format_map(filled), body.format_map(filled)
