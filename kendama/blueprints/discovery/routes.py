"""The home page, the player listing, a player's public profile with its reviews, and reporting a review."""

from __future__ import annotations

from collections.abc import Hashable

from flask import Response, abort, flash, make_response, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from ...services import discovery
from ...services.accounts import avatars
from ...services.accounts.profiles import LESSON_LENGTHS
from ...services.booking import policy as cancellation_policy
from ...services.errors import Conflict, InvalidInput
from ...services.marketplace import reviews
from ...services.payments import packages
from ...web import fragment_cache, page_cache
from ...web.htmx import is_htmx_request
from ...web.template_helpers import viewer_zone
from ..form_errors import apply_service_errors
from ..redirects import see_other
from . import bp
from .forms import PlayerSearchForm, ReportReviewForm, trick_choices

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
    page = _page_number()
    if set(request.args) <= {"page"} and (zone := page_cache.shared_view()):
        # The unfiltered listing, what most visitors open, is answered before any form is built.
        key = _listing_key("players.html", {}, page, zone=zone)
        return _varied(make_response(page_cache.listing_page(key, _players_page)))
    form = PlayerSearchForm(request.args)
    form.validate()
    params = form.query_params()
    if not is_htmx_request():
        return _varied(make_response(_players_page(form), 422 if form.errors else 200))
    # After a pager link is followed the link is gone: move focus to the new results' heading.
    # A filter change leaves focus where the user is typing; the live region reads the count.
    focus = request.headers.get("HX-Trigger", "").startswith(PAGER_ID_PREFIX)
    response = make_response(_listing(form, params, page, focus=focus, fragment=True))
    # The canonical address of this view (empty filters dropped) goes in the address bar.
    response.headers["HX-Push-Url"] = url_for("discovery.players", **params, **({"page": page} if page > 1 else {}))
    return _varied(response)


def _players_page(form: PlayerSearchForm | None = None) -> str:
    """The listing's whole page: the filters (from the address) and a page of results."""
    if form is None:
        form = PlayerSearchForm(request.args)
        form.validate()
    listing = _listing(form, form.query_params(), _page_number(), focus=False, fragment=False)
    return render_template("discovery/players.html", listing=listing, public_view=True)


def _varied(response: Response) -> Response:
    # One address answers with a page or a fragment; caches must keep them apart.
    response.vary.add("HX-Request")
    return response


def _listing(form: PlayerSearchForm, params: dict[str, str], page: int, *, focus: bool, fragment: bool) -> Markup:
    """The rendered results (the fragment), or the filters and results (the page's content).

    Rendered every time for a text search or a filter that could not be read: text searches
    rarely repeat, and caching every one would let anyone fill the cache. Otherwise the filter
    form shows exactly the canonical `params`, so they key the cached copy.
    """
    template = "discovery/_results.html" if fragment else "discovery/_listing.html"

    def render() -> Markup:
        result = discovery.search_players(form.to_search(), page=page, per_page=PER_PAGE)
        return Markup(
            render_template(
                template,
                form=form,
                result=result,
                params=params,
                fragment=fragment,
                focus_results=focus,
                trick_choices=trick_choices,
            )
        )

    if form.errors or "q" in params:
        return render()
    return fragment_cache.listing_fragment("players-page", _listing_key(template, params, page, focus), render)


def _listing_key(
    template: str, params: dict[str, str], page: int, focus: bool = False, zone: str | None = None
) -> Hashable:
    """What a cached listing depends on besides the players: the canonical filters and the zone."""
    return (template, tuple(sorted(params.items())), page, focus, zone or viewer_zone())


@bp.get("/players/<int:player_id>")
def player(player_id: int):
    return _player_page(player_id)


def _player_page(player_id: int, *, failed: tuple[int, ReportReviewForm] | None = None, status: int = 200):
    """The profile page; one copy for every anonymous visitor in a zone (web/page_cache.py)."""
    if failed is None and (zone := page_cache.shared_view()):
        key = (_duration_key(request.args.get("duration", type=int)), zone, _page_number())
        return page_cache.player_page(player_id, key, lambda: _draw_player_page(player_id, None)), status
    return _draw_player_page(player_id, failed), status


def _duration_key(duration: int | None) -> int | None:
    """Any length a player cannot offer shows their shortest, so it shares that key."""
    return duration if duration in LESSON_LENGTHS else None


def _draw_player_page(player_id: int, failed: tuple[int, ReportReviewForm] | None) -> str:
    """The profile (a cached fragment) and a page of its reviews (cached data, drawn per request:
    the Report forms carry the visitor's CSRF token, which no cached copy may hold)."""
    duration = request.args.get("duration", type=int)
    zone_name = viewer_zone()

    def render() -> tuple[str, Markup]:
        view = discovery.player_page(player_id, duration, zone_name)
        profile = view.card.profile
        article = render_template("discovery/_profile.html", view=view, card=view.card, profile=profile)
        return profile.user.display_name, Markup(article)

    key = (_duration_key(duration), zone_name, current_user.is_authenticated)
    name, article = fragment_cache.player_fragment(player_id, "profile-page", key, render)
    page = _page_number()
    shown = fragment_cache.player_fragment(
        player_id, "reviews", page, lambda: discovery.player_reviews(player_id, page=page)
    )
    offers = fragment_cache.player_fragment(player_id, "packages", None, lambda: packages.offers_of(player_id))
    return render_template(
        "discovery/player.html",
        name=name,
        article=article,
        player_id=player_id,
        package_offers=offers,
        reviews=shown,
        # Only for someone signed in: a form makes a CSRF token, and so a cookie for an anonymous visitor.
        report_form=ReportReviewForm(formdata=None) if current_user.is_authenticated else None,
        failed=failed,
        public_view=True,
    )


@bp.post("/reviews/<int:review_id>/report")
@login_required
def report_review(review_id: int):
    review = reviews.review_to_report(current_user, review_id)  # 404 or 403 before the form is read
    back = url_for("discovery.player", player_id=review.player_id) + f"#review-{review.id}"
    form = ReportReviewForm()
    if not form.validate_on_submit():
        return _player_page(review.player_id, failed=(review.id, form), status=422)
    try:
        reviews.report(current_user, review_id, form.reason.data or "")
    except InvalidInput as exc:
        apply_service_errors(form, exc)
        return _player_page(review.player_id, failed=(review.id, form), status=422)
    except Conflict as exc:  # reported already: nothing to fix on the form
        flash(exc.message, "info")
        return see_other(back)
    flash("Thank you. An admin will look at the review.", "success")
    return see_other(back)


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
