"""What one lost or damaged unit is worth, and on what basis (docs/claim-rules.md, "Valuation").

For losses before a customer order (warehouse, inbound), in this order:

1. `cost_file`: the seller's own sourcing cost, `products.unit_cost` for the SKU, in the marketplace's currency.
   Amazon pays the manufacturing (sourcing) cost from 2025-03-31. A cost row in another currency, or without
   a currency, is not used (converting would be a guess).
2. `past_reimbursements`: the average `amount_per_unit` Amazon paid for that FNSKU in the Reimbursements report,
   weighted by the units of each row (`quantity_reimbursed_total`, at least 1), over non-reversal rows with a
   positive amount in the same currency. Rounded half-up to the cent.
3. `none`: no amount, and `valuation_note` says why. Never a flat default price.

Money is Decimal throughout: averages are divided in Python's `decimal`, never in float.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from fba_audit.netting import REVERSAL
from fba_audit.reports.datasets import ID

MONEY = pl.Decimal(18, 2)
CENT = Decimal("0.01")


def _cost_file(products: pl.DataFrame | None, currency: str) -> pl.DataFrame:
    schema = {"sku": ID, "_cost": MONEY}
    if products is None or products.is_empty():
        return pl.DataFrame(schema=schema)
    costs = products.filter(
        pl.col("unit_cost").is_not_null() & (pl.col("currency") == currency)
    ).select("sku", pl.col("unit_cost").cast(MONEY).alias("_cost"))
    # A SKU listed twice with different costs is ambiguous: use neither.
    return costs.unique().filter(pl.col("sku").is_unique()).sort("sku")


def _past_reimbursements(reimbursements: pl.DataFrame | None, currency: str) -> pl.DataFrame:
    schema = {"fnsku": ID, "_paid": MONEY, "_paid_rows": pl.UInt32}
    if reimbursements is None or reimbursements.is_empty():
        return pl.DataFrame(schema=schema)
    weight = pl.col("quantity_reimbursed_total").fill_null(1).clip(lower_bound=1)
    sums = (
        reimbursements.filter(
            (pl.col("reason") != REVERSAL)
            & (pl.col("currency") == currency)
            & pl.col("fnsku").is_not_null()
            & (pl.col("amount_per_unit") > 0)
        )
        .group_by("fnsku")
        .agg(
            (pl.col("amount_per_unit").cast(pl.Decimal(38, 2)) * weight).sum().alias("_num"),
            weight.sum().alias("_den"),
            pl.len().alias("_paid_rows"),
        )
        .sort("fnsku")
    )
    paid = [
        (Decimal(num) / Decimal(den)).quantize(CENT, rounding=ROUND_HALF_UP)
        for num, den in zip(sums["_num"].to_list(), sums["_den"].to_list(), strict=True)
    ]
    return sums.select("fnsku", pl.Series("_paid", paid, dtype=MONEY), "_paid_rows").cast(schema)


def add_valuation(
    frame: pl.DataFrame,
    *,
    products: pl.DataFrame | None,
    reimbursements: pl.DataFrame | None,
    currency: str,
    sku: str = "sku",
    fnsku: str = "fnsku",
    quantity: str = "quantity",
) -> pl.DataFrame:
    """Add `unit_value`, `amount` (= unit_value x quantity), `currency`, `valuation_basis` and `valuation_note`.

    `frame` needs the `sku`, `fnsku` and `quantity` columns (null values allowed). `products` and
    `reimbursements` are the validated datasets, or None when the seller did not provide them.
    """
    # Keys of the frame's dtype: ids are Categorical in an audit's datasets, text in a frame built by hand.
    costs = _cost_file(products, currency).with_columns(pl.col("sku").cast(frame.schema[sku]))
    paid = _past_reimbursements(reimbursements, currency).with_columns(pl.col("fnsku").cast(frame.schema[fnsku]))
    joined = (
        frame.with_row_index("_row")
        .join(costs, left_on=sku, right_on="sku", how="left", suffix="_cost")
        .join(paid, left_on=fnsku, right_on="fnsku", how="left", suffix="_paid")
        .sort("_row")
    )
    unit_value = pl.coalesce("_cost", "_paid")
    basis = (
        pl.when(pl.col("_cost").is_not_null()).then(pl.lit("cost_file"))
        .when(pl.col("_paid").is_not_null()).then(pl.lit("past_reimbursements"))
        .otherwise(pl.lit("none"))
    )
    note = (
        pl.when(pl.col("_cost").is_not_null())
        .then(pl.format("unit cost {} {} from products.csv", pl.col("_cost"), pl.lit(currency)))
        .when(pl.col("_paid").is_not_null())
        .then(pl.format(
            "average {} {} Amazon paid per unit for this FNSKU ({} reimbursement rows)",
            pl.col("_paid"), pl.lit(currency), pl.col("_paid_rows"),
        ))
        .otherwise(pl.lit(
            f"no unit cost in {currency} in products.csv and no past reimbursement in {currency} for this FNSKU"
        ))
    )
    out = joined.with_columns(
        unit_value=unit_value.cast(MONEY),
        amount=(unit_value.cast(pl.Decimal(38, 2)) * pl.col(quantity)).cast(MONEY),
        currency=pl.when(unit_value.is_not_null()).then(pl.lit(currency)).otherwise(pl.lit(None, dtype=pl.String)),
        valuation_basis=basis,
        valuation_note=note,
    )
    extra = [c for c in ("unit_value", "amount", "currency", "valuation_basis", "valuation_note") if c in frame.columns]
    return out.select(
        *[c for c in frame.columns if c not in extra],
        "unit_value", "amount", "currency", "valuation_basis", "valuation_note",
    )
