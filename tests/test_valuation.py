"""Valuation: cost file first, then the average Amazon paid for the FNSKU, else no amount and a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from fba_audit.reports.datasets import dataset_schema
from fba_audit.valuation import add_valuation


def dataset(name: str, rows: list[dict]) -> pl.DataFrame:
    schema = dataset_schema(name)
    return pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema)


def product(sku: str, cost: str | None, currency: str | None = "USD") -> dict:
    return {"source_file": "products.csv", "source_line": 2, "sku": sku,
            "unit_cost": None if cost is None else Decimal(cost), "currency": currency}


def paid(fnsku: str, per_unit: str, units: int, reason: str = "Lost_Warehouse", currency: str = "USD") -> dict:
    return {"source_file": "r.txt", "source_line": 2, "approval_date": dt.date(2025, 1, 1), "reimbursement_id": "1",
            "reason": reason, "fnsku": fnsku, "currency": currency, "amount_per_unit": Decimal(per_unit),
            "amount_total": Decimal(per_unit) * units, "quantity_reimbursed_total": units}


FINDINGS = pl.DataFrame(
    {"sku": ["A", "B", "C", "D"], "fnsku": ["FA", "FB", "FC", None], "quantity": [3, 2, 1, 4]},
    schema={"sku": pl.String, "fnsku": pl.String, "quantity": pl.Int64},
)


def test_each_basis_in_order_of_preference() -> None:
    products = dataset("products", [product("A", "4.10"), product("B", "7.00", currency="CAD"), product("D", None)])
    reimbursements = dataset("reimbursements", [
        paid("FA", "99.00", 1),  # ignored: A has a cost
        paid("FB", "10.00", 1), paid("FB", "13.00", 2),  # (10 + 26) / 3 = 12.00
        paid("FB", "-10.00", -1, reason="Reimbursement_Reversal"),  # reversals never value a unit
        paid("FB", "50.00", 1, currency="CAD"),  # other currency
    ])
    out = add_valuation(FINDINGS, products=products, reimbursements=reimbursements, currency="USD")
    assert out.columns == ["sku", "fnsku", "quantity", "unit_value", "amount", "currency", "valuation_basis",
                           "valuation_note"]
    assert out.schema["amount"] == pl.Decimal(18, 2)
    assert out.select("sku", "unit_value", "amount", "currency", "valuation_basis").rows() == [
        ("A", Decimal("4.10"), Decimal("12.30"), "USD", "cost_file"),
        ("B", Decimal("12.00"), Decimal("24.00"), "USD", "past_reimbursements"),
        ("C", None, None, None, "none"),
        ("D", None, None, None, "none"),
    ]
    assert out["valuation_note"].to_list() == [
        "unit cost 4.10 USD from products.csv",
        "average 12.00 USD Amazon paid per unit for this FNSKU (2 reimbursement rows)",
        "no unit cost in USD in products.csv and no past reimbursement in USD for this FNSKU",
        "no unit cost in USD in products.csv and no past reimbursement in USD for this FNSKU",
    ]


def test_average_is_exact_decimal_rounded_half_up() -> None:
    reimbursements = dataset("reimbursements", [paid("FA", "0.01", 1), paid("FA", "0.02", 1)])
    out = add_valuation(FINDINGS.head(1), products=None, reimbursements=reimbursements, currency="USD")
    assert out.select("unit_value", "amount").row(0) == (Decimal("0.02"), Decimal("0.06"))  # 0.015 -> 0.02


def test_without_inputs_nothing_is_valued() -> None:
    out = add_valuation(FINDINGS, products=None, reimbursements=None, currency="USD")
    assert out["valuation_basis"].to_list() == ["none"] * 4
    assert out["amount"].null_count() == 4


def test_ambiguous_cost_rows_are_not_used() -> None:
    products = dataset("products", [product("A", "4.10"), product("A", "5.00")])
    out = add_valuation(FINDINGS.head(1), products=products, reimbursements=None, currency="USD")
    assert out["valuation_basis"].to_list() == ["none"]
