"""Reading form fields: each reader returns a value or records a message under the field's
name (the same names the APIs use, so their field errors land next to the same inputs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from services.portal.i18n import parse_local_input

Errors = dict[str, list[str]]


class FormReader:
    """One submitted form; ``errors`` collects what is wrong, per field."""

    def __init__(self, data: Mapping[str, str]) -> None:
        self.data = data
        self.errors: Errors = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raw(self, name: str) -> str:
        return str(self.data.get(name, "")).strip()

    def text(self, name: str, *, required: bool = True, min_length: int = 0) -> str:
        value = self.raw(name)
        if required and not value:
            self.fail(name, _("Fill this in."))
        elif value and len(value) < min_length:
            self.fail(name, _("Use at least %(n)d characters.", n=min_length))
        return value

    def integer(
        self, name: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        value = self.raw(name)
        if not value:
            self.fail(name, _("Fill this in."))
            return None
        try:
            number = int(value)
        except ValueError:
            self.fail(name, _("Enter a whole number."))
            return None
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            self.fail(name, _("Enter a number from %(lo)s to %(hi)s.", lo=minimum, hi=maximum))
            return None
        return number

    def moment(self, name: str) -> datetime | None:
        """A datetime-local field, read as Amsterdam time."""
        value = self.raw(name)
        if not value:
            self.fail(name, _("Fill in a date and time."))
            return None
        try:
            return parse_local_input(value)
        except ValueError:
            self.fail(name, _("Enter a date and time, for example 2026-12-24 14:30."))
            return None

    def choice(self, name: str, allowed: Iterable[Any], *, required: bool = True) -> str:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, _("Choose one."))
            return ""
        if value not in {str(a) for a in allowed}:
            self.fail(name, _("Choose one of the options."))
        return value

    def window(self, start_name: str = "start", end_name: str = "end") -> tuple[Any, Any]:
        start, end = self.moment(start_name), self.moment(end_name)
        if start and end and end <= start:
            self.fail(end_name, _("The end must be after the start."))
        return start, end

    def merge(self, errors: Mapping[str, list[str]]) -> None:
        for name, messages in errors.items():
            self.errors.setdefault(name, []).extend(messages)
