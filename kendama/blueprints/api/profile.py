"""PUT /api/users/me/profile: a player edits their own profile and offerings."""

from __future__ import annotations

from flask import jsonify

from ...services import access
from ...services.accounts import profiles
from . import bp
from .io import parse_body, require_user
from .schemas import ProfileIn, ProfileOut
from .serializers import profile_out
from .spec import operation


@bp.get("/users/me/profile")
@operation("The signed-in player's profile", tag="profiles", responses={200: ProfileOut}, errors=(403,))
def get_profile():
    user = require_user()
    access.require_player(user)
    return jsonify(profile_out(profiles.get_player_profile(user.id)))


@bp.put("/users/me/profile")
@operation(
    "Update the signed-in player's profile", tag="profiles", body=ProfileIn, responses={200: ProfileOut}, errors=(403,)
)
def update_profile():
    user = require_user()
    data = parse_body(ProfileIn)
    offerings = None
    if data.offerings is not None:
        offerings = [profiles.OfferingInput(o.duration_minutes, o.price_amount) for o in data.offerings]
    profile = profiles.update_profile(
        user,
        display_name=data.display_name,
        bio=data.bio,
        accepts_bookings=data.accepts_bookings,
        currency=data.currency,
        offerings=offerings,
        recording_default=data.recording_default,
        sharing_default=data.sharing_default,
        languages=data.languages,
    )
    return jsonify(profile_out(profile))
