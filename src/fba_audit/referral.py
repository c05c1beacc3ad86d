"""Referral fee schedules per marketplace and date, and the category names sellers write.

Split out of `fba_audit.ratecards` when the UK, EU and Japanese schedules came, because they differ from the US one
in ways a table alone does not carry:

* **Which price the rate applies to.** In the US the total sales price excludes the taxes Amazon collects; in the UK
  and the EU stores it includes VAT ("berechnet anhand des Gesamtverkaufspreises, inklusive aller Steuern",
  Seller Central DE 200336920), and in Japan the consumption tax the buyer pays (item + shipping + gift wrap +
  tax). A card says so with `price_includes_tax`; the detector then adds the tax lines of the order to the price.
* **Tax on the fee.** Japan prints referral fees without consumption tax ("手数料はすべて税抜き表示となっており、
  下記に記載の金額に加えて税金が課金されます", sell.amazon.co.jp/pricing) and adds 10 %; its FBA fees are printed with
  it. A card's `fee_tax_rate` gives the fee as charged with the tax: the higher of the two readings of a Commission
  line, so the tax can never make an overcharge.
* **Tables that differ in a few rows.** Amazon changed the UK/EU schedule on 2025-12-15 (clothing) and on
  2026-02-01 (four categories; two later readings of sell.amazon.co.uk say 2026-01-05). Each dated card names the
  card it is `base`d on and lists only the rows that differ; a row of kind `either` holds both readings of a
  disputed date and expects the higher fee, so a charge either reading explains is never an overcharge.
* **Stores that share a table.** The EU English card prints one column for DE/FR/IT/ES; one file serves them
  (`marketplaces`), and the stores it is only assumed for (`unverified_in`) get every row unverified.
* **Names.** A category is written differently per store (Jewelry, Jewellery, Schmuck); names are looked up in the
  schedules of the marketplace audited, with each marketplace's names file (`*_referral_category_names.toml`).

Every lookup answers None (with a reason) when no card covers the marketplace, date or category: no claim is ever
built on a guess. See docs/rate-cards.md.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from typing import Any

from fba_audit import ratecards as rc


@dataclass(frozen=True)
class ReferralResult:
    fee: Decimal | None  # the fee per unit as Amazon charges it (with the tax on the fee where the card adds one)
    category: str
    table_id: str | None
    source: str | None
    verified: bool
    reason: str | None = None
    price_includes_tax: bool = False  # the rate applies to the price with VAT / consumption tax
    fee_before_tax: Decimal | None = None  # the fee as the schedule prints it, before the tax on the fee
    doubt: str | None = None  # why the row is unverified, where its card says (`doubt` of the row or the card)


# ---------------------------------------------------------------------------------------------- rules of a card

def _expanded(card: rc.RateCard) -> dict[str, dict]:
    """The card's own rows by category name: a row's `also` names share its rule; the card's `minimum` applies to
    rows that name none; `_verified` is the row's flag and the card's."""
    rows: dict[str, dict] = {}
    card_verified = card.data.get("verified", True)
    for row in card.data.get("categories", ()):
        rule = dict(row)
        if "minimum" not in rule and "minimum" in card.data:
            rule["minimum"] = card.data["minimum"]
        rule["_verified"] = rule.get("verified", True) and card_verified
        for name in (row["name"], *row.get("also", ())):
            rows[name] = rule | {"name": name}
    return rows


@cache
def _rules(card_id: str, marketplace: str) -> dict[str, dict]:
    """Every category rule of a referral card: those of the card it is `base`d on (recursively), replaced by its own
    rows of the same name; an inherited row is as verified as the card inheriting it."""
    card = next(c for c in rc._cards() if c.id == card_id and c.marketplace == marketplace and c.kind == "referral")
    rules: dict[str, dict] = {}
    if "base" in card.data:
        verified = card.data.get("verified", True)
        rules = {name: rule | {"_verified": rule["_verified"] and verified}
                 for name, rule in _rules(card.data["base"], marketplace).items()}
    return rules | _expanded(card)


def _portion(tiers: list[dict], price: Decimal) -> Decimal:
    """Marginal rates: each applies only to the part of the price inside its band ("for the portion ... up to")."""
    fee, lower = Decimal(0), Decimal(0)
    for tier in tiers:
        upper = rc._dec(tier["up_to"]) if "up_to" in tier else price
        if price > lower:
            fee += (min(price, upper) - lower) * rc._dec(tier["rate"])
        lower = upper
    return fee


def _fee(card_id: str, rule: dict, price: Decimal, step: Decimal) -> Decimal:
    kind = rule["kind"]
    if kind == "either":
        # Two readings of one date (or row): the higher fee, so a charge either reading explains is never claimed.
        inherited = {key: rule[key] for key in ("name", "minimum") if key in rule}
        return max(_fee(card_id, inherited | alternative, price, step) for alternative in rule["rules"])
    if kind == "flat":
        fee = price * rc._dec(rule["rate"])
    elif kind == "whole":
        # The total sales price picks one tier for the whole price ("for products with a total sales price of ...");
        # a tier may itself be marginal (UK/EU clothing fulfilled by Amazon above £40/€45: 15 % up to it, 7 % above).
        tier = next(t for t in rule["tiers"] if "up_to" not in t or price <= rc._dec(t["up_to"]))
        fee = _portion(tier["portion"], price) if "portion" in tier else price * rc._dec(tier["rate"])
    elif kind == "portion":
        fee = _portion(rule["tiers"], price)
    else:
        raise ValueError(f"{card_id}: unknown referral kind {kind!r} for {rule['name']!r}")
    fee = fee.quantize(step, ROUND_HALF_UP)
    return max(fee, rc._dec(rule["minimum"])) if "minimum" in rule else fee


def expected_referral_fee(category: str, price: Any, *, marketplace: str = "US", on: dt.date) -> ReferralResult:
    """Per-unit referral fee on the total sales price (item + shipping + gift wrap, with the taxes where the card's
    `price_includes_tax` says so), with table id and source."""
    return _expected_referral_fee(category, rc._dec(price), marketplace.upper(),
                                  rc._regime_start("referral", marketplace, on))


@lru_cache(maxsize=2_000_000)
def _expected_referral_fee(category: str, price: Decimal, marketplace: str, on: dt.date) -> ReferralResult:
    card = rc.table_for("referral", marketplace, on)
    if card is None:
        return ReferralResult(None, category, None, None, False, f"no {marketplace} referral schedule for that date")
    named = referral_category(category, marketplace=marketplace).category or category
    rule = _rules(card.id, marketplace).get(named)
    if rule is None:
        return ReferralResult(None, category, card.id, card.source, False, f"category {category!r} not in {card.id}")
    step = rc._dec(card.data.get("round_to", "0.01"))
    fee = _fee(card.id, rule, price, step)
    charged = fee
    if "fee_tax_rate" in card.data:
        charged = (fee * (1 + rc._dec(card.data["fee_tax_rate"]))).quantize(step, ROUND_HALF_UP)
    return ReferralResult(charged, rule["name"], card.id, card.source, rule["_verified"],
                          price_includes_tax=card.data.get("price_includes_tax", False), fee_before_tax=fee,
                          doubt=rule.get("doubt", card.data.get("doubt")))


def referral_fee(category: str, price: Any, *, marketplace: str = "US", on: dt.date) -> Decimal | None:
    return expected_referral_fee(category, price, marketplace=marketplace, on=on).fee


@cache
def prices_include_tax(marketplace: str) -> bool:
    """Whether the referral schedules of a marketplace apply their rates to the price with the taxes the buyer paid
    (VAT, consumption tax): then the order's tax lines belong in the price the fee is judged on."""
    return any(card.data.get("price_includes_tax", False) for card in rc._cards()
               if card.kind == "referral" and card.marketplace == marketplace.upper())


# ---------------------------------------------------------------------------------------------- category names

@dataclass(frozen=True)
class CategoryName:
    """What a category name as a seller wrote it stands for in the referral fee schedules."""

    # Amazon's own name of the category; None when unknown. A category the rate cards leave out (`not_covered`)
    # keeps its name, so that its items are judged by no rate rather than by a product group's inferred one.
    category: str | None
    known: bool  # False: no category, former name or not-covered category of that name (a typo, an invented name)
    closest: tuple[str, ...] = ()  # for an unknown name: the schedule's names most like it


def _folded(name: str) -> str:
    """A category name with the differences people make when they write one removed: case, `&` for `and`,
    commas (the Oxford comma of "Backpacks, Handbags, and Luggage") and runs of spaces."""
    return " ".join(name.casefold().replace("&", " and ").replace("＆", " and ").replace(",", " ").split())


@cache
def _category_names(marketplace: str | None) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(folded name -> schedule name, folded other name -> schedule name, folded not-covered name -> its name) over
    the referral schedules of `marketplace`, or of every marketplace (None: a products.csv does not say which
    marketplace it is for). Other names are former names and the names of the same category in other stores'
    schedules or languages (the names files' `[former]` and `[other_names]`)."""
    current, other, uncovered = {}, {}, {}
    for card in rc._cards():
        if marketplace is not None and card.marketplace != marketplace:
            continue
        if card.kind == "referral":
            current.update({_folded(name): name for name in _rules(card.id, card.marketplace)})
        elif card.kind == "referral_category_names":
            for table in ("former", "other_names"):
                other.update({_folded(old): new for old, new in card.data.get(table, {}).items()})
            uncovered.update({_folded(name): name for name in card.data.get("not_covered", ())})
    return current, other, uncovered


@lru_cache(maxsize=4096)
def referral_category(name: str, *, marketplace: str | None = "US") -> CategoryName:
    """The referral fee category a seller's category name stands for in `marketplace`'s schedules (None: in any
    marketplace's, the name as the schedule of one of them writes it): matched without regard to case, `&`/`and`,
    commas and spacing, or by another name of the same category (`data/ratecards/*_referral_category_names.toml`)."""
    current, other, uncovered = _category_names(marketplace.upper() if marketplace else None)
    folded = _folded(name)
    if folded in current:
        return CategoryName(current[folded], True)
    if folded in other:
        return CategoryName(other[folded], True)
    if folded in uncovered:
        return CategoryName(uncovered[folded], True)
    # A name cut short ("Toys", "Luggage") is closest to the names holding it; else the names spelled most alike.
    close = [c for c in sorted(current) if folded and f" {folded} " in f" {c} "]
    close = close or difflib.get_close_matches(folded, sorted(current), n=3, cutoff=0.6)
    return CategoryName(None, False, tuple(current[c] for c in dict.fromkeys(close))[:3])


def written_category(name: str) -> CategoryName:
    """A products.csv category (the file does not say its store), as the loader keeps it: a name some store's
    schedule holds, in that schedule's spelling (the US one first); a former or other name of a US category as
    today's US name, as before other stores came; a name only another store knows, as written, for that store's
    lookup (`referral_category(..., marketplace=...)`) to resolve. Unknown names name the closest of every store."""
    folded, us = _folded(name), referral_category(name, marketplace="US")
    if folded in _category_names("US")[0] or (us.known and folded not in _category_names(None)[0]):
        return us
    if folded in _category_names(None)[0]:
        return CategoryName(_category_names(None)[0][folded], True)
    anywhere = referral_category(name, marketplace=None)
    return CategoryName(name.strip(), True) if anywhere.known else anywhere


def category_for_product_group(product_group: str, *, marketplace: str = "US") -> str | None:
    """Fee Preview `product-group` -> referral category. Always an inference: findings on it are `review`."""
    wanted = product_group.strip().lower()
    return next((category or None for key, category in rc._mapping("product_groups", marketplace).items()
                 if key.lower() == wanted), None)
