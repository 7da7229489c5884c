"""Kendama Live Sessions: the application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from . import start_checks
from .config import CONFIGS, development_calendar_secrets_key, development_secret_key, normalise_database_url
from .web.app_class import KendamaFlask

INSTANCE_PATH = Path(__file__).resolve().parent.parent / "instance"


def create_app(
    config_name: str | None = None, overrides: dict | None = None, *, instance_path: str | Path | None = None
) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers, commands.

    `instance_path` is where the embedded default keeps its files (instance/ beside the code
    unless given); tests give each embedded app a scratch folder of its own.
    """
    config_name = config_name or os.environ.get("KENDAMA_ENV", "development")
    app = KendamaFlask(__name__, instance_path=str(instance_path or INSTANCE_PATH))
    app.config.from_object(CONFIGS[config_name])
    app.config.update(overrides or {})
    configure_environment(app)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_security(app)
    register_commands(app)
    return app


def configure_environment(app: Flask) -> None:
    """Fill in what the embedded default derives, and refuse unsafe production settings."""
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["PRODUCTION"]:
        start_checks.check(app.config["ENV_NAME"], app.config)
    if app.config["ENV_NAME"] == "development":
        start_checks.check_development_bind(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = development_secret_key(app.instance_path)
    if not app.config.get("CALENDAR_SECRETS_KEY"):
        app.config["CALENDAR_SECRETS_KEY"] = development_calendar_secrets_key(app.instance_path)
    url = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = f"sqlite:///{Path(app.instance_path) / 'kendama.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if url.startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    app.config["BASE_URL"] = app.config["BASE_URL"].rstrip("/")
    from .integrations.video.sandbox import config as video_sandbox  # the package's routes need the app's modules

    video_sandbox.ice_servers(app)  # a malformed VIDEO_SANDBOX_ICE_SERVERS stops start-up, saying why


def register_extensions(app: Flask) -> None:
    from . import dialects
    from .extensions import csrf, db, limiter, login_manager, mail, migrate
    from .tasks import periodic, queue
    from .web.cookie_sessions import CookieSessionInterface
    from .web.htmx import htmx

    app.session_interface = CookieSessionInterface()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    dialects.init_app(app)
    queue.init_app(app)
    periodic.init_app(app)
    from .services.booking import slot_cache
    from .web import auth_loading

    auth_loading.init_app(app)
    slot_cache.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .blueprints import BLUEPRINTS
    from .web.url_converters import DatabaseIdConverter

    # Ids in URLs fit the database's integer column; anything larger is a plain 404.
    app.url_map.converters["int"] = DatabaseIdConverter

    for blueprint, prefix in BLUEPRINTS():
        app.register_blueprint(blueprint, url_prefix=prefix)


def register_errorhandlers(app: Flask) -> None:
    from .web import errors

    errors.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from .web import template_helpers

    template_helpers.init_app(app)


def register_security(app: Flask) -> None:
    from .web import input_guard, proxies, request_logging, security

    proxies.init_app(app)
    security.init_app(app)
    request_logging.init_app(app)
    input_guard.init_app(app)


def register_commands(app: Flask) -> None:
    from . import commands

    commands.init_app(app)
