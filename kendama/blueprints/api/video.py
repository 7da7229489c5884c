"""Video: join a session's call, end the lesson, consent to recording, its recording and share links."""

from __future__ import annotations

from flask import current_app, jsonify

from ...extensions import limiter, per_user
from ...services.errors import NotFound
from ...services.notifications.links import absolute_url
from ...services.timezones import iso_utc
from ...services.video import calls, recording_consent, recordings
from . import bp
from .io import parse_body, require_user
from .spec import operation
from .video_schemas import (
    ConsentIn,
    ConsentOut,
    JoinOut,
    LessonEndedOut,
    RecordingOut,
    RevokedOut,
    ShareOut,
)


def consent_out(state: recording_consent.ConsentState) -> dict:
    return {
        "recording": {"fan": state.fan_recording, "player": state.player_recording, "both": state.recording},
        "sharing": {"fan": state.fan_sharing, "player": state.player_sharing, "both": state.sharing},
        "changeable_until": iso_utc(state.changeable_until),
        "changeable": state.changeable,
    }


def recording_out(recording, grant: recordings.FileGrant | None) -> dict:
    ready = grant is not None
    return {
        "status": recording.status,
        "duration_seconds": recording.duration_seconds,
        "download_url": absolute_url("video.recording_media", recording_id=recording.id, sig=grant.download)
        if ready
        else None,
        "captions_url": (
            absolute_url("video.recording_captions", recording_id=recording.id, sig=grant.captions)
            if ready and grant.captions
            else None
        ),
        "expires_at": iso_utc(grant.expires_at) if ready else None,
    }


@bp.post("/sessions/<int:session_id>/join")
@limiter.limit(lambda: current_app.config["RATELIMIT_VIDEO_JOIN"], key_func=per_user)
@operation(
    "A meeting token for the session's call: its fan and player only, from 10 minutes before the start to the end",
    tag="video",
    responses={200: JoinOut},
    errors=(401, 403, 404, 409, 429, 503),
)
def join_session(session_id: int):
    grant = calls.join(require_user(), session_id)
    return jsonify(
        {
            "room_url": grant.room_url,
            "token": grant.token,
            "expires_at": iso_utc(grant.expires_at),
            "recording": grant.recording,
        }
    )


@bp.post("/sessions/<int:session_id>/consent")
@operation(
    "Give or withdraw consent to recording and to sharing (changeable until the start)",
    tag="video",
    body=ConsentIn,
    responses={200: ConsentOut},
    errors=(401, 403, 404, 409, 422),
)
def set_consent(session_id: int):
    user = require_user()
    data = parse_body(ConsentIn)
    return jsonify(
        consent_out(recording_consent.set_consent(user, session_id, recording=data.recording, sharing=data.sharing))
    )


@bp.get("/sessions/<int:session_id>/consent")
@operation(
    "Both participants' consent to recording and sharing", tag="video", responses={200: ConsentOut}, errors=(401, 404)
)
def get_consent(session_id: int):
    return jsonify(consent_out(recording_consent.consent_for_viewer(require_user(), session_id)))


@bp.get("/sessions/<int:session_id>/recording")
@operation(
    "The session's recording (every part of it) with short-lived signed links; participants and admins only",
    tag="video",
    responses={200: RecordingOut},
    errors=(401, 404),
)
def get_recording(session_id: int):
    _session, parts = recordings.parts_for_viewer(require_user(), session_id)
    if not parts:
        raise NotFound("This session has no recording.", code="no_recording")
    main = parts[recordings.main_part([shown.part for shown in parts]).number - 1]  # parts are in number order
    body = recording_out(main.part.recording, main.grant)
    body["parts"] = [{"part": s.part.number, **recording_out(s.part.recording, s.grant)} for s in parts]
    return jsonify(body)


@bp.post("/sessions/<int:session_id>/recording/share")
@operation(
    "A new expiring share link to the recording (the player, when both allowed sharing); earlier links stop working",
    tag="video",
    responses={201: ShareOut},
    errors=(401, 403, 404, 409),
)
def share_recording(session_id: int):
    link, raw = recordings.create_share_link(require_user(), session_id)
    return jsonify(
        {"share_url": absolute_url("video.shared_recording", token=raw), "expires_at": iso_utc(link.expires_at)}
    ), 201


@bp.delete("/sessions/<int:session_id>/recording/share")
@operation(
    "Revoke the recording's share links (the player)", tag="video", responses={200: RevokedOut}, errors=(401, 403, 404)
)
def revoke_share(session_id: int):
    return jsonify({"revoked": recordings.revoke_share_links(require_user(), session_id)})


@bp.post("/sessions/<int:session_id>/end")
@operation(
    "The player ends the lesson (after the start, while it is in progress): it is completed and the call closes"
    " for both; nobody can rejoin",
    tag="video",
    responses={200: LessonEndedOut},
    errors=(401, 403, 404, 409),
)
def end_lesson(session_id: int):
    session = calls.end_lesson(require_user(), session_id)
    return jsonify({"id": session.id, "status": session.status, "completed_at": iso_utc(session.completed_at)})
