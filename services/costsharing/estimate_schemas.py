"""Estimates' request and response schemas; the requests load as typed commands."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from services.costsharing.commands import EstimateBatch, EstimateUse
from services.costsharing.schemas import LEGAL_BASES, BatchIn


class EstimateIn(Schema):
    asset_id = fields.UUID(required=True)
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=100))
    legal_basis = fields.String(required=True, validate=validate.OneOf(LEGAL_BASES))
    requester_org = fields.String(load_default=None, validate=validate.Length(min=3, max=80))

    @post_load
    def _command(self, data: dict[str, Any], **kwargs: Any) -> EstimateUse:
        return EstimateUse(**data)


# A search-results page prices every asset it shows in one call; 100 is more than a page holds.
MAX_ESTIMATES_PER_BATCH = 100


class EstimateBatchIn(BatchIn):
    items = fields.List(
        fields.Nested(EstimateIn),
        required=True,
        validate=validate.Length(min=1, max=MAX_ESTIMATES_PER_BATCH),
        metadata={
            "description": f"1 to {MAX_ESTIMATES_PER_BATCH} estimates, each as for /estimates"
        },
    )

    @post_load
    def _command(self, data: dict[str, Any], **kwargs: Any) -> EstimateBatch:
        return EstimateBatch(items=tuple(data["items"]))


class EstimateAgreementRead(Schema):
    id = fields.UUID()
    name = fields.String()
    version = fields.Integer()
    price_basis = fields.String()
    requester_share_pct = fields.String()


class EstimateRead(Schema):
    asset_id = fields.UUID()
    asset_name = fields.String()
    requester_org = fields.String()
    owner_org = fields.String()
    tariff = fields.Dict(allow_none=True, metadata={"description": "the tariff of the day of use"})
    illustrative = fields.Boolean(metadata={"description": "demo tariffs are not real rates"})
    currency = fields.String()
    covered = fields.Boolean(metadata={"description": "an agreement and a tariff price the use"})
    agreement = fields.Nested(EstimateAgreementRead, allow_none=True)
    total = fields.String(allow_none=True)
    requester_amount = fields.String(allow_none=True)
    owner_amount = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "why not covered"})


class ItemProblemRead(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(allow_none=True)


class EstimateBatchItemRead(Schema):
    index = fields.Integer(metadata={"description": "position of the item in the request"})
    estimate = fields.Nested(EstimateRead, allow_none=True)
    problem = fields.Nested(
        ItemProblemRead,
        allow_none=True,
        metadata={"description": "why this item has no estimate (e.g. an unknown asset)"},
    )


class EstimateBatchRead(Schema):
    items = fields.List(fields.Nested(EstimateBatchItemRead))
