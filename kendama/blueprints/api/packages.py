"""Lesson packages and credits (../shared/API.md, "Marketplace"): offers, purchases, balances, refunds."""

from __future__ import annotations

from flask import jsonify
from pydantic import BaseModel, Field, RootModel

from ...services.payments import credits, packages
from ...services.timezones import iso_utc
from . import bp
from .io import parse_list_body, require_user
from .schemas import Strict
from .spec import operation


class PackageIn(Strict):
    lessons: int = Field(description="2 to 10")
    duration_minutes: int = Field(description="one of the player's paid lengths")
    price_amount: int = Field(description="minor units, for all the lessons; below that many single lessons")


class PackageOfferBody(RootModel[list[PackageIn]]):
    """The whole offer: a JSON array of packages (at most 6)."""


class PackageOut(BaseModel):
    id: int
    lessons: int
    duration_minutes: int
    price_amount: int
    currency: str
    single_price_amount: int = Field(description="the price of one single lesson of this length")
    saving_amount: int = Field(description="what the package saves against that many single lessons")
    saving_percent: int


class PackageList(BaseModel):
    items: list[PackageOut]


class PurchaseOut(BaseModel):
    purchase_id: int
    checkout_url: str


class CreditsOut(BaseModel):
    purchase_id: int
    player_id: int
    player_name: str
    lessons: int
    duration_minutes: int
    price_amount: int
    currency: str
    available: int
    used: int
    refunded: int
    expired: int
    valid_until: str
    refund_amount: int = Field(description="what refunding the available credits now gives back")


class CreditsList(BaseModel):
    items: list[CreditsOut]


class CreditRefundOut(BaseModel):
    amount: int
    currency: str
    status: str


def _package_out(offer: packages.PackageOffer) -> dict:
    return PackageOut(
        id=offer.id,
        lessons=offer.lessons,
        duration_minutes=offer.duration_minutes,
        price_amount=offer.price_amount,
        currency=offer.currency,
        single_price_amount=offer.single_price,
        saving_amount=offer.saving,
        saving_percent=offer.saving_percent,
    ).model_dump()


def _credits_out(balance: credits.Balance) -> dict:
    purchase = balance.purchase
    return CreditsOut(
        purchase_id=purchase.id,
        player_id=purchase.player_id,
        player_name=purchase.player.display_name,
        lessons=purchase.lessons,
        duration_minutes=purchase.duration_minutes,
        price_amount=purchase.price_amount,
        currency=purchase.currency,
        available=balance.available,
        used=balance.used,
        refunded=balance.refunded,
        expired=balance.expired,
        valid_until=iso_utc(purchase.valid_until),
        refund_amount=packages.refund_quote(purchase, balance.available) if balance.refundable else 0,
    ).model_dump()


@bp.get("/players/<int:player_id>/packages")
@operation(
    "A player's lesson packages, with the saving against single lessons",
    tag="packages",
    auth=False,
    responses={200: PackageList},
)
def player_packages(player_id: int):
    return jsonify({"items": [_package_out(offer) for offer in packages.offers_of(player_id)]})


@bp.put("/users/me/packages")
@operation(
    "Replace the caller's (a player's) lesson packages; packages already bought keep their terms",
    tag="packages",
    body=PackageOfferBody,
    responses={200: PackageList},
    errors=(401, 403, 422),
)
def set_my_packages():
    user = require_user()
    items = parse_list_body(PackageIn, max_items=packages.MAX_PACKAGES * 2)
    inputs = [packages.PackageInput(i.lessons, i.duration_minutes, i.price_amount) for i in items]
    return jsonify({"items": [_package_out(offer) for offer in packages.set_packages(user, inputs)]})


@bp.post("/packages/<int:package_id>/purchase")
@operation(
    "Buy a package (a fan): opens a Stripe Checkout; the credits come once it is paid",
    tag="packages",
    responses={201: PurchaseOut},
    errors=(401, 403, 404, 409, 422, 503),
)
def purchase_package(package_id: int):
    user = require_user()
    payment = packages.start_purchase(user, package_id)
    return jsonify(
        PurchaseOut(purchase_id=payment.package_purchase_id, checkout_url=payment.checkout_url).model_dump()
    ), 201


@bp.get("/users/me/credits")
@operation("The caller's lesson credits, by package purchase", tag="packages", responses={200: CreditsList})
def my_credits():
    user = require_user()
    return jsonify({"items": [_credits_out(balance) for balance in credits.balances(user)]})


@bp.post("/users/me/credits/<int:purchase_id>/refund")
@operation(
    "Refund a purchase's unused credits pro rata, while they are valid",
    tag="packages",
    responses={201: CreditRefundOut},
    errors=(401, 404, 409),
)
def refund_my_credits(purchase_id: int):
    user = require_user()
    refund = packages.refund_unused(user, purchase_id)
    return jsonify(
        CreditRefundOut(amount=refund.amount, currency=refund.currency, status=refund.status).model_dump()
    ), 201
