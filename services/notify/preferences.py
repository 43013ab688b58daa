"""Use cases of who gets email where: a user's preferences, and the mailbox directory of
(organisation, role) addresses that administrators keep."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from services.notify import domain
from services.notify.commands import PageQuery, SetMailbox, SetPreferences
from services.notify.models import Mailbox, Preference
from services.notify.webhooks import acts_for_all, managed_org
from shared.auth import ALL_ROLES, Principal
from shared.db import UnitOfWork
from shared.errors import Invalid
from shared.paging import Page, decode_cursor, page_of


def get_preferences(uow: UnitOfWork, *, principal: Principal) -> dict[str, Any]:
    row = uow.session.get(Preference, principal.sub)
    if row is None:  # nothing chosen yet: Dutch, inbox only
        return {"language": domain.DEFAULT_LANGUAGE, "email": None, "email_kinds": []}
    return {"language": row.language, "email": row.email, "email_kinds": row.email_kinds}


def put_preferences(
    uow: UnitOfWork, *, principal: Principal, command: SetPreferences
) -> dict[str, Any]:
    """Replace the caller's preferences; they apply to the organisation and roles of the token
    they were saved with."""
    kinds = sorted(set(command.email_kinds))
    if kinds and not command.email:
        raise Invalid(
            "Email for some kinds needs an address; see 'errors'.",
            errors={"email": ["Give an address to receive the chosen kinds by email."]},
        )
    values = {
        "sub": principal.sub,
        "org": principal.org,
        "roles": sorted(principal.roles),
        "language": command.language,
        "email": command.email,
        "email_kinds": kinds,
    }
    uow.session.execute(
        insert(Preference)
        .values(values)
        .on_conflict_do_update(index_elements=["sub"], set_={**values, "updated_at": func.now()})
    )
    saved = get_preferences(uow, principal=principal)
    uow.commit()
    return saved


def list_mailboxes(uow: UnitOfWork, *, principal: Principal, page: PageQuery) -> Page[Mailbox]:
    """By organisation and role (administrators: their organisation's; the joint
    administrator all)."""
    query = select(Mailbox).order_by(Mailbox.org, Mailbox.role).limit(page.limit + 1)
    if not acts_for_all(principal):
        query = query.where(Mailbox.org == managed_org(principal, None))
    else:
        managed_org(principal, None)
    if page.cursor:
        after = decode_cursor(page.cursor, str, str)
        query = query.where(tuple_(Mailbox.org, Mailbox.role) > tuple_(*after))
    rows = list(uow.session.scalars(query))
    return page_of(rows, limit=page.limit, key=lambda box: (box.org, box.role))


def put_mailbox(
    uow: UnitOfWork, *, principal: Principal, org: str, role: str, command: SetMailbox
) -> Mailbox:
    """Set the address where (org, role)'s notifications are emailed (administrators)."""
    managed_org(principal, org)
    roles = (*ALL_ROLES, domain.ESCALATION_CONTACT)
    if role not in roles:
        raise Invalid(
            f"Unknown role {role!r}.", errors={"role": [f"Choose one of {', '.join(roles)}."]}
        )
    row = set_mailbox(
        uow,
        org=org,
        role=role,
        address=command.address,
        language=command.language,
        actor=principal.sub,
    )
    uow.commit()
    return row


def set_mailbox(
    uow: UnitOfWork, *, org: str, role: str, address: str, language: str, actor: str
) -> Mailbox:
    """Write (org, role)'s address in the caller's unit of work, which commits it (the demo
    loader's and ``put_mailbox``'s)."""
    values = {"org": org, "role": role, "address": address, "language": language}
    uow.session.execute(
        insert(Mailbox)
        .values(**values, updated_by=actor)
        .on_conflict_do_update(
            index_elements=["org", "role"],
            set_={
                "address": address,
                "language": language,
                "updated_by": actor,
                "updated_at": func.now(),
            },
        )
    )
    row = uow.session.get(Mailbox, (org, role), populate_existing=True)
    assert row is not None
    return row
