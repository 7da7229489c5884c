"""An offline stand-in for Stripe, served by this app under /_sandbox/stripe.

It speaks the subset of Stripe's HTTP API that kendama/integrations/stripe/gateway.py uses
(Checkout Sessions, refunds, Connect accounts, account and login links) and one test helper of
its own (a ready account for a demo player), hosts a checkout page and a Connect onboarding page,
and sends signed webhooks to /webhooks/stripe. Its state lives in a SQLite file (see store.py).
It answers 404 to everything when a real Stripe key is configured or sandboxes are not allowed
(production, staging).
"""

from flask import Blueprint, abort, current_app

from ....extensions import csrf
from . import config

bp = Blueprint("stripe_sandbox", __name__, template_folder="templates")
# It stands for an outside service: its API authenticates by key, its pages by unguessable ids
# and their own form tokens, not by this site's CSRF token.
csrf.exempt(bp)


@bp.before_request
def refuse_unless_enabled():
    if not config.enabled(current_app):
        abort(404)


from . import api, hosted  # noqa: E402,F401
