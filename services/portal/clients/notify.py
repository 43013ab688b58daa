"""The notify API: the signed-in user's inbox and unread count, their preferences, and an
administrator's webhooks with their delivery log.

Notify writes a notification's text in the language stored in the reader's preferences (it
does not read Accept-Language), so the portal keeps that preference in step with its own
language switch (views/inbox/language.py)."""

from __future__ import annotations

from typing import Any

from services.portal.clients.base import ApiClient

WEBHOOKS_PER_PAGE = 200  # notify's most per page


class NotifyClient(ApiClient):
    service = "notify"

    # -- the inbox ---------------------------------------------------------------------------
    def notifications(
        self, *, unread: bool = False, cursor: str | None = None, limit: int = 20
    ) -> dict[str, Any]:
        """Newest first: ``items``, ``next_cursor`` and ``unread_count``."""
        return dict(
            self.get(
                "/notifications", unread="true" if unread else None, cursor=cursor, limit=limit
            )
        )

    def unread_count(self) -> int:
        return int(self.get("/notifications/unread-count").get("unread_count", 0))

    def mark_read(self, notification_id: str) -> dict[str, Any]:
        return dict(self.post(f"/notifications/{notification_id}/read"))

    def mark_all_read(self) -> int:
        return int(self.post("/notifications/read-all").get("marked", 0))

    # -- preferences -------------------------------------------------------------------------
    def preferences(self) -> dict[str, Any]:
        """``language``, ``email`` and ``email_kinds`` (Dutch and inbox only until chosen)."""
        return dict(self.get("/preferences"))

    def put_preferences(self, body: dict[str, Any]) -> dict[str, Any]:
        """Replace them whole: language, email address and the kinds also sent by email."""
        return dict(self.call("PUT", "/preferences", json=body).json())

    # -- webhooks (administrators) -----------------------------------------------------------
    def webhooks(self) -> list[dict[str, Any]]:
        """Every webhook the administrator manages, oldest first: an organisation has a few,
        so the list page shows them all (each page of notify's list followed)."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = self.get("/webhooks", cursor=cursor, limit=WEBHOOKS_PER_PAGE)
            found += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return found

    def webhook(self, webhook_id: str) -> dict[str, Any]:
        return dict(self.get(f"/webhooks/{webhook_id}"))

    def register_webhook(self, body: dict[str, Any]) -> dict[str, Any]:
        """The new webhook with its ``secret``: the only time notify gives it out."""
        return dict(self.post("/webhooks", body))

    def resume_webhook(self, webhook_id: str) -> dict[str, Any]:
        return dict(self.post(f"/webhooks/{webhook_id}/resume"))

    def delete_webhook(self, webhook_id: str) -> None:
        self.call("DELETE", f"/webhooks/{webhook_id}")

    def deliveries(self, webhook_id: str, *, cursor: str | None = None) -> dict[str, Any]:
        """Newest first, each with its attempts: ``items`` and ``next_cursor``."""
        return dict(self.get(f"/webhooks/{webhook_id}/deliveries", cursor=cursor))
