"""Words for the APIs' codes (states, legal bases, priorities, categories) in the user's
language. A code without a label is shown as it is rather than hidden."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

LEGAL_BASES: dict[str, Any] = {
    "bijstand_politiewet": _l("Military assistance (Police Act)"),
    "steunverlening": _l("Support in the public interest"),
    "icms_guaranteed": _l("ICMS guaranteed capacity"),
    "joint_exercise": _l("Joint exercise"),
    "joint_procurement": _l("Joint procurement"),
}

PRIORITIES: dict[int, Any] = {
    1: _l("1 – acute (life, safety, crisis)"),
    2: _l("2 – planned operation"),
    3: _l("3 – exercise or training"),
}

STATES: dict[str, Any] = {
    "requested": _l("Requested"),
    "counter_offered": _l("Counter-offer made"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    "expired": _l("Expired"),
    "in_use": _l("In use"),
    "completed": _l("Completed"),
    "preempted": _l("Preempted"),
    "held": _l("Held for your unit"),
}

# The actions as booking's history names them (its Action values).
ACTIONS: dict[str, Any] = {
    "request": _l("Requested"),
    "approve": _l("Approved"),
    "reject": _l("Rejected"),
    "cancel": _l("Cancelled"),
    "expire": _l("Expired"),
    "counter-offer": _l("Counter-offer made"),
    "accept-counter-offer": _l("Counter-offer accepted"),
    "start": _l("Use started"),
    "complete": _l("Use completed"),
    "preempt": _l("Preempted"),
    "escalate": _l("Escalated: not decided in time"),
    "hold": _l("Held for your unit"),
    "confirm-hold": _l("Hold confirmed as a request"),
    "release-hold": _l("Hold released"),
}

CATEGORIES: dict[str, Any] = {
    "helicopter": _l("Helicopter"),
    "drone": _l("Drone (UAS)"),
    "dive_team": _l("Dive team"),
    "search_team": _l("Search or specialist team"),
    "terrain": _l("Terrain or facility"),
    "procurement_item": _l("Procurement item"),
}

UNITS: dict[str, Any] = {
    "flight_hour": _l("per flight hour"),
    "hour": _l("per hour"),
    "team_hour": _l("per team hour"),
    "day": _l("per day"),
    "deployment_day": _l("per deployment day"),
    "team_day": _l("per team day"),
    "day_part": _l("per day-part"),
    "unit": _l("per unit"),
}

# What a use was for, as the public register may say it (booking's PurposeClass).
PURPOSE_CLASSES: dict[str, Any] = {
    "search": _l("Search operation"),
    "event_surveillance": _l("Surveillance of an event"),
    "investigation": _l("Criminal investigation"),
    "other": _l("Other"),
}

PRICE_BASES: dict[str, Any] = {
    "full_cost": _l("full cost"),
    "marginal_cost": _l("marginal cost"),
    "free": _l("free of charge"),
}


def label(table: dict[Any, Any], code: Any) -> str:
    return str(table.get(code, code if code is not None else ""))


def init_labels(app: Flask) -> None:
    tables = {
        "legal_basis": LEGAL_BASES,
        "priority": PRIORITIES,
        "state": STATES,
        "action": ACTIONS,
        "category": CATEGORIES,
        "unit": UNITS,
        "price_basis": PRICE_BASES,
        "purpose_class": PURPOSE_CLASSES,
    }
    for name, table in tables.items():
        app.jinja_env.filters[f"{name}_label"] = lambda code, _t=table: label(_t, code)
