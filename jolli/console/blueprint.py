"""The console's blueprint: every page needs a session, every action its CSRF token, every answer the
same security headers; errors become an HTML page (a fragment for live updates) with the right status.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from jolli.api.rest import load
from jolli.console import session
from jolli.errors import JolliError
from jolli.store.models import Org, utcnow

bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")

#: Endpoints served without a session: the sign-in form and the stylesheet and scripts it needs.
PUBLIC_ENDPOINTS = frozenset({"console.sign_in", "console.static"})

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def is_live() -> bool:
    """Whether the request is a live update or an action sent by htmx (answered with a fragment)."""
    return request.headers.get("HX-Request") == "true"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only (never another site)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/console") and "\\" not in target:
            return target
    return url_for("console.overview")


def to_sign_in() -> Response:
    """Send a signed-out request to the sign-in page (a live update: the whole page goes there)."""
    target = url_for("console.sign_in", next=request.full_path.rstrip("?") if request.method == "GET" and not is_live() else None)
    if is_live():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


@bp.before_request
def require_session() -> Response | None:
    """No page or fragment without a live session; no action without its CSRF token."""
    current = session.read()
    g.console_session = current
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if current is None or current.token_id is None or current.org_id is None \
            or not session.token_live(current.token_id, current.org_id):
        return to_sign_in()
    g.org = Org(id=current.org_id, name=current.org_name)
    if request.method not in ("GET", "HEAD") and not session.csrf_ok(current):
        return page_error(403, "Forbidden", "This action needs the page's CSRF token: reload the page and try again.")
    return None


@bp.after_request
def security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def page_error(status: int, title: str, detail: str) -> Response:
    """An error as a page (or, for a live update, as an alert in place)."""
    template = "console/_alert.html" if is_live() else "console/error.html"
    return make_response(render_template(template, status=status, title=title, detail=detail), status)


@bp.errorhandler(JolliError)
def _jolli_error(exc: JolliError) -> Response:
    return page_error(exc.status, exc.title, exc.message)


@bp.errorhandler(ValidationError)
def _invalid(exc: ValidationError) -> Response:
    return page_error(400, "Invalid input", "; ".join(f"{k}: {v}" for k, v in exc.normalized_messages().items()))


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return page_error(exc.code or 500, exc.name, exc.description or exc.name)


@bp.get("/<path:unknown>")
def not_found(unknown: str) -> Response:
    """Any other console address: the sign-in page when signed out, else a 404 page (not problem+json)."""
    return page_error(404, "Not Found", f"There is no console page at /console/{unknown}.")


def org() -> Org:
    """The org the signed-in session acts for."""
    found: Org = g.org
    return found


def query_args(schema: Schema, names: tuple[str, ...], **fixed: Any) -> dict[str, Any]:
    """The query parameters ``names`` (empty ones left out, as a form sends them) loaded by ``schema``."""
    data = {k: request.args[k] for k in names if request.args.get(k, "").strip()}
    return load(schema, {**data, **fixed})


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    current = g.get("console_session")
    return {"ago": ago, "age": age, "short": short, "stamp": stamp, "csrf_token": current.csrf if current else "",
            "org_name": current.org_name if current and current.signed_in else None}


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """``when`` as "5 s ago", "3 min ago", "2 h ago", "4 d ago"."""
    if when is None:
        return "never"
    return age((now or utcnow()) - when) + " ago"


def age(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def stamp(value: str | datetime | None) -> str:
    """A time (ISO 8601 text as the API writes it, or a datetime) as ``2026-01-31 12:00:05 UTC``."""
    if value is None:
        return "never"
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def short(sha: str | None) -> str:
    return (sha or "")[:12]
