"""Who is signed in: the token and the user's facts (name, organisation, roles) in the session.

Development: one button per demo persona mints that persona's token with the dev secret.
Production: OpenID Connect, authorization code + PKCE (authlib); the token the APIs verify
through JWKS is forwarded to them. The session holds only the token and the user's facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

import jwt
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.portal.config import PortalConfig
from shared.auth import ADMIN, FINANCE, OWNER, PLANNER
from shared.personas import PERSONAS, persona_token

bp = Blueprint("auth", __name__)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class User:
    sub: str
    name: str
    org: str
    roles: tuple[str, ...]

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_planner(self) -> bool:
        return PLANNER in self.roles

    @property
    def is_owner(self) -> bool:
        return OWNER in self.roles

    @property
    def is_finance(self) -> bool:
        return FINANCE in self.roles

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles


def user_from_claims(claims: dict[str, Any]) -> User:
    """The user's facts from token claims (``sub``, ``name``, ``org``, ``roles``)."""
    roles = claims.get("roles") or []
    return User(
        sub=str(claims.get("sub", "")),
        name=str(claims.get("name") or claims.get("sub", "")),
        org=str(claims.get("org", "")),
        roles=tuple(str(r) for r in roles) if isinstance(roles, list) else (),
    )


def current_user() -> User | None:
    facts = session.get("user")
    if not facts or not session.get("token"):
        return None
    return User(facts["sub"], facts["name"], facts["org"], tuple(facts["roles"]))


def sign_in(token: str, user: User) -> None:
    session.clear()
    session["token"] = token
    session["user"] = {"sub": user.sub, "name": user.name, "org": user.org, "roles": user.roles}
    session.permanent = True


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("auth.sign_in_page", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def role_required(*roles: str) -> Callable[[F], F]:
    """Signed in and holding one of ``roles``; otherwise the sign-in page or the 403 page."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("auth.sign_in_page", next=request.full_path.rstrip("?")))
            if not user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site (no scheme, no host, no ``//``): no open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def _oidc_client() -> Any:
    return current_app.extensions["portal_oauth"].create_client("oidc")


def _config() -> PortalConfig:
    config: PortalConfig = current_app.extensions["portal_config"]
    return config


@bp.get("/sign-in")
def sign_in_page() -> str:
    config = _config()
    personas = [] if config.production else list(PERSONAS.values())
    return render_template(
        "sign_in.html",
        personas=personas,
        oidc=config.oidc_enabled,
        next=safe_next(request.args.get("next")),
    )


@bp.post("/sign-in/persona")
def sign_in_persona() -> Response:
    """Development only: sign in as a demo persona with a freshly minted token."""
    config = _config()
    key = request.form.get("persona", "")
    if config.production or key not in PERSONAS:
        abort(404)
    token = persona_token(key, config.jwt_secret)
    claims = jwt.decode(token, config.jwt_secret, algorithms=["HS256"])
    sign_in(token, user_from_claims(claims))
    flash(_("Signed in as %(name)s.", name=PERSONAS[key].name), "ok")
    return redirect(safe_next(request.form.get("next")))


@bp.get("/sign-in/oidc")
def sign_in_oidc() -> Response:
    if not _config().oidc_enabled:
        abort(404)
    session["after_sign_in"] = safe_next(request.args.get("next"))
    client = _oidc_client()
    response: Response = client.authorize_redirect(url_for("auth.oidc_callback", _external=True))
    return response


@bp.get("/auth/callback")
def oidc_callback() -> Response:
    config = _config()
    if not config.oidc_enabled:
        abort(404)
    client = _oidc_client()
    try:
        token = client.authorize_access_token()
    except Exception:  # noqa: BLE001 - a refused or forged callback is a failed sign-in
        current_app.logger.warning("OpenID Connect sign-in failed", exc_info=True)
        flash(_("Signing in failed. Please try again."), "error")
        return redirect(url_for("auth.sign_in_page"))
    claims = dict(token.get("userinfo") or {})
    # The APIs verify the access token themselves (a JWT through JWKS, an opaque one at
    # the provider's userinfo), so the portal forwards it as it came.
    forwarded = token["access_token"]
    after = session.pop("after_sign_in", "/")
    sign_in(str(forwarded), user_from_claims(claims))
    return redirect(safe_next(after))


@bp.post("/sign-out")
def sign_out() -> Response:
    session.clear()  # the language cookie is apart from the session and stays
    flash(_("You have signed out."), "ok")
    return redirect(url_for("auth.sign_in_page"))


def init_auth(app: Flask, config: PortalConfig) -> None:
    app.register_blueprint(bp)
    if config.oidc_enabled:
        oauth = OAuth(app)  # one per app: tests build apps against different issuers
        app.extensions["portal_oauth"] = oauth
        oauth.register(
            "oidc",
            client_id=config.oidc_client_id,
            client_secret=config.oidc_client_secret or None,
            server_metadata_url=f"{config.oidc_issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": config.oidc_scope, "code_challenge_method": "S256"},
        )

    @app.context_processor
    def _user() -> dict[str, Any]:
        return {"current_user": current_user()}
