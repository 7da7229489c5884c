"""Registering through the page as a person does: the form, then the link in the email."""

from __future__ import annotations

import re

from kendama.extensions import mail

from ..conftest import csrf_token_from

CONFIRM_LINK = re.compile(r"http://localhost(/register/confirm/[\w.\-]+)")
NEW_ACCOUNT = {"display_name": "Nia", "role": "fan", "timezone": "Asia/Tokyo", "birth_year": "1990"}


def register_on_page(client, email: str, password: str, url: str = "/register", **fields):
    """Post the registration form; returns the answer and the emails it sent."""
    data = {"csrf_token": csrf_token_from(client), **NEW_ACCOUNT, "email": email, "password": password, **fields}
    with mail.record_messages() as sent:
        response = client.post(url, data=data)
    return response, list(sent)


def confirmation_path(messages) -> str:
    """The path of the one confirmation link among the emails."""
    (path,) = {match for message in messages for match in CONFIRM_LINK.findall(message.body)}
    return path


def confirm(client, path: str, password: str):
    """Open the emailed link and finish with the password, as the page asks."""
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return client.post(path, data={"csrf_token": csrf_token_from(client), "password": password})


def sign_up(client, email: str, password: str, url: str = "/register", **fields):
    """Register on the page and open the emailed link: the answer of the confirmation (303 when signed in)."""
    response, sent = register_on_page(client, email, password, url, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    return confirm(client, confirmation_path(sent), password)
