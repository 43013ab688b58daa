"""Schemas of the national picture booking serves: the capacity board and the public register
of drone deployments (services/booking/board.py and public.py say what they hold)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from services.booking.commands import ListDroneDeployments, ReadBoard
from services.booking.domain import LegalBasis, PurposeClass
from shared.web import WholeMatch


class PublicDeploymentQuery(Schema):
    day_from = fields.Date(data_key="from", load_default=None)
    day_to = fields.Date(data_key="to", load_default=None)
    region = fields.String(
        load_default=None,
        validate=WholeMatch(r"^VR[0-9]{2}$", error="A region code is VR and two digits."),
    )
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> ListDroneDeployments:
        return ListDroneDeployments(**data)


class PublicDeploymentRead(Schema):
    id = fields.UUID()
    date = fields.Date(metadata={"description": "The day the use started (Europe/Amsterdam)"})
    category = fields.String()
    region = fields.String(allow_none=True, metadata={"description": "Safety region (VRnn)"})
    region_source = fields.String(
        validate=validate.OneOf(["request", "asset"]),
        metadata={
            "description": "request: the use's region of use from its request (the region "
            "it named, else the requesting unit's home region; which of the two is not said); "
            "asset: neither is known, so the drone's first home region"
        },
    )
    purpose_class = fields.String(validate=validate.OneOf([p.value for p in PurposeClass]))
    legal_basis = fields.String(validate=validate.OneOf([b.value for b in LegalBasis]))
    operator_org = fields.String(metadata={"description": "The Defence organisation operating it"})


class PublicDeploymentPage(Schema):
    items = fields.List(fields.Nested(PublicDeploymentRead))
    next_cursor = fields.String(allow_none=True)


class BoardQuery(Schema):
    at = fields.AwareDateTime(
        load_default=None, metadata={"description": "The moment the board is for; default now"}
    )

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> ReadBoard:
        return ReadBoard(**data)


class BoardRowRead(Schema):
    region = fields.String()
    category = fields.String()
    free_now = fields.Integer(metadata={"description": "Assets free at `at`"})
    free_next_24h = fields.Integer(
        metadata={"description": "Assets free for some part of the 24 hours from `at`"}
    )
    requested = fields.Integer(metadata={"description": "Requests and counter-offers awaiting"})
    in_use = fields.Integer()


class BoardRead(Schema):
    at = fields.AwareDateTime()
    until = fields.AwareDateTime()
    rows = fields.List(fields.Nested(BoardRowRead))
