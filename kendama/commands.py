"""Command-line tools: `flask --app app create-admin` and `flask --app app seed-demo`."""

from __future__ import annotations

import click
from flask import Flask

from .services import demo_data
from .services.accounts import accounts
from .services.errors import ServiceError


def init_app(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.argument("email")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", default="Administrator", help="Display name.")
    def create_admin(email: str, password: str, name: str) -> None:
        """Create an administrator (or promote an existing account)."""
        try:
            user = accounts.create_admin(email, password, name)
        except ServiceError as exc:
            raise click.ClickException(f"{exc.message} {exc.fields or ''}".strip()) from exc
        click.echo(f"Administrator {user.email} is ready.")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Add demo players (profiles, offerings, availability), a fan and an admin (development only)."""
        environment = app.config["ENV_NAME"]
        if environment != "development":
            # Its accounts share one published password, the admin's included.
            raise click.ClickException(
                f"seed-demo only runs in development (KENDAMA_ENV=development); this is {environment}. "
                "Its demo accounts, an administrator among them, have a published password."
            )
        for line in demo_data.seed():
            click.echo(line)
