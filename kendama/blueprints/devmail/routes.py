"""The outbox list, one message, its HTML part (sandboxed) and its attachments."""

from __future__ import annotations

from flask import Response, abort, render_template

from ...integrations import mail as mail_adapter
from . import bp

# The email's own HTML may carry styles but nothing active; it runs sandboxed, framed only by us.
HTML_PART_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "sandbox allow-popups allow-popups-to-escape-sandbox; frame-ancestors 'self'"
)


def _message_or_404(key: str) -> mail_adapter.StoredMessage:
    stored = mail_adapter.stored_message(key)
    if stored is None:
        abort(404)
    return stored


@bp.get("/")
def index():
    return render_template("devmail/index.html", messages=mail_adapter.stored_messages())


@bp.get("/<key>")
def message(key: str):
    return render_template("devmail/message.html", stored=_message_or_404(key))


@bp.get("/<key>/html")
def html_part(key: str):
    html = _message_or_404(key).part("text/html")
    if html is None:
        abort(404)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_PART_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<key>/attachments/<int:index>")
def attachment(key: str, index: int):
    attachments = _message_or_404(key).attachments()
    if not 1 <= index <= len(attachments):
        abort(404)
    filename, content_type, data = attachments[index - 1]
    response = Response(data, mimetype=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
