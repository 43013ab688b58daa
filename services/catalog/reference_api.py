"""Catalog HTTP entry points for reference data: organisations, safety regions, their change
log and the categories (on the catalog blueprint, ``api.blp``)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.catalog import reference
from services.catalog.api import IDEMPOTENCY_HEADER, blp, create_once
from services.catalog.commands import AddOrganisation, AddRegion, ReferenceChangeQuery, Rename
from services.catalog.reference_schemas import (
    CategoryPage,
    OrganisationCreate,
    OrganisationPage,
    OrganisationRead,
    OrganisationUpdate,
    ReferenceChangePage,
    RegionCreate,
    RegionPage,
    RegionRead,
    RegionUpdate,
)
from services.catalog.reference_schemas import ReferenceChangeQuery as ReferenceChangeQuerySchema
from shared.auth import ADMIN, current_principal, require_roles
from shared.web import request_uow, service_context


@blp.route("/organisations")
class Organisations(MethodView):
    @require_roles()
    @blp.response(200, OrganisationPage)
    def get(self) -> Any:
        """List organisations (police units, Defence owners, finance, joint); one page"""
        with request_uow() as uow:
            return reference.list_organisations(uow)

    @require_roles(ADMIN)
    @blp.arguments(OrganisationCreate)
    @blp.response(201, OrganisationRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, command: AddOrganisation) -> Any:
        """Add an organisation (administrator); an id that exists is 409"""
        return create_once(command, reference.create_organisation, OrganisationRead())


@blp.route("/organisations/<string:organisation_id>")
class OrganisationById(MethodView):
    @require_roles(ADMIN)
    @blp.arguments(OrganisationUpdate)
    @blp.response(200, OrganisationRead)
    def patch(self, command: Rename, organisation_id: str) -> Any:
        """Rename an organisation (administrator); its id and kind stay"""
        with request_uow() as uow:
            return reference.update_organisation(
                uow, principal=current_principal(), organisation_id=organisation_id, command=command
            )


@blp.route("/regions")
class Regions(MethodView):
    @require_roles()
    @blp.response(200, RegionPage)
    def get(self) -> Any:
        """List the safety regions (veiligheidsregio's); one page"""
        with request_uow() as uow:
            return reference.list_regions(uow)

    @require_roles(ADMIN)
    @blp.arguments(RegionCreate)
    @blp.response(201, RegionRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, command: AddRegion) -> Any:
        """Add a safety region (administrator); a code that exists is 409"""
        return create_once(command, reference.create_region, RegionRead())


@blp.route("/public/regions")
class PublicRegions(MethodView):
    # Public on purpose, as booking's drone register: the safety regions' codes, names and
    # seats are public reference data. No require_roles, and no token is read (one sent
    # along is ignored), so the answer is the same for everyone and may be cached.
    @blp.response(200, RegionPage)
    @blp.doc(security=[])
    def get(self) -> Any:
        """The safety regions without a token (public reference data: code, name, seat),
        for the public register's region names; one page"""
        with service_context().uow() as uow:  # nobody signed in: no actor to stamp
            return reference.list_regions(uow), 200, {"Cache-Control": "public, max-age=300"}


@blp.route("/regions/<string:region_code>")
class RegionByCode(MethodView):
    @require_roles(ADMIN)
    @blp.arguments(RegionUpdate)
    @blp.response(200, RegionRead)
    def patch(self, command: Rename, region_code: str) -> Any:
        """Rename a safety region (administrator); its code stays"""
        with request_uow() as uow:
            return reference.update_region(
                uow, principal=current_principal(), region_code=region_code, command=command
            )


@blp.route("/reference-changes")
class ReferenceChanges(MethodView):
    @require_roles(ADMIN)
    @blp.arguments(ReferenceChangeQuerySchema, location="query")
    @blp.response(200, ReferenceChangePage)
    def get(self, query: ReferenceChangeQuery) -> Any:
        """Who added or renamed an organisation or a region, when, and what changed
        (administrator); newest first, paged by `next_cursor`"""
        with request_uow() as uow:
            return reference.reference_changes(uow, principal=current_principal(), query=query)


@blp.route("/categories")
class Categories(MethodView):
    @require_roles()
    @blp.response(200, CategoryPage)
    def get(self) -> Any:
        """List asset categories and how each is booked; one page"""
        return reference.list_categories()
