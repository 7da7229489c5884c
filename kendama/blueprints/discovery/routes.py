"""The home page, the player listing and a player's public profile."""

from __future__ import annotations

from flask import abort, make_response, render_template, request, send_from_directory, url_for

from ...htmx import is_htmx_request
from ...services import avatars, discovery
from ...services import policy as cancellation_policy
from ...template_helpers import viewer_zone
from . import bp
from .forms import PlayerSearchForm

PER_PAGE = 12
PAGER_ID_PREFIX = "pager-"


@bp.get("/")
def index():
    return render_template("discovery/index.html")


def _page_number() -> int:
    page = request.args.get("page", 1, type=int) or 1
    return min(max(page, 1), 100_000)


@bp.get("/players")
def players():
    """The listing; an htmx request (the filter form, the pager) gets only the results fragment."""
    form = PlayerSearchForm(request.args)
    form.validate()
    page = _page_number()
    result = discovery.search_players(form.to_search(), page=page, per_page=PER_PAGE)
    params = form.query_params()
    context = {"form": form, "result": result, "params": params}
    if is_htmx_request():
        # After a pager link is followed the link is gone: move focus to the new results' heading.
        # A filter change leaves focus where the user is typing; the live region reads the count.
        focus = request.headers.get("HX-Trigger", "").startswith(PAGER_ID_PREFIX)
        response = make_response(
            render_template("discovery/_results.html", fragment=True, focus_results=focus, **context)
        )
        # The canonical address of this view (empty filters dropped) goes in the address bar.
        response.headers["HX-Push-Url"] = url_for("discovery.players", **params, **({"page": page} if page > 1 else {}))
    else:
        response = make_response(render_template("discovery/players.html", **context), 422 if form.errors else 200)
    # One address answers with a page or a fragment; caches must keep them apart.
    response.vary.add("HX-Request")
    return response


@bp.get("/players/<int:player_id>")
def player(player_id: int):
    view = discovery.player_page(player_id, request.args.get("duration", type=int), viewer_zone())
    return render_template("discovery/player.html", view=view, card=view.card, profile=view.card.profile)


@bp.get("/players/<int:player_id>/avatar")
def avatar(player_id: int):
    stored = avatars.avatar_file(player_id)
    if stored is None:
        abort(404)
    response = send_from_directory(stored.directory, stored.filename, mimetype=stored.mimetype, max_age=86400)
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/policy")
def policy():
    return render_template("discovery/policy.html", policy=cancellation_policy.current())
