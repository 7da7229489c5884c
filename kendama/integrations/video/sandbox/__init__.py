"""An offline stand-in for Daily's REST API, served under /_sandbox/video by the app itself.

It speaks the subset of the API the adapter uses (rooms, meeting tokens, recordings, transcripts,
access links), keeps its state in SQLite (store.py), runs real calls in its rooms (browser-to-browser
WebRTC signalled through call_routes.py and meetings.py; the call screen is
templates/video_sandbox/call.html with static/call.js), records them with a hidden server-side
participant (recorders.py, recorder.py), captions the recordings offline (transcription.py,
captions.py) and posts signed webhooks (webhooks.py). It
refuses to answer when a real DAILY_API_KEY is configured or in production (config.py).
"""

from flask import Blueprint

from ....extensions import csrf, limiter

bp = Blueprint(
    "video_sandbox",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# It stands for an outside service: callers authenticate with the API key or a meeting token,
# never with our session cookie, so CSRF does not apply; and Daily's limits are not ours.
csrf.exempt(bp)
limiter.exempt(bp)

from . import call_routes, routes  # noqa: E402,F401
