"""Error pages: every error answers in the user's language, without a traceback."""

from __future__ import annotations

from flask import Flask, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.core.permissions import who_may_grant
from app.extensions import db


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        403: _("You may not see this page"),
        404: _("Page not found"),
        405: _("This action is not allowed here"),
        413: _("The upload is too large"),
        500: _("Something went wrong on our side"),
    }


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""

    @app.before_request
    def refuse_nul_in_the_address():
        # No filter or search holds a NUL, and PostgreSQL cannot compare text with one: say so
        # rather than fail. (Answers, notes and forms refuse control characters field by field.)
        if any("\x00" in value for values in request.args.listvalues() for value in values):
            abort(400, _("The address contains a NUL character (%00): remove it and try again."))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        db.session.rollback()
        message = _(
            "The form was not accepted because its security token is missing or expired. "
            "Go back, reload the page and try again: nothing was changed."
        )
        return render_template("error.html", code=400, title=_titles()[400], message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        code = error.code or 500
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return {"error": {"status": code, "message": error.description}}, code
        title = _titles().get(code, error.name)
        message = error.description if _is_custom(error) else None
        response = render_template(
            "error.html",
            code=code,
            title=title,
            message=message,
            ask=who_may_grant(current_user),
        )
        return response, code

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_template("error.html", code=500, title=_titles()[500], message=None), 500


def _is_custom(error: HTTPException) -> bool:
    """Return whether the view gave its own description (not Werkzeug's default English one)."""
    return type(error).description != error.description
