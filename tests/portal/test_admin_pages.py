"""The administrator through the real portal and stack: an agreement previewed (which past
uses and coming bookings it covers, which agreement prices them today), saved only after a
preview of the same terms, a new version the same way, a tie refused; organisations and
safety regions added and renamed, with the change history."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import requests

from tests.portal.client import PortalClient, csrf_token, hidden_value
from tests.portal.finance_support import allocation_of, completed_use, new_unit
from tests.support import auth

pytestmark = [pytest.mark.db, pytest.mark.broker]


@pytest.fixture
def admin(portal_stack: dict[str, str]) -> PortalClient:
    client = PortalClient(portal_stack["portal"])
    client.sign_in("admin")
    return client


def _register(stack: dict[str, str], org: str) -> None:
    created = requests.post(
        f"{stack['catalog']}/api/v1/organisations",
        headers={**auth("admin"), "Idempotency-Key": uuid.uuid4().hex},
        json={"id": org, "name": f"Eenheid {org}", "kind": "politie"},
        timeout=30,
    )
    assert created.status_code == 201, created.text


def _agreements(stack: dict[str, str], unit: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 200}
    while True:  # every page: other tests add agreements of their own
        listed = requests.get(
            f"{stack['costsharing']}/api/v1/agreements",
            headers=auth("admin"),
            params=params,
            timeout=30,
        )
        assert listed.status_code == 200, listed.text
        found += [a for a in listed.json()["items"] if a["requester_org"] == unit]
        if not listed.json()["next_cursor"]:
            return found
        params["cursor"] = listed.json()["next_cursor"]


def test_an_agreement_is_previewed_then_saved_and_given_a_new_version(
    admin: PortalClient, portal_stack: dict[str, str], portal_db_urls: dict[str, str]
) -> None:
    unit, unit_headers = new_unit()
    _register(portal_stack, unit)
    use = completed_use(portal_stack, portal_db_urls, unit_headers, 83, 9)
    allocation = allocation_of(portal_stack, use["id"])
    home = admin.get("/")
    assert home.url.endswith("/admin/agreements") and "Steunverlening" in home.text

    form = admin.get("/admin/agreements/new")
    assert form.status_code == 200 and f'value="{unit}"' in form.text
    terms = {
        "csrf_token": csrf_token(form.text),
        "idempotency_key": hidden_value(form.text, "idempotency_key"),
        "name": f"Steunverlening {unit} kosteloos",
        "legal_basis": "steunverlening",
        "requester_org": unit,
        "valid_from": "2026-01-01",
        "price_basis": "free",
        "requester_share_pct": "0",
        "cancellation_free_hours": "48",
        "cancellation_pct": "0",
    }
    previewed = admin.post("/admin/agreements/new", {**terms, "step": "preview"})
    assert previewed.status_code == 200, previewed.text
    assert 'id="preview-past"' in previewed.text
    past_row = re.search(r'id="preview-past".*?</table>', previewed.text, re.S)
    assert past_row and "deze voorwaarden" in past_row.group(0)  # priced by these terms
    assert "Steunverlening — integrale kosten, 50/50" in past_row.group(0)  # today's agreement
    assert _agreements(portal_stack, unit) == []  # a preview writes nothing

    # Terms changed after the preview are previewed again, not saved.
    changed = admin.post(
        "/admin/agreements/new",
        {
            **terms,
            "requester_share_pct": "10",
            "step": "save",
            "previewed": hidden_value(previewed.text, "previewed"),
        },
    )
    assert changed.status_code == 200 and "na het voorbeeld gewijzigd" in changed.text
    assert _agreements(portal_stack, unit) == []

    saved = admin.post(
        "/admin/agreements/new",
        {**terms, "step": "save", "previewed": hidden_value(previewed.text, "previewed")},
    )
    assert saved.status_code == 200, saved.text
    assert "De afspraak is vastgelegd." in saved.text
    (agreement,) = _agreements(portal_stack, unit)
    assert agreement["price_basis"] == "free" and agreement["version"] == 1
    assert saved.url.endswith(f"/admin/agreements/{agreement['id']}")
    assert allocation_of(portal_stack, use["id"])["id"] == allocation["id"]  # the past stays

    # A new version: preview (its own terms do not compete with it), then save.
    version_terms = {
        "csrf_token": csrf_token(saved.text),
        "etag": hidden_value(saved.text, "etag"),
        "name": agreement["name"],
        "price_basis": "marginal_cost",
        "requester_share_pct": "25",
        "charge_mobilisation": "yes",
        "cancellation_free_hours": "24",
        "cancellation_pct": "10",
    }
    path = f"/admin/agreements/{agreement['id']}"
    version_preview = admin.post(path, {**version_terms, "step": "preview"})
    assert version_preview.status_code == 200 and 'id="preview-ties"' not in version_preview.text
    new_version = admin.post(
        path,
        {
            **version_terms,
            "step": "save",
            "previewed": hidden_value(version_preview.text, "previewed"),
        },
    )
    assert new_version.status_code == 200, new_version.text
    assert 'id="agreement-version">2<' in new_version.text
    (stored,) = _agreements(portal_stack, unit)
    assert stored["version"] == 2 and stored["requester_share_pct"] == "25.00"

    # The same scope again ties: the preview says so and saving is refused in place.
    terms["idempotency_key"] = uuid.uuid4().hex  # a form opened anew
    again = admin.post("/admin/agreements/new", {**terms, "step": "preview"})
    assert 'id="preview-ties"' in again.text
    refused = admin.post(
        "/admin/agreements/new",
        {**terms, "step": "save", "previewed": hidden_value(again.text, "previewed")},
    )
    assert refused.status_code == 409 and 'id="error-summary"' in refused.text
    assert len(_agreements(portal_stack, unit)) == 1


def test_required_terms_are_asked_for_next_to_their_fields(admin: PortalClient) -> None:
    form = admin.get("/admin/agreements/new")
    refused = admin.post(
        "/admin/agreements/new",
        {"csrf_token": csrf_token(form.text), "step": "preview", "requester_share_pct": "150"},
    )
    assert refused.status_code == 422
    for field in ("name", "legal_basis", "valid_from", "requester_share_pct"):
        assert f'id="f-{field}-error"' in refused.text
    assert 'href="#f-legal_basis"' in refused.text


def test_organisations_and_regions_are_added_and_renamed_with_their_history(
    admin: PortalClient, portal_stack: dict[str, str]
) -> None:
    org = f"politie-adm{uuid.uuid4().hex[:6]}"
    page = admin.get("/admin/organisations")
    assert (
        page.status_code == 200 and 'id="history"' in page.text or "Geen wijzigingen" in page.text
    )
    added = admin.post(
        "/admin/organisations",
        {
            "csrf_token": csrf_token(page.text),
            "idempotency_key": hidden_value(page.text, "idempotency_key"),
            "kind": "politie",
            "id": org,
            "name": "Eenheid Proefregio",
        },
    )
    assert added.status_code == 200, added.text
    assert "De organisatie Eenheid Proefregio is toegevoegd." in added.text
    duplicate = admin.post(
        "/admin/organisations",
        {
            "csrf_token": csrf_token(added.text),
            "idempotency_key": uuid.uuid4().hex,
            "kind": "politie",
            "id": org,
            "name": "Nog een keer",
        },
    )
    assert duplicate.status_code == 409 and 'id="f-id-error"' in duplicate.text
    renamed = admin.post(
        f"/admin/organisations/{org}/rename",
        {"csrf_token": csrf_token(added.text), "new_name": "Eenheid Testregio"},
    )
    assert renamed.status_code == 200 and "Eenheid Testregio" in renamed.text
    history = re.search(r'id="history".*?</table>', renamed.text, re.S)
    assert history is not None
    rows = [r for r in history.group(0).split("<tr>") if org in r]
    assert len(rows) == 3  # renamed; added with a name and a kind
    assert (
        "Hernoemd" in rows[0] and "Eenheid Proefregio" in rows[0] and "Eenheid Testregio" in rows[0]
    )
    added = "".join(rows[1:])
    assert added.count("Toegevoegd") == 2 and "Soort" in added and "<td>admin</td>" in added
    empty = admin.post(
        f"/admin/organisations/{org}/rename",
        {"csrf_token": csrf_token(renamed.text), "new_name": ""},
    )
    assert empty.status_code == 422 and f'id="rename-{org}-error"' in empty.text

    # A region renamed and named back: both changes in its history (the 25 stay 25).
    regions = admin.get("/admin/regions")
    assert regions.text.count('action="/admin/regions/VR') == 25
    original = requests.get(
        f"{portal_stack['catalog']}/api/v1/regions", headers=auth("admin"), timeout=30
    ).json()["items"]
    vr19 = next(r for r in original if r["code"] == "VR19")
    for name in ("Zeeland (proef)", vr19["name"]):
        answer = admin.post(
            "/admin/regions/VR19/rename", {"csrf_token": csrf_token(regions.text), "new_name": name}
        )
        assert answer.status_code == 200, answer.text
    history = re.search(r'id="history".*?</table>', answer.text, re.S)
    assert history is not None and history.group(0).count("Zeeland (proef)") == 2
    bad_code = admin.post(
        "/admin/regions",
        {
            "csrf_token": csrf_token(regions.text),
            "idempotency_key": uuid.uuid4().hex,
            "code": "XX1",
            "name": "Nergens",
        },
    )
    assert bad_code.status_code == 422 and 'id="f-code-error"' in bad_code.text
