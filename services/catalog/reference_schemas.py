"""Reference data schemas: organisations, safety regions, their change log, categories."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from services.catalog import commands
from services.catalog.schemas import Location
from shared.paging import page_schema
from shared.web import WholeMatch


def _not_blank(value: str) -> None:
    if len(value.strip()) < 2:
        raise ValidationError("Needs at least 2 characters that are not spaces.")


# Matched whole (WholeMatch: no final newline slips past $), and ASCII digits only (\d also
# matches other scripts' digits).
ORGANISATION_ID = r"^[a-z0-9][a-z0-9-]{1,62}$"
REGION_CODE = r"^VR[0-9]{2}$"
ORGANISATION_KINDS = ("politie", "defensie", "joint")


class OrganisationRead(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()


def _reference_name(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=[validate.Length(min=2, max=200), _not_blank],
        metadata={"description": "2-200 characters; spaces around it are dropped"},
        **kwargs,
    )


class OrganisationCreate(Schema):
    id = fields.String(
        required=True,
        validate=WholeMatch(
            ORGANISATION_ID, error="A lowercase slug: a-z, 0-9 and '-', 2-63 characters."
        ),
        metadata={"description": "lowercase slug (a-z, 0-9, '-'; 2-63), e.g. defensie-jsow"},
    )
    name = _reference_name(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ORGANISATION_KINDS))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.AddOrganisation:
        return commands.AddOrganisation(**data)


class OrganisationUpdate(Schema):
    name = _reference_name(required=True)

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.Rename:
        return commands.Rename(**data)


class RegionRead(Schema):
    code = fields.String()
    name = fields.String()
    seat = fields.String(allow_none=True)
    seat_location = fields.Nested(Location, allow_none=True)


class RegionCreate(Schema):
    code = fields.String(
        required=True,
        validate=WholeMatch(REGION_CODE, error="A region code is VR and two digits."),
        metadata={"description": "VR and two digits, e.g. VR26"},
    )
    name = _reference_name(required=True)
    seat = fields.String(load_default=None, validate=validate.Length(min=2, max=120))
    seat_location = fields.Nested(
        Location,
        load_default=None,
        allow_none=True,
        metadata={"description": "the seat's location: where travel to the region is measured"},
    )

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.AddRegion:
        return commands.AddRegion(**data)


class RegionUpdate(Schema):
    name = _reference_name(required=True)

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.Rename:
        return commands.Rename(**data)


class ReferenceChangeQuery(Schema):
    subject = fields.String(validate=validate.OneOf(["organisation", "region"]))
    subject_id = fields.String(
        validate=validate.Length(min=1, max=80),
        metadata={"description": "an organisation's id or a region's code"},
    )
    cursor = fields.String(
        validate=validate.Regexp(r"^[0-9]{1,18}$", error="Not a cursor of this list."),
        metadata={"description": "next_cursor of the previous page"},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

    @post_load
    def command(self, data: dict[str, Any], **_: Any) -> commands.ReferenceChangeQuery:
        return commands.ReferenceChangeQuery(**data)


class ReferenceChangeRead(Schema):
    id = fields.Integer()
    subject = fields.String(metadata={"description": "organisation or region"})
    subject_id = fields.String()
    action = fields.String(metadata={"description": "created or updated"})
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Raw(allow_none=True)),
        metadata={"description": "per field: [before, after] (before is null when created)"},
    )
    actor = fields.String()
    trace_id = fields.String(allow_none=True, metadata={"description": "the request id"})
    changed_at = fields.AwareDateTime()


class ReferenceChangePage(Schema):
    items = fields.List(fields.Nested(ReferenceChangeRead))
    next_cursor = fields.String(allow_none=True)


class CategoryRead(Schema):
    code = fields.String()
    label = fields.String()
    booking_mode = fields.String()


# Short lists, each one page of all (next_cursor null), in the shape of every list.
OrganisationPage = page_schema(OrganisationRead, "OrganisationPage")
RegionPage = page_schema(RegionRead, "RegionPage")
CategoryPage = page_schema(CategoryRead, "CategoryPage")
