"""/dev/mail: the development outbox, showing each message as it would be received."""

from flask import Blueprint, abort, current_app, request

from ...web.loopback import is_loopback

bp = Blueprint("devmail", __name__)


@bp.before_request
def development_only():
    # Outbox mail holds live reset links: never served where real users are.
    if current_app.config["PRODUCTION"] or not current_app.config.get("DEV_MAIL_PAGES"):
        abort(404)
    # Even a development server shared on the network (DEV_ALLOW_NON_LOOPBACK) shows the outbox
    # to this machine only; behind a trusted proxy remote_addr is the client (proxies.py).
    if not is_loopback(request.remote_addr):
        abort(404)


from . import routes  # noqa: E402,F401
