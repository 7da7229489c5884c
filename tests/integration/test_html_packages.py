"""Lesson packages on the pages: the player's editor, the profile's offer with its saving, buying
(straight on to Checkout), the booking form's credit, the dashboard and the credits page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kendama.extensions import db
from kendama.models import LessonPackage, PackagePurchase
from kendama.services.payments import packages

from ..conftest import csrf_token_from
from ..support.factories import FanFactory, PlayerFactory
from ..support.package_helpers import paid_purchase

pytestmark = pytest.mark.both_databases


def paid_player(**fields):
    return PlayerFactory(setup__paid=True, setup__price=2500, setup__currency="eur", **fields)


def credits_for(fan, player, lessons: int = 3) -> PackagePurchase:
    purchase = paid_purchase(fan, player, lessons=lessons, currency="eur")
    db.session.commit()
    return purchase


def test_a_player_offers_a_package_and_fans_see_it_with_its_saving(client, login):
    player = paid_player(display_name="Pia Package")
    login(player)
    page = client.get("/dashboard/packages").get_data(as_text=True)
    assert '<label for="lessons_1">Package 1: number of lessons</label>' in page
    response = client.post(
        "/dashboard/packages",
        data={"csrf_token": csrf_token_from(client), "lessons_1": "3", "duration_1": "30", "price_1": "60"},
    )
    assert response.status_code == 303
    (package,) = db.session.scalars(select(LessonPackage).where(LessonPackage.player_id == player.id))
    assert (package.lessons, package.price_amount, package.currency) == (3, 6000, "eur")
    client.post("/logout", data={"csrf_token": csrf_token_from(client)})
    profile = client.get(f"/players/{player.id}").get_data(as_text=True)
    assert "3 lessons of 30 minutes: EUR 60.00" in profile
    assert "you save EUR 15.00, 20 %" in profile
    assert "Sign in to buy a package" in profile


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"lessons_1": "3", "duration_1": "30", "price_1": "75"}, "price_1", "less than its single lessons"),
        ({"lessons_1": "3", "duration_1": "30", "price_1": "sixty"}, "price_1", "as a number"),
        ({"lessons_1": "12", "duration_1": "30", "price_1": "60"}, "lessons_1", "between 2 and 10"),
        ({"lessons_2": "3", "duration_2": "45", "price_2": "60"}, "duration_2", "one of the lengths you offer"),
    ],
)
def test_a_package_the_rules_refuse_is_a_422_at_its_field_and_nothing_is_saved(client, login, form, field, message):
    player = paid_player()
    login(player)
    client.get("/dashboard/packages")
    response = client.post("/dashboard/packages", data={"csrf_token": csrf_token_from(client), **form})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and message in page.lower().replace("must be between", "between")
    assert db.session.scalar(select(LessonPackage.id).where(LessonPackage.player_id == player.id)) is None


def test_buying_goes_straight_to_checkout(client, login):
    player = paid_player()
    (offer,) = packages.set_packages(player, [packages.PackageInput(3, 30, 6000)])
    login(FanFactory())
    client.get(f"/players/{player.id}")
    response = client.post(f"/packages/{offer.id}/buy", data={"csrf_token": csrf_token_from(client)})
    assert response.status_code == 303
    assert "/_sandbox/stripe/" in response.headers["Location"]
    purchase = db.session.scalar(select(PackagePurchase).where(PackagePurchase.package_id == offer.id))
    assert purchase.status == "pending"
    status = client.get(f"/packages/purchases/{purchase.id}").get_data(as_text=True)
    assert "waiting for Stripe to confirm your payment" in status and "data-hx-get" in status


def test_the_booking_form_offers_the_credit_and_the_dashboard_names_it(client, login):
    player, fan = paid_player(), FanFactory()
    credits_for(fan, player)
    login(fan)
    page = client.get(f"/players/{player.id}/book").get_data(as_text=True)
    assert "Book with one of my lesson credits (3 left)" in page
    (box,) = re.findall(r'<input[^>]*name="use_credit"[^>]*>', page)
    assert "checked" in box  # a fan who bought lessons wants to use them
    credits_page = client.get("/dashboard/credits").get_data(as_text=True)
    assert "<dd>3 of 3</dd>" in credits_page
    assert "Refund the 3 unused credits: EUR 60.00" in credits_page


def test_without_credits_the_booking_form_does_not_mention_them(client, login):
    player = paid_player()
    login(FanFactory())
    assert "lesson credits" not in client.get(f"/players/{player.id}/book").get_data(as_text=True)
