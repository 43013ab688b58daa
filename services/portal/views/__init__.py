"""The portal's pages: one module of views per role, registered here."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask) -> None:
    from services.portal.views import (
        admin,
        board,  # the live capacity board
        common,
        finance,
        inbox,
        national,
        owner,
        planner,
        public,  # no sign-in: the public register
    )

    app.register_blueprint(common.bp)
    app.register_blueprint(planner.bp)
    app.register_blueprint(owner.bp)
    app.register_blueprint(national.bp)
    app.register_blueprint(finance.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(board.bp)
