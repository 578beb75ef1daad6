"""Signing in with an API token (verified as the API verifies it) and signing out."""

from __future__ import annotations

from flask import make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from jolli.console import session
from jolli.console.blueprint import bp, page_error, safe_next
from jolli.store.admin import find_token


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response:
    """The form; on POST, the token opens a session for its org (the token itself is never stored)."""
    current = session.read()
    if request.method == "GET":
        if current is not None and current.token_id is not None and current.org_id is not None \
                and session.token_live(current.token_id, current.org_id):
            return redirect(safe_next(request.args.get("next")), 303)  # already signed in
        fresh = current if current is not None and not current.signed_in else session.anonymous()
        response = make_response(render_template("console/sign_in.html", next=safe_next(request.args.get("next")),
                                                 csrf_token=fresh.csrf, error=None))
        session.write(response, fresh)
        return response
    if not session.csrf_ok(current):
        return page_error(403, "Forbidden", "The sign-in form expired: reload the page and sign in again.")
    assert current is not None
    token = request.form.get("token", "").strip()
    row = find_token(token) if token else None
    if row is None:
        return make_response(render_template("console/sign_in.html", next=safe_next(request.form.get("next")),
                                             csrf_token=current.csrf, error="That token is unknown or revoked."), 401)
    opened = session.Session(csrf=session.anonymous().csrf, token_id=row.id, org_id=row.org_id,
                             org_name=row.org.name)
    signed_in = redirect(safe_next(request.form.get("next")), 303)
    session.write(signed_in, opened)
    return signed_in


@bp.post("/sign-out")
def sign_out() -> Response:
    """End the session (the CSRF token is checked like any action's)."""
    response = redirect(url_for("console.sign_in"), 303)
    session.clear(response)
    return response
