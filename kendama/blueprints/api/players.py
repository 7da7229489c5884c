"""Public player listing: GET /api/players, GET /api/players/:id."""

from __future__ import annotations

from flask import jsonify

from ...services import discovery
from . import bp
from .io import page_body, pagination, parse_query
from .schemas import PlayerOut, PlayerPage, PlayerQuery
from .serializers import player_out
from .spec import operation


@bp.get("/players")
@operation(
    "Verified players who take bookings",
    tag="players",
    query=PlayerQuery,
    responses={200: PlayerPage},
    auth=False,
    paginated=True,
)
def list_players():
    query = parse_query(PlayerQuery)
    page, per_page = pagination()
    result = discovery.search_players(
        discovery.PlayerSearch(
            text=query.q,
            free=None if query.free is None else query.free == "true",
            max_price=query.max_price,
            duration=query.duration,
            available_before=query.available_before,
            sort=discovery.PlayerSort(query.sort),
            trick_id=query.trick,
            language=query.language,
        ),
        page=page,
        per_page=per_page,
    )
    items = [player_out(card.profile, card.next_available, card.rating) for card in result.items]
    return jsonify(page_body(items, page, per_page, result.total))


@bp.get("/players/<int:player_id>")
@operation("One verified player", tag="players", responses={200: PlayerOut}, errors=(404,), auth=False)
def get_player(player_id: int):
    card = discovery.player_card(player_id)
    return jsonify(player_out(card.profile, card.next_available, card.rating))
