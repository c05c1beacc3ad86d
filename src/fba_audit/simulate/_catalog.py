"""The simulated seller's catalog, and the fees Amazon charges on it (from the simulator's own copy of Amazon's
tables, `_fees`, so that the fee truth does not come from the rate cards it grades).

Money is integer cents everywhere in the simulation (exact, vectorised, summable); it becomes text with two
decimals only when a file is written, and Decimal in truth.json.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from fba_audit.simulate import _fees
from fba_audit.simulate._rng import Rng


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    category: str  # referral fee category (us_referral_fees.toml)
    product_group: str  # Fee Preview product-group; maps to `category` in us_product_groups.toml
    dims: tuple[float, float, float]  # inches, longest first
    weight: float  # pounds
    prices: tuple[str, ...]
    cost_ratio: float  # unit cost / price
    return_rate: float  # share of order lines returned


TEMPLATES: tuple[Template, ...] = (
    Template("torch", "Crème Brûlée Kitchen Torch, Refillable", "Home and Kitchen", "Kitchen",
             (7.1, 4.3, 2.6), 0.62, ("24.99", "29.99"), 0.30, 0.05),
    Template("spoons", "Stainless Steel Measuring Spoons, Set of 6", "Home and Kitchen", "Kitchen",
             (9.0, 3.5, 1.2), 0.45, ("12.99", "14.99"), 0.28, 0.03),
    Template("board", "Bamboo Cutting Board, Large", "Home and Kitchen", "Kitchen",
             (15.0, 10.5, 0.9), 2.1, ("24.99", "32.99"), 0.30, 0.03),
    Template("pillows", "Linen Throw Pillow Covers 18 x 18 in, 2-Pack", "Home and Kitchen", "Home",
             (12.0, 10.0, 1.5), 0.55, ("16.99", "19.99"), 0.25, 0.07),
    Template("ties", "Reusable Silicone Cable Ties, 20-Pack", "Home and Kitchen", "Home",
             (6.5, 4.0, 0.5), 0.18, ("8.99", "9.99"), 0.22, 0.03),
    Template("lamp", "LED Desk Lamp with USB Charging Port", "Home and Kitchen", "Home",
             (17.5, 6.0, 4.0), 2.6, ("34.99", "39.99"), 0.33, 0.06),
    Template("blocks", "Building Blocks Set, 120 Pieces", "Toys and Games", "Toy",
             (12.0, 9.0, 3.0), 2.3, ("29.99", "34.99"), 0.30, 0.05),
    Template("pins", "Enamel Pin Set, 5 Pieces", "Toys and Games", "Toy",
             (6.0, 4.0, 0.5), 0.12, ("11.99", "13.99"), 0.20, 0.03),
    Template("bands", "Resistance Bands Set with Handles", "Sports and Outdoors", "Sports",
             (9.0, 7.0, 2.5), 1.4, ("19.99", "24.99"), 0.27, 0.08),
    Template("bottle", "Insulated Water Bottle, 32 oz", "Sports and Outdoors", "Sports",
             (11.0, 4.0, 4.0), 1.1, ("24.99", "27.99"), 0.30, 0.05),
    Template("serum", "Vitamin C Face Serum, 1 fl oz", "Beauty, Health and Personal Care", "Beauty",
             (5.0, 2.0, 2.0), 0.25, ("18.99", "22.99"), 0.18, 0.05),
    Template("clips", "Claw Hair Clips, 12-Pack", "Beauty, Health and Personal Care", "Beauty",
             (7.0, 5.0, 0.7), 0.3, ("10.99", "12.99"), 0.20, 0.04),
    Template("wallet", "RFID Blocking Travel Wallet", "Backpacks, Handbags, and Luggage", "Luggage",
             (7.72, 6.54, 1.22), 0.18, ("25.00", "29.99"), 0.25, 0.10),
    Template("mouse", "Wireless Mouse, 2.4 GHz, Silent Click", "Computers", "Personal Computer",
             (5.0, 3.5, 2.0), 0.3, ("15.99", "19.99"), 0.30, 0.09),
    Template("sleeve", "Laptop Sleeve for 15.6 inch Notebooks", "Computers", "Personal Computer",
             (16.5, 12.0, 1.0), 0.7, ("21.99", "26.99"), 0.25, 0.12),
    Template("earrings", "Sterling Silver Hoop Earrings", "Jewelry", "Jewelry",
             (4.0, 3.0, 1.0), 0.1, ("39.99", "59.99"), 0.15, 0.14),
)
SMALL_STANDARD = tuple(i for i, t in enumerate(TEMPLATES) if t.key in ("ties", "pins", "clips"))
# The first SKUs get these templates, so that even a 12-SKU account has every story's ingredients.
FORCED = (0, 7, 11, 4, 13, 8, 3, 14, 9, 1, 6, 10, 12, 2, 5, 15)
BRANDS = ("Northlake", "Brightfold", "Haverly", "Oakmere", "Kestrel Home", "Aldergrove")
VARIANTS = ("Black", "White", "Navy", "Sage Green", "Terracotta", "Grey", "Sand", "Blue")
FULFILLMENT_CENTERS = ("PHX7", "LAS2", "ONT8", "SBD1", "MDW2", "IND9", "CLT2", "ABE8", "BFI4", "DFW6", "TPA1",
                       "LGB3", "RDU1", "SMF3", "MQJ1")
ALPHANUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def cents(value: Decimal | str) -> int:
    return int((Decimal(value) * 100).to_integral_value(ROUND_HALF_UP))


def money(c: int) -> str:
    return str((Decimal(c) / 100).quantize(Decimal("0.01")))


def code(number: pl.Expr, width: int, alphabet: str = ALPHANUM) -> pl.Expr:
    """`number` written in base len(alphabet) with `width` digits (most significant first)."""
    base = len(alphabet)
    table = {i: ch for i, ch in enumerate(alphabet)}
    digits = [((number // base**k) % base).replace_strict(table, return_dtype=pl.String)
              for k in reversed(range(width))]
    return pl.concat_str(digits)


def scrambled(index: pl.Expr, modulus: int, multiplier: int, offset: int) -> pl.Expr:
    """A bijection of [0, modulus): unique ids that do not look sequential."""
    return (index * multiplier + offset) % modulus


def catalog(rng: Rng, skus: int) -> pl.DataFrame:
    """One row per SKU: identifiers, template, true package, price, cost, demand."""
    n_templates = len(TEMPLATES)
    frame = pl.DataFrame({"sku_idx": pl.int_range(0, skus, eager=True)})
    frame = frame.with_columns(
        template=pl.when(pl.col("sku_idx") < len(FORCED))
        .then(pl.col("sku_idx").replace_strict(dict(enumerate(FORCED)), default=0, return_dtype=pl.Int64))
        .otherwise(rng.integer("template", 0, n_templates - 1, "sku_idx")),
    )
    t = pl.DataFrame({
        "template": list(range(n_templates)),
        "t_title": [x.title for x in TEMPLATES],
        "category": [x.category for x in TEMPLATES],
        "product_group": [x.product_group for x in TEMPLATES],
        "length": [x.dims[0] for x in TEMPLATES],
        "width": [x.dims[1] for x in TEMPLATES],
        "height": [x.dims[2] for x in TEMPLATES],
        "weight": [x.weight for x in TEMPLATES],
        "price_a": [cents(x.prices[0]) for x in TEMPLATES],
        "price_b": [cents(x.prices[-1]) for x in TEMPLATES],
        "cost_ratio": [x.cost_ratio for x in TEMPLATES],
        "return_rate": [x.return_rate for x in TEMPLATES],
        "t_key": [x.key for x in TEMPLATES],
    }).with_columns(pl.col("template").cast(pl.Int64))
    frame = frame.join(t, on="template", how="left").sort("sku_idx")
    fnsku_mod = 36**7
    asin_mod = 36**8
    frame = frame.with_columns(
        brand=rng.pick("brand", BRANDS, "sku_idx"),
        variant=rng.pick("variant", VARIANTS, "sku_idx"),
        price_cents=pl.when(rng.uniform("price", "sku_idx") < 0.5).then("price_a").otherwise("price_b"),
        fnsku=pl.lit("X00") + code(scrambled(pl.col("sku_idx"), fnsku_mod, 1_000_003, rng.offset("fnsku", fnsku_mod)), 7),
        asin=pl.lit("B0") + code(scrambled(pl.col("sku_idx"), asin_mod, 2_000_003, rng.offset("asin", asin_mod)), 8),
        fc=rng.pick("fc", FULFILLMENT_CENTERS, "sku_idx"),
        # Popularity: lognormal orders per day (mean about 0.2 over the year), long tail of slow sellers.
        base_rate=(0.2 * (1.1 * rng.normal("popularity", "sku_idx") - 0.605).exp()).clip(0.005, 6.0),
    )
    frame = frame.with_columns(
        sku=pl.format("{}-{}-{}", pl.col("brand").str.slice(0, 3).str.to_uppercase(), pl.col("t_key").str.to_uppercase(),
                      pl.col("sku_idx").cast(pl.String).str.zfill(5)),
        title=pl.format("{} {} - {}", "brand", "t_title", "variant"),
        unit_cost_cents=(pl.col("price_cents").cast(pl.Float64) * pl.col("cost_ratio")
                         * (0.9 + 0.2 * rng.uniform("cost", "sku_idx"))).round(0).cast(pl.Int64),
    )
    return frame.drop("price_a", "price_b", "cost_ratio", "t_key", "t_title", "variant")


# ------------------------------------------------------------------------------------------- fee tables

def _regime(on: dt.date) -> tuple:
    """What the fulfillment fee depends on, apart from the unit: table, peak period, surcharge in force."""
    card = _fees.card_on(on)
    if card is None:
        return ("none",)
    return (card.id, _fees.in_peak(card, on), _fees.surcharged(card, on))


def _fee(unit: tuple, on: dt.date) -> int | None:
    return _fee_and_base(unit, on)[0]


def _fee_and_base(unit: tuple, on: dt.date) -> tuple[int | None, int | None]:
    """(fee, the fee before surcharges) in cents, as Amazon's table (the simulator's copy) gives them for a unit and
    day."""
    return _fees.fulfillment_fee(unit, on) or (None, None)


def fee_table(units: pl.DataFrame, first: dt.date, last: dt.date) -> pl.DataFrame:
    """Per fee unit (`fee_key`: dims, weight, price) and day: the fee Amazon charges, its part before the fuel and
    logistics surcharge (`charged_base_cents`, what SKU Economics calls the base fee) and the fee the rate card
    gives (`expected_fee_cents`, null on days the card has no amounts, e.g. before the first table).

    The rate card is evaluated once per unit and fee regime (a handful per year), not per day.
    """
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    regimes: dict[tuple, dt.date] = {}
    day_regime = []
    for day in days:
        regime = _regime(day)
        regimes.setdefault(regime, day)
        day_regime.append(regime)
    keys = units.select("fee_key", "length", "width", "height", "weight", "price_cents").unique().sort("fee_key")
    rows = {"fee_key": [], "day": [], "charged_fee_cents": [], "charged_base_cents": [], "expected_fee_cents": []}
    for fee_key, length, width, height, weight, price in keys.iter_rows():
        unit = (length, width, height, weight, price)
        per_regime: dict[tuple, tuple[int, int, int | None]] = {}
        for regime, sample_day in regimes.items():
            expected, base = _fee_and_base(unit, sample_day)
            charged = expected
            if charged is None:
                # No table for the day (before the first one, after the last): charge the last known fee.
                probe = sample_day
                while charged is None and probe > dt.date(2024, 1, 1):
                    probe -= dt.timedelta(days=1)
                    charged = _fee(unit, probe) if _regime(probe)[0] != "none" else None
                if charged is None:
                    charged = _fee(unit, dt.date(2025, 6, 1)) or 0
                base = charged
            per_regime[regime] = (charged, base, expected)
        for day, regime in zip(days, day_regime):
            charged, base, expected = per_regime[regime]
            rows["fee_key"].append(fee_key)
            rows["day"].append(day)
            rows["charged_fee_cents"].append(charged)
            rows["charged_base_cents"].append(base)
            rows["expected_fee_cents"].append(expected)
    return pl.DataFrame(rows, schema={"fee_key": pl.Int64, "day": pl.Date, "charged_fee_cents": pl.Int64,
                                      "charged_base_cents": pl.Int64, "expected_fee_cents": pl.Int64})


def referral_cents(category: str, price_cents: int, on: dt.date) -> int:
    # NOTE: before the first schedule (2025-01-01) the account is charged that schedule's fee, which no claim rests on.
    return _fees.referral_cents(category, price_cents)


def size_tier_code(unit: tuple, on: dt.date) -> tuple[str, str]:
    """(Fee Preview product-size-tier code, tier name) for a package."""
    name = _fees.size_tier(*unit)[0]
    return {"small_standard": "UsSmallStandardSize", "large_standard": "UsLargeStandardSize"}[name], name
