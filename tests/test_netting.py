"""Netting: oldest claim first, each reimbursed unit once, reversals, report-vs-settlement de-duplication."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from fba_audit.netting import allocate, allocate_fee_corrections, reimbursement_events, sku_fnsku_map
from fba_audit.reports.datasets import dataset_schema

D = dt.date


def dataset(name: str, rows: list[dict]) -> pl.DataFrame:
    schema = dataset_schema(name)
    full = [{c: r.get(c) for c in schema} for r in rows]
    return pl.DataFrame(full, schema=schema)


def reimb(line: int, rid: str, date: dt.date, reason: str, units: int, *, fnsku: str = "X001", sku: str = "SKU-1",
          order: str | None = None, amount: str = "10.00", orig: str | None = None, orig_type: str | None = None,
          cash: int | None = None, inventory: int | None = None, currency: str = "USD",
          file: str = "reimbursements.txt") -> dict:
    return {
        "source_file": file, "source_line": line, "approval_date": date, "reimbursement_id": rid, "reason": reason,
        "amazon_order_id": order, "sku": sku, "fnsku": fnsku, "currency": currency,
        "amount_per_unit": Decimal(amount), "amount_total": Decimal(amount) * units if units else Decimal(amount),
        "quantity_reimbursed_cash": units if cash is None else cash, "quantity_reimbursed_inventory": inventory or 0,
        "quantity_reimbursed_total": units, "original_reimbursement_id": orig, "original_reimbursement_type": orig_type,
    }


def settle(line: int, date: dt.date, code: str, qty: int | None, amount: str, *, sku: str = "SKU-1",
           order: str | None = None, v1: bool = True, currency: str = "USD") -> dict:
    base = {"source_file": "settlement.txt", "source_line": line, "settlement_id": "S1", "posted_date": date,
            "sku": sku, "order_id": order, "quantity_purchased": qty, "amount": Decimal(amount), "currency": currency}
    if v1:  # V1 keeps the code in transaction-type; the loader also copies it to amount-description
        return base | {"transaction_type": code, "amount_type": "FBA Inventory Reimbursement",
                       "amount_description": code, "source_format": "settlement_v1"}
    return base | {"transaction_type": "other-transaction", "amount_type": "FBA Inventory Reimbursement",
                   "amount_description": code, "source_format": "settlement_v2"}


def claims(*rows: tuple[str, str, dt.date, int]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"claim_id": c, "fnsku": f, "event_date": d, "quantity": q} for c, f, d, q in rows],
        schema={"claim_id": pl.String, "fnsku": pl.String, "event_date": pl.Date, "quantity": pl.Int64},
    )


def net(cl: pl.DataFrame, events: pl.DataFrame, **kw) -> dict[str, tuple[int, int, list[str]]]:
    out = allocate(cl, events, keys=["fnsku"], **kw)
    return {r["claim_id"]: (r["units_reimbursed"], r["units_open"], r["reimbursed_by"]) for r in out.iter_rows(named=True)}


def test_oldest_claim_is_covered_first_and_a_unit_is_consumed_once() -> None:
    ev = reimbursement_events(dataset("reimbursements", [reimb(2, "R1", D(2025, 3, 1), "Lost_Warehouse", 1)]))
    cl = claims(("b", "X001", D(2025, 2, 1), 1), ("a", "X001", D(2025, 1, 1), 1))
    assert net(cl, ev) == {"a": (1, 0, ["R1"]), "b": (0, 1, [])}


def test_partial_coverage_across_reimbursements() -> None:
    rows = [reimb(2, "R1", D(2025, 3, 1), "Lost_Warehouse", 2), reimb(3, "R2", D(2025, 3, 9), "Damaged_Warehouse", 1)]
    ev = reimbursement_events(dataset("reimbursements", rows))
    out = allocate(claims(("a", "X001", D(2025, 1, 1), 5)), ev, keys=["fnsku"])
    assert out.row(0, named=True) == {
        "claim_id": "a", "fnsku": "X001", "event_date": D(2025, 1, 1), "quantity": 5,
        "units_reimbursed": 3, "units_open": 2, "reimbursed_by": ["R1", "R2"],
        "reimbursement_evidence": ["reimbursements.txt:2", "reimbursements.txt:3"],
    }


def test_reimbursement_before_the_event_does_not_cover_it_unless_allowed() -> None:
    ev = reimbursement_events(dataset("reimbursements", [reimb(2, "R1", D(2025, 1, 1), "Lost_Warehouse", 1)]))
    cl = claims(("a", "X001", D(2025, 2, 1), 1))
    assert net(cl, ev) == {"a": (0, 1, [])}
    assert net(cl, ev, only_on_or_after_event=False) == {"a": (1, 0, ["R1"])}


def test_each_claim_takes_the_earliest_reimbursement_it_may_use() -> None:
    rows = [reimb(2, "R-feb", D(2025, 2, 1), "Lost_Warehouse", 1), reimb(3, "R-apr", D(2025, 4, 1), "Lost_Warehouse", 1)]
    ev = reimbursement_events(dataset("reimbursements", rows))
    cl = claims(("jan", "X001", D(2025, 1, 1), 1), ("mar", "X001", D(2025, 3, 1), 1))
    assert net(cl, ev) == {"jan": (1, 0, ["R-feb"]), "mar": (1, 0, ["R-apr"])}


def test_reversal_with_negative_total_gives_the_unit_back() -> None:
    rows = [
        reimb(2, "R1", D(2025, 2, 1), "Lost_Warehouse", 1),
        reimb(3, "R9", D(2025, 4, 1), "Reimbursement_Reversal", -1, amount="-10.00", orig="R1",
              orig_type="Lost_Warehouse", fnsku=None, sku=None),
    ]
    ev = reimbursement_events(dataset("reimbursements", rows), reasons={"Lost_Warehouse"})
    assert ev["fnsku"].to_list() == ["X001", "X001"], "the reversal borrows its keys from the original"
    assert net(claims(("a", "X001", D(2025, 1, 1), 1)), ev) == {"a": (0, 1, [])}


def test_amazons_reversal_example_cash_back_unit_returned_keeps_the_unit_settled() -> None:
    # docs/report-formats.md, "Reimbursements": Reimbursement_Reversal -6.38 -6.38 -1 1 0 <orig> Lost_Warehouse
    rows = [
        reimb(2, "12345678800", D(2026, 4, 1), "Lost_Warehouse", 1, amount="6.38"),
        reimb(3, "12345678902", D(2026, 4, 29), "Reimbursement_Reversal", 0, amount="-6.38", cash=-1, inventory=1,
              orig="12345678800", orig_type="Lost_Warehouse"),
    ]
    ev = reimbursement_events(dataset("reimbursements", rows), reasons={"Lost_Warehouse"})
    assert net(claims(("a", "X001", D(2026, 3, 1), 1)), ev) == {"a": (1, 0, ["12345678800"])}


def test_reversal_counts_against_its_original_type_only() -> None:
    rows = [
        reimb(2, "R1", D(2025, 2, 1), "CustomerReturn", 1),
        reimb(3, "R9", D(2025, 4, 1), "Reimbursement_Reversal", -1, orig="R1", orig_type="CustomerReturn"),
    ]
    ev = reimbursement_events(dataset("reimbursements", rows), reasons={"Lost_Warehouse", "Damaged_Warehouse"})
    assert ev.is_empty()


def test_report_and_settlement_copy_of_one_reimbursement_count_once() -> None:
    report = dataset("reimbursements", [reimb(2, "R1", D(2025, 3, 1), "Damaged_Warehouse", 1, amount="15.25")])
    tx = dataset("transactions", [settle(7, D(2025, 3, 6), "WAREHOUSE_DAMAGE", 1, "15.25")])
    ev = reimbursement_events(report, tx, reasons={"Damaged_Warehouse"})
    assert ev["event_ref"].to_list() == ["R1"]
    assert net(claims(("a", "X001", D(2025, 2, 1), 2)), ev) == {"a": (1, 1, ["R1"])}


def test_settlement_line_inside_the_report_span_is_dropped_even_without_a_pair() -> None:
    report = dataset("reimbursements", [reimb(2, "R1", D(2025, 1, 1), "CustomerReturn", 1, sku="OTHER"),
                                        reimb(3, "R2", D(2025, 6, 30), "CustomerReturn", 1, sku="OTHER")])
    tx = dataset("transactions", [settle(7, D(2025, 3, 6), "WAREHOUSE_DAMAGE", 1, "15.25")])
    assert reimbursement_events(report, tx, reasons={"Damaged_Warehouse"}).is_empty()


def test_settlement_lines_the_report_does_not_cover_are_used() -> None:
    report = dataset("reimbursements", [reimb(2, "R1", D(2025, 3, 1), "Damaged_Warehouse", 1, amount="15.25")])
    tx = dataset("transactions", [
        # Posted after the report's last date, same SKU, but a second reimbursement (the report row is taken).
        settle(7, D(2025, 3, 4), "WAREHOUSE_DAMAGE", 1, "15.25"),
        settle(8, D(2025, 3, 5), "WAREHOUSE_DAMAGE", 1, "15.25"),
        # Long before the report's span: the report was not downloaded for that period.
        settle(9, D(2024, 11, 2), "WAREHOUSE_LOST", 2, "30.50", v1=False),
    ])
    ev = reimbursement_events(report, tx, reasons={"Damaged_Warehouse", "Lost_Warehouse"})
    assert ev.select("event_ref", "reason", "fnsku", "units").rows() == [
        ("settlement S1 line 9", "Lost_Warehouse", "X001", 2),
        ("R1", "Damaged_Warehouse", "X001", 1),
        ("settlement S1 line 8", "Damaged_Warehouse", "X001", 1),
    ]


def test_settlement_only_refund_without_return_reimbursement_by_order() -> None:
    # The genuine V1 shape (docs/report-formats.md, "Reimbursements in settlement and transaction files"): REVERSAL_REIMBURSEMENT, order id, sku, qty 1, positive amount.
    tx = dataset("transactions", [
        settle(4, D(2025, 9, 17), "REVERSAL_REIMBURSEMENT", 1, "43.29", sku="SALTT30-MELN", order="702-1278184-4976266"),
        settle(5, D(2025, 9, 20), "MISSING_FROM_INBOUND_CLAWBACK", 1, "-8.00", sku="SALTT30-MELN", v1=False),
    ])
    ev = reimbursement_events(None, tx)
    assert ev.select("reason", "code", "order_id", "units").rows() == [
        ("CustomerReturn", "REVERSAL_REIMBURSEMENT", "702-1278184-4976266", 1),
        ("Lost_Inbound", "MISSING_FROM_INBOUND_CLAWBACK", None, -1),
    ]
    cl = pl.DataFrame({"claim_id": ["o1"], "order_id": ["702-1278184-4976266"], "event_date": [D(2025, 8, 14)],
                       "quantity": [1]})
    out = allocate(cl, ev.filter(pl.col("reason") == "CustomerReturn"), keys=["order_id"])
    assert out.select("units_reimbursed", "units_open", "reimbursement_evidence").row(0) == (1, 0, ["settlement.txt:4"])


def test_settlement_line_without_quantity_counts_as_one_unit() -> None:
    ev = reimbursement_events(None, dataset("transactions", [settle(4, D(2025, 9, 17), "WAREHOUSE_LOST", None, "9.00")]))
    assert ev.select("units", "units_assumed").row(0) == (1, True)


def test_v1_code_in_transaction_type_alone_is_recognised() -> None:
    line = settle(4, D(2025, 9, 17), "WAREHOUSE_DAMAGE", 2, "9.00") | {"amount_type": None, "amount_description": None}
    order = settle(5, D(2025, 9, 17), "Order", 1, "9.00") | {"amount_type": "ItemPrice", "amount_description": "Principal"}
    ev = reimbursement_events(None, dataset("transactions", [line, order]))
    assert ev.select("code", "reason", "units").rows() == [("WAREHOUSE_DAMAGE", "Damaged_Warehouse", 2)]


def test_other_currencies_and_null_keys_never_net() -> None:
    rows = [reimb(2, "R-cad", D(2025, 3, 1), "Lost_Warehouse", 1, currency="CAD"),
            reimb(3, "R-nokey", D(2025, 3, 1), "Lost_Warehouse", 1, fnsku=None, sku=None)]
    ev = reimbursement_events(dataset("reimbursements", rows), currency="USD")
    assert ev["event_ref"].to_list() == ["R-nokey"]
    cl = claims(("a", "X001", D(2025, 1, 1), 1), ("b", None, D(2025, 1, 1), 1))
    assert net(cl, ev) == {"a": (0, 1, []), "b": (0, 1, [])}


def test_sku_map_leaves_out_ambiguous_skus() -> None:
    a = pl.DataFrame({"sku": ["S1", "S2", "S2"], "fnsku": ["F1", "F2", "F3"]})
    b = pl.DataFrame({"sku": ["S1", None], "fnsku": ["F1", "F9"]})
    assert sku_fnsku_map(a, b, None).rows() == [("S1", "F1")]
    # Asked for some SKUs only: the same pairs for those, an ambiguous one still left out.
    c = pl.DataFrame({"sku": ["S3"], "fnsku": ["F4"]})
    assert sku_fnsku_map(a, b, c, only=pl.Series(["S3", "S2", None])).rows() == [("S3", "F4")]
    assert sku_fnsku_map(a, c, only=pl.Series(["S1"])).rows() == [("S1", "F1")]


def test_claim_ids_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        allocate(claims(("a", "X001", D(2025, 1, 1), 1), ("a", "X001", D(2025, 1, 2), 1)),
                 reimbursement_events(None), keys=["fnsku"])


def _reference_allocation(claims: list[dict], events: list[dict], only_on_or_after_event: bool) -> dict:
    """The allocation rule spelled out for one key: claims oldest first, each from the earliest usable units."""
    pools = sorted(([e["date"], e["event_ref"], e["units"]] for e in events), key=lambda p: (p[0], p[1]))
    out = {}
    for claim in sorted(claims, key=lambda c: (c["event_date"], c["claim_id"])):
        want, got, refs = max(claim["quantity"], 0), 0, []
        for pool in pools:
            if want == 0:
                break
            if pool[2] == 0 or (only_on_or_after_event and pool[0] < claim["event_date"]):
                continue
            take = min(want, pool[2])
            pool[2] -= take
            want -= take
            got += take
            refs.append(pool[1])
        out[claim["claim_id"]] = (got, refs)
    return out


@pytest.mark.parametrize("only_on_or_after_event", [True, False])
@pytest.mark.parametrize("seed", range(8))
def test_allocation_matches_the_rule_on_random_accounts(seed: int, only_on_or_after_event: bool) -> None:
    import random

    rng = random.Random(seed)
    day = dt.date(2026, 1, 1)
    claims, events = [], []
    for key in range(40):
        fnsku = f"X{key:03d}"
        for n in range(rng.randint(1, 4)):
            claims.append({"fnsku": fnsku, "claim_id": f"{fnsku}:{n}", "quantity": rng.randint(0, 4),
                           "event_date": day + dt.timedelta(days=rng.randint(0, 30))})
        for n in range(rng.randint(0, 4)):
            events.append({"fnsku": fnsku, "event_ref": f"R{key:03d}{n}", "units": rng.randint(1, 5),
                           "date": day + dt.timedelta(days=rng.randint(0, 40)), "evidence": f"r.txt:{key * 10 + n}",
                           "original_reimbursement_id": None})
    got = allocate(pl.DataFrame(claims), pl.DataFrame(events, schema_overrides={"original_reimbursement_id": pl.String}),
                   keys=["fnsku"], only_on_or_after_event=only_on_or_after_event)
    expected = {}
    for fnsku in {c["fnsku"] for c in claims}:
        expected |= _reference_allocation([c for c in claims if c["fnsku"] == fnsku],
                                          [e for e in events if e["fnsku"] == fnsku], only_on_or_after_event)
    assert {r["claim_id"]: (r["units_reimbursed"], r["reimbursed_by"]) for r in got.iter_rows(named=True)} == expected


@pytest.mark.parametrize("only_on_or_after_event", [True, False])
@pytest.mark.parametrize("seed", range(12))
def test_vectorised_allocation_matches_the_loop(seed: int, only_on_or_after_event: bool) -> None:
    """Keys without reversals take the vectorised path, keys with one the loop: both must give what the loop alone
    gives (many claims and reimbursements per key, same-day ties, null quantities, two-column keys)."""
    import random

    from fba_audit import netting

    rng = random.Random(1000 + seed)
    day = dt.date(2026, 1, 1)
    claims, events = [], []
    for key in range(30):
        order, fnsku = f"O{key % 7}", f"X{key:03d}"
        for n in range(rng.randint(1, 8)):
            claims.append({"order_id": order, "fnsku": fnsku, "claim_id": f"{fnsku}:{n}",
                           "quantity": rng.choice([None, 0, 1, 1, 2, 3, 7]),
                           "event_date": day + dt.timedelta(days=rng.randint(0, 12))})
        for n in range(rng.randint(0, 8)):
            units = rng.choice([1, 1, 2, 5]) if key % 5 else rng.choice([-1, 1, 2])
            events.append({"order_id": order, "fnsku": fnsku, "event_ref": f"R{rng.randint(0, 9)}", "units": units,
                           "date": day + dt.timedelta(days=rng.randint(0, 14)),
                           "evidence": f"r.txt:{rng.randint(1, 99)}", "original_reimbursement_id": None})
    cl = pl.DataFrame(claims, schema={"order_id": pl.String, "fnsku": pl.String, "claim_id": pl.String,
                                      "quantity": pl.Int64, "event_date": pl.Date})
    ev = pl.DataFrame(events, schema={"order_id": pl.String, "fnsku": pl.String, "event_ref": pl.String,
                                      "units": pl.Int64, "date": pl.Date, "evidence": pl.String,
                                      "original_reimbursement_id": pl.String})
    for keys in (["fnsku"], ["order_id", "fnsku"], ["order_id"]):
        got = allocate(cl, ev, keys=keys, only_on_or_after_event=only_on_or_after_event)
        original = netting._simple_keys
        netting._simple_keys = lambda cl, ev, keys, *_: ev.select(keys).clear()  # noqa: E731 - every key loops
        try:
            looped = allocate(cl, ev, keys=keys, only_on_or_after_event=only_on_or_after_event)
        finally:
            netting._simple_keys = original
        assert got.equals(looped)


@pytest.mark.parametrize("seed", range(8))
def test_running_totals_within_keys_match_windows(seed: int) -> None:
    """`cum_sum_within` and `cum_max_within` (plain running totals restarting at each key of a sorted frame) give
    what a window per key gives: null keys, one-row keys, negative values, and values too wide to lift (the
    window fallback)."""
    import random

    from fba_audit.sorted_runs import cum_max_within, cum_sum_within, key_starts

    rng = random.Random(seed)
    wide = seed % 4 == 3
    n = rng.randint(1, 200)
    frame = pl.DataFrame({
        "a": [rng.choice([None, "x", "y", "z"]) for _ in range(n)],
        "b": [rng.choice([None, 1, 2]) for _ in range(n)],
        "v": [rng.randint(-2**61, 2**61) if wide else rng.randint(-50, 50) for _ in range(n)],
        "o": list(range(n)),
    }, schema={"a": pl.String, "b": pl.Int64, "v": pl.Int64, "o": pl.Int64}).sort("a", "b", "o")
    keys = ["a", "b"]
    marked = frame.with_columns(_start=key_starts(keys))
    if not wide:
        assert marked.select(cum_sum_within("v", "_start")).to_series().to_list() == frame.select(
            pl.col("v").cum_sum().over(keys)).to_series().to_list()
    assert cum_max_within(marked, "v", "_start").to_list() == frame.select(
        pl.col("v").cum_max().over(keys)).to_series().to_list()


def _reference_settlement_duplicates(settlement: pl.DataFrame, spans: list[tuple], report: pl.DataFrame,
                                     lag_days: int) -> pl.DataFrame:
    """The pairing rule of `_drop_settlement_duplicates` as a plain loop over every line and report row."""
    settlement = settlement.sort("date", "event_ref")
    candidates = report.sort("date", "event_ref", "evidence").rows(named=True)
    used, keep = set(), []
    for line in settlement.iter_rows(named=True):
        posted = line["date"]
        itemized = line["sku"] is not None or line["order_id"] is not None  # a report row always has a SKU
        if itemized and posted is not None and any(first <= posted <= last for first, last in spans):
            keep.append(False)
            continue
        match = None
        for n, row in enumerate(candidates):
            if n in used or row["sku"] != line["sku"] or row["order_id"] != line["order_id"]:
                continue
            if (row["amount"] or 0) * (line["amount"] or 0) <= 0 or posted is None:
                continue
            if row["date"] - dt.timedelta(days=1) <= posted <= row["date"] + dt.timedelta(days=lag_days):
                match = n
                break
        if match is not None:
            used.add(match)
        keep.append(match is None)
    return settlement.filter(pl.Series(keep, dtype=pl.Boolean))


@pytest.mark.parametrize("seed", range(10))
def test_settlement_duplicates_match_the_plain_loop(seed: int) -> None:
    """Only the settlement lines outside the report's spans are paired, each against the report rows of its own
    order and SKU: the same lines are kept as when every line is walked against every row (null SKUs, several
    copies of one reimbursement, opposite signs, dates outside the lag)."""
    import random

    from fba_audit.netting import EVENT_SCHEMA, _drop_settlement_duplicates

    rng = random.Random(seed)
    day = dt.date(2026, 1, 1)

    def event(n: int, kind: str) -> dict:
        return {"event_ref": f"{kind}{n}", "date": day + dt.timedelta(days=rng.randint(0, 60)),
                "order_id": rng.choice([None, "O1", "O2"]), "sku": rng.choice([None, "S1", "S2"]),
                "amount": Decimal(rng.choice([-5, 3, 7, 0])), "evidence": f"{kind}.txt:{n}", "units": 1}

    settlement = pl.DataFrame([event(n, "s") for n in range(rng.randint(1, 40))], schema=EVENT_SCHEMA)
    report = pl.DataFrame([event(n, "r") for n in range(rng.randint(0, 40))], schema=EVENT_SCHEMA)
    first = day + dt.timedelta(days=rng.randint(0, 40))
    last = first + dt.timedelta(days=rng.randint(0, 15))
    reimbursements = pl.DataFrame({"source_file": ["a.txt", "a.txt"], "approval_date": [first, last]})
    got = _drop_settlement_duplicates(settlement, reimbursements, report, 30)
    assert got.equals(_reference_settlement_duplicates(settlement, [(first, last)], report, 30))


# Fee corrections (FBA01, FBA10): each pays once, for what it names, fulfillment fee overcharges first.
def _charge(fee: str, order: str, sku: str, day: int, overcharge: str) -> dict:
    return {"fee": fee, "order_id": order, "sku": sku, "posted_date": dt.date(2026, 3, day),
            "overcharge": Decimal(overcharge)}


def _corrections(*rows: tuple) -> pl.DataFrame:
    """(ref, order_id, sku, day in April, amount) rows as `_fees.fee_corrections` gives them."""
    return pl.DataFrame(
        [(sku, order, dt.date(2026, 4, day), Decimal(amount), f"r.txt:{n + 2}", ref)
         for n, (ref, order, sku, day, amount) in enumerate(rows)],
        schema={"sku": pl.String, "order_id": pl.String, "date": pl.Date, "amount": pl.Decimal(18, 2),
                "evidence": pl.String, "event_ref": pl.String}, orient="row")


def _shares(charges: list[dict], corrections: pl.DataFrame) -> list[list[tuple]]:
    return [[(s.correction["event_ref"], s.amount, s.attributed) for s in got]
            for got in allocate_fee_corrections(charges, corrections)]


def test_fee_correction_naming_an_order_pays_its_fulfillment_fee_first_then_referral() -> None:
    charges = [_charge("referral", "A", "S", 1, "1.40"), _charge("fulfillment", "A", "S", 2, "1.06"),
               _charge("fulfillment", "B", "S", 3, "1.06")]
    # 2.00 for order A: the fulfillment overcharge (1.06) first although the referral charge is older, 0.94 left for
    # the referral one; order B is not named, so not paid.
    assert _shares(charges, _corrections(("r1", "A", "S", 1, "2.00"))) == [
        [("r1", Decimal("0.94"), True)], [("r1", Decimal("1.06"), True)], []]


def test_fee_correction_naming_a_sku_pays_oldest_charges_on_or_before_its_date_once() -> None:
    charges = [_charge("fulfillment", "A", "S", 2, "1.06"), _charge("fulfillment", "B", "S", 20, "2.12"),
               _charge("fulfillment", "C", "T", 1, "1.06")]
    corrections = _corrections(("r1", None, "S", 2, "1.50"), ("r2", None, "S", 3, "1.00"))
    # r1 (1.50): A in full, 0.44 of B; r2 (1.00): 1.00 more of B; nothing for SKU T.
    assert _shares(charges, corrections) == [
        [("r1", Decimal("1.06"), True)], [("r1", Decimal("0.44"), True), ("r2", Decimal("1.00"), True)], []]
    # A correction dated before a charge cannot have paid it: only the April correction's older charges count.
    later = [_charge("fulfillment", "A", "S", 2, "1.06") | {"posted_date": dt.date(2026, 4, 10)}]
    assert _shares(later, _corrections(("r1", None, "S", 2, "1.50"))) == [[]]


def test_unattributed_fee_correction_marks_only_what_it_could_pay_and_a_reversal_pays_nothing() -> None:
    charges = [_charge("fulfillment", "A", "S", 2, "1.06"), _charge("referral", "B", "T", 1, "1.40"),
               _charge("fulfillment", "C", "U", 5, "1.06")]
    corrections = _corrections(("r1", "A", None, 1, "0.50"), ("r2", None, None, 2, "1.20"),
                               ("r3", None, "U", 1, "-1.06"))
    # r1 pays 0.50 of A (its order); r2 names nothing: it could pay the 0.56 left of A, then 0.64 of C (fulfillment
    # fees first), never subtracted; B is left alone; the reversal r3 pays nothing.
    assert _shares(charges, corrections) == [
        [("r1", Decimal("0.50"), True), ("r2", Decimal("0.56"), False)], [], [("r2", Decimal("0.64"), False)]]
