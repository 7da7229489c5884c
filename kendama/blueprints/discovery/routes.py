"""The home page, the player listing and a player's public profile."""

from __future__ import annotations

from flask import abort, render_template, request, send_from_directory

from ...services import avatars, discovery
from ...services import policy as cancellation_policy
from . import bp


@bp.get("/")
def index():
    return render_template("discovery/index.html")


@bp.get("/players")
def players():
    page = request.args.get("page", 1, type=int) or 1
    search = discovery.PlayerSearch(text=request.args.get("q") or None)
    result = discovery.search_players(search, page=max(page, 1), per_page=12)
    return render_template("discovery/players.html", result=result, search=search, page=page)


@bp.get("/players/<int:player_id>")
def player(player_id: int):
    card = discovery.player_card(player_id)
    return render_template("discovery/player.html", card=card, profile=card.profile)


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
