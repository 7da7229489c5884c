"""WSGI entry point: `flask --app app run`, `gunicorn app:app`."""

from kendama import create_app

app = create_app()
