"""Finance through the real portal and stack: the review queue with its filters, approving,
disputing on one side and resolving on the other (the four-eyes rule said on the page and
enforced by the API), the allocation's page, the statement's figures as the API states them,
the API's CSV, and closing (refused while allocations await review, then closed)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from tests.portal.client import PortalClient, csrf_token
from tests.portal.finance_support import (
    allocation_api,
    allocation_of,
    completed_use,
    euros,
    new_unit,
    statement_api,
)
from tests.support import auth

pytestmark = [pytest.mark.db, pytest.mark.broker]


def _signed_in(stack: dict[str, str], persona: str) -> PortalClient:
    client = PortalClient(stack["portal"])
    client.sign_in(persona)
    return client


def test_review_dispute_resolve_and_close_a_statement(
    portal_stack: dict[str, str], portal_db_urls: dict[str, str]
) -> None:
    unit, unit_headers = new_unit()
    first = completed_use(portal_stack, portal_db_urls, unit_headers, 81, 9)
    second = completed_use(portal_stack, portal_db_urls, unit_headers, 81, 13)
    approved_one = allocation_of(portal_stack, first["id"])
    disputed_one = allocation_of(portal_stack, second["id"])
    assert approved_one["state"] == disputed_one["state"] == "proposed"
    period = approved_one["used_on"][:7]  # the month of the use

    police = _signed_in(portal_stack, "finance-politie")
    home = police.get("/")
    assert home.url.endswith("/finance/allocations")  # finance starts at the queue
    assert 'href="/finance/statements"' in home.text
    queue_path = f"/finance/allocations?org={unit}&period={period}"
    queue = police.get(queue_path)
    assert queue.status_code == 200
    assert f'id="allocation-{approved_one["id"]}"' in queue.text
    assert f'id="allocation-{disputed_one["id"]}"' in queue.text
    assert (
        police.get(f"/finance/allocations?org={unit}&category=drone").text.count('id="allocation-')
        == 0
    )
    assert "Vul een jaar" in police.get("/finance/allocations?period=2026-13").text

    # Approve from the queue: back on the queue, the allocation approved.
    approved = police.post(
        f"/finance/allocations/{approved_one['id']}/approve",
        {"csrf_token": csrf_token(queue.text), "next": queue_path},
    )
    assert approved.status_code == 200 and approved.url.endswith(queue_path)
    assert "De kostentoedeling is goedgekeurd." in approved.text
    assert allocation_api(portal_stack, approved_one["id"])["state"] == "approved"
    # Approving again from the queue with htmx: the row as it is, the API's refusal announced.
    again = police.post(
        f"/finance/allocations/{approved_one['id']}/approve",
        {"csrf_token": csrf_token(queue.text)},
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 200
    assert f'<tr id="allocation-{approved_one["id"]}">' in again.text
    assert "Goedgekeurd" in again.text and 'hx-swap-oob="innerHTML"' in again.text
    assert "kan niet" in again.text and "<html" not in again.text

    # Dispute: a reason is needed, then the page names who disputed and who resolves.
    path = f"/finance/allocations/{disputed_one['id']}"
    page = police.get(path)
    assert "De kostentoedeling goedkeuren" in page.text and 'id="f-dispute_reason"' in page.text
    assert 'id="ledger"' in page.text and "Steunverlening" in page.text  # its agreement
    no_reason = police.post(f"{path}/dispute", {"csrf_token": csrf_token(page.text)})
    assert no_reason.status_code == 422 and 'id="f-dispute_reason-error"' in no_reason.text
    disputed = police.post(
        f"{path}/dispute",
        {"csrf_token": csrf_token(page.text), "dispute_reason": "Uren kloppen niet"},
    )
    assert disputed.status_code == 200 and 'id="allocation-state">Betwist<' in disputed.text
    assert "Betwist door finance-politie (politie-financien)" in disputed.text
    assert "Financiën Defensie of de gezamenlijke controller" in disputed.text
    assert (
        'id="may-not-resolve"' in disputed.text and 'id="f-requester_amount"' not in disputed.text
    )

    # The statement while one allocation is disputed: the API's figures, closing refused.
    statement_path = f"/finance/statements?org={unit}&period={period}"
    statement = police.get(statement_path)
    figures = statement_api(portal_stack, unit, period).json()
    assert f'id="total-debit">{euros(figures["totals"]["debit"])}<' in statement.text
    assert f'id="total-credit">{euros(figures["totals"]["credit"])}<' in statement.text
    assert f'id="total-net">{euros(figures["totals"]["net"])}<' in statement.text
    assert statement.text.count(approved_one["id"]) >= 1 and disputed_one["id"] in statement.text
    refused = police.post(
        "/finance/statements/close",
        {"csrf_token": csrf_token(statement.text), "org": unit, "period": period},
    )
    assert refused.status_code == 409
    assert "moeten nog worden beoordeeld" in refused.text and 'id="error-summary"' in refused.text
    assert statement_api(portal_stack, unit, period).json()["closed"] is False

    # The one who disputed cannot resolve it: the API's four-eyes refusal, shown in place.
    own = police.post(
        f"{path}/resolve",
        {
            "csrf_token": csrf_token(disputed.text),
            "requester_amount": "100,00",
            "resolve_reason": "Zelf opgelost",
        },
    )
    assert own.status_code == 403 and "vier ogen" in own.text and 'id="error-summary"' in own.text
    assert allocation_api(portal_stack, disputed_one["id"])["state"] == "disputed"

    # The other side resolves it with new amounts: reversal and correction in the ledger.
    defence = _signed_in(portal_stack, "finance-defensie")
    other_side = defence.get(path)
    assert (
        'id="f-requester_amount"' in other_side.text
        and 'id="may-not-resolve"' not in other_side.text
    )
    resolved = defence.post(
        f"{path}/resolve",
        {
            "csrf_token": csrf_token(other_side.text),
            "requester_amount": "1.234,50",
            "resolve_reason": "Afgesproken met de eenheid",
        },
    )
    assert resolved.status_code == 200, resolved.text
    assert 'id="allocation-state">Opgelost<' in resolved.text
    assert "Tegenboeking" in resolved.text and "Correctie" in resolved.text
    after = allocation_api(portal_stack, disputed_one["id"])
    assert after["state"] == "resolved" and after["requester_amount"] == "1234.50"
    assert Decimal(after["owner_amount"]) == Decimal(after["total"]) - Decimal("1234.50")

    # The CSV is the API's own, passed on as an attachment.
    csv_answer = police.get(f"/finance/statements/csv?org={unit}&period={period}")
    assert csv_answer.status_code == 200
    assert csv_answer.headers["Content-Type"].startswith("text/csv")
    assert csv_answer.headers["Content-Disposition"].startswith("attachment")
    api_csv = statement_api(portal_stack, unit, period, Accept="text/csv")
    assert csv_answer.content == api_csv.content
    assert csv_answer.headers["Content-Disposition"] == api_csv.headers["Content-Disposition"]

    # Nothing awaits review any more: closing succeeds and the figures stay.
    page = police.get(statement_path)
    closed = police.post(
        "/finance/statements/close",
        {"csrf_token": csrf_token(page.text), "org": unit, "period": period},
    )
    assert closed.status_code == 200, closed.text
    assert "is afgesloten" in closed.text and "Afgesloten op" in closed.text
    stored = statement_api(portal_stack, unit, period).json()
    assert stored["closed"] is True
    assert f'id="total-debit">{euros(stored["totals"]["debit"])}<' in closed.text
    assert allocation_api(portal_stack, approved_one["id"])["state"] == "settled"


def test_the_controller_sees_every_side_and_may_resolve_a_police_dispute(
    portal_stack: dict[str, str], portal_db_urls: dict[str, str]
) -> None:
    unit, unit_headers = new_unit()
    use = completed_use(portal_stack, portal_db_urls, unit_headers, 82, 9)
    allocation = allocation_of(portal_stack, use["id"])
    disputed = requests.post(
        f"{portal_stack['costsharing']}/api/v1/allocations/{allocation['id']}/dispute",
        headers=auth("finance-politie"),
        json={"reason": "Niet onze inzet"},
        timeout=30,
    )
    assert disputed.status_code == 200, disputed.text
    controller = _signed_in(portal_stack, "controller")
    queue = controller.get(f"/finance/allocations?org={unit}&state=disputed")
    assert f'id="allocation-{allocation["id"]}"' in queue.text
    page = controller.get(f"/finance/allocations/{allocation['id']}")
    assert "Niet onze inzet" in page.text and 'id="f-requester_amount"' in page.text
    bad = controller.post(
        f"/finance/allocations/{allocation['id']}/resolve",
        {"csrf_token": csrf_token(page.text), "requester_amount": "veel", "resolve_reason": "x"},
    )
    assert bad.status_code == 422
    assert 'id="f-requester_amount-error"' in bad.text and 'id="f-resolve_reason-error"' in bad.text
    resolved = controller.post(
        f"/finance/allocations/{allocation['id']}/resolve",
        {
            "csrf_token": csrf_token(page.text),
            "requester_amount": "0",
            "resolve_reason": "Oefening",
        },
    )
    assert resolved.status_code == 200 and 'id="allocation-state">Opgelost<' in resolved.text
    assert allocation_api(portal_stack, allocation["id"])["requester_amount"] == "0.00"


@pytest.mark.parametrize(
    "path",
    [
        "/finance/allocations",
        "/finance/statements",
        "/admin/agreements",
        "/admin/agreements/new",
        "/admin/organisations",
        "/admin/regions",
    ],
)
def test_a_planner_gets_the_403_page_on_finance_and_admin_pages(
    rotterdam_planner: PortalClient, path: str
) -> None:
    page = rotterdam_planner.get(path)
    assert page.status_code == 403 and "Geen toegang" in page.text


def test_finance_cannot_use_the_administrators_pages(portal_stack: dict[str, str]) -> None:
    police = _signed_in(portal_stack, "finance-politie")
    assert police.get("/admin/agreements").status_code == 403
    admin = _signed_in(portal_stack, "admin")
    assert admin.get("/finance/allocations").status_code == 403
