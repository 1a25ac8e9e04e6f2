"""The Cybercrime Action Task Force assessment application."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import CONFIGS, INSTANCE_PATH


def create_app(config: str | None = None, **overrides) -> Flask:
    """Create the application: configuration, extensions, blueprints, CLI and error handlers.

    :param config: ``development``, ``testing`` or ``production``; default ``APP_ENV`` or
        ``development``.
    :param overrides: configuration values that win over the class (used by tests).
    :raises RuntimeError: in production without ``SECRET_KEY``.
    """
    name = config or os.environ.get("APP_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"Unknown APP_ENV {name!r}; use one of {', '.join(CONFIGS)}")
    app = Flask(__name__, instance_path=INSTANCE_PATH, instance_relative_config=True)
    app.config.from_object(CONFIGS[name])
    app.config["APP_ENV"] = name
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _secret_key(app)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path, 'catf.sqlite3')}"
        )
    if not app.config["UPLOAD_FOLDER"]:
        app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path, "uploads"))
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)

    # Database ids are 64-bit: a larger number in a URL is no object (404), not a database error.
    app.url_map.converters["int"] = DatabaseId
    _init_extensions(app)
    _register_blueprints(app)
    from app import cli, errors, i18n
    from app.core import headers

    errors.register(app)
    headers.register(app)
    i18n.register(app)
    cli.register(app)
    return app


class DatabaseId(IntegerConverter):
    """``<int:...>`` in routes: a non-negative integer that fits a 64-bit database id."""

    def __init__(self, url_map, **kwargs) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, **kwargs)


def _secret_key(app: Flask) -> None:
    """Require a secret key in production; elsewhere keep a random one in the instance folder."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["APP_ENV"] == "production":
        raise RuntimeError("SECRET_KEY must be set in production (see README: Configuration)")
    key_file = Path(app.instance_path, "secret_key")
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _init_extensions(app: Flask) -> None:
    from app.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,  # ALTER on SQLite through table copies
        compare_type=True,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)

    from app.auth.services import load_session_user  # importing it registers every model

    login_manager.user_loader(load_session_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please sign in to see this page.")


def _select_locale() -> str | None:
    """Pick the user's preference, then the language chosen in this session, then the browser's."""
    if not has_request_context():
        return None  # the command line speaks the default language
    languages = _languages()
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages)


def _languages() -> tuple[str, ...]:
    from flask import current_app

    return current_app.config["LANGUAGES"]


def _register_blueprints(app: Flask) -> None:
    from app.admin.routes import bp as admin_bp
    from app.api.routes import bp as api_bp
    from app.assessments.routes import bp as assessments_bp
    from app.auth.routes import bp as auth_bp
    from app.capacity import bp as capacity_bp
    from app.capacity import load_routes as load_capacity_routes
    from app.library.routes import bp as library_bp
    from app.main.routes import bp as main_bp
    from app.reports.routes import bp as reports_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(library_bp, url_prefix="/library")
    app.register_blueprint(assessments_bp)
    load_capacity_routes()
    app.register_blueprint(capacity_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    from app.extensions import csrf

    csrf.exempt(api_bp)  # bearer tokens, never cookies: no cross-site request can use them
