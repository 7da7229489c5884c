"""Admin endpoints: POST /api/admin/players/:id/verify."""

from __future__ import annotations

from flask import jsonify, request

from ...services.accounts import profiles
from . import bp
from .io import parse_body, require_admin
from .schemas import ProfileOut, VerifyIn
from .serializers import profile_out
from .spec import operation


@bp.post("/admin/players/<int:player_id>/verify")
@operation("Verify (or reject) a player", tag="admin", body=None, responses={200: ProfileOut}, errors=(403, 404, 422))
def verify_player(player_id: int):
    admin = require_admin()
    data = parse_body(VerifyIn) if request.content_length else VerifyIn()
    profile = profiles.verify_player(admin, player_id, approve=data.approve, note=data.note)
    return jsonify(profile_out(profile))
