"""One allocator across detectors (fba_audit.events.allocator): a reimbursement unit settles one claim of a run.

tests/fixtures/audits/<story>/ holds a folder several detectors judge together: case.toml (as_of, marketplace,
select, story), reports/ and expected.csv, the findings of the run of `select` (`pytest --update-golden` rewrites
it). Before the allocator, each detector netted the same payment and the run found nothing (4 lamps owed, 2 paid,
0 claimed; 2 widgets owed, 1 paid, 0 claimed): each fixture shows the units that were under-claimed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from decimal import Decimal
import tomllib
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import fba_audit.api as api
from fba_audit.api import audit, in_allocation_order
from fba_audit.context import AuditContext
from fba_audit.detectors import ALL_DETECTORS, BY_CODE, columns_read
from fba_audit.events.allocator import ALLOCATION_ORDER, Allocator, left_after
from fba_audit.findings import DETECTOR_COLUMNS, DETECTOR_SCHEMA
from fba_audit.netting import allocate_with_usage, empty_events
from fba_audit.reports import load_folder

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "audits"
CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
D = dt.date


def _case(case: Path) -> dict:
    return tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_a_payment_settles_one_claim_of_the_run(case: Path, update_golden: bool) -> None:
    meta = _case(case)
    found = audit(case / "reports", as_of=meta["as_of"], marketplace=meta["marketplace"], select=meta["select"])
    assert not found.failed and not found.load.problems
    got = found.findings.select(DETECTOR_COLUMNS).sort("finding_id")
    golden = case / "expected.csv"
    if update_golden:
        got.write_csv(golden)
        pytest.skip(f"wrote {golden}; review it with git diff")
    assert_frame_equal(got, pl.read_csv(golden, schema=DETECTOR_SCHEMA))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_alone_each_detector_nets_the_whole_payment(case: Path) -> None:
    """Run by itself a detector still nets everything it accepts (what a single-detector run always did)."""
    meta = _case(case)
    load = load_folder(case / "reports", columns=columns_read())  # the compact load an audit makes
    ctx = AuditContext(as_of=meta["as_of"], marketplace=meta["marketplace"])
    assert [BY_CODE[code].run_on(load, ctx).height for code in meta["select"]] == [0, 0]


def test_the_inbound_payment_goes_to_the_shortfall_and_the_damage_is_claimed() -> None:
    case = FIXTURES / "inbound_paid_once"
    meta = _case(case)
    findings = audit(case / "reports", as_of=meta["as_of"], select=meta["select"]).findings
    assert findings.select("finding_id", "status", "quantity", "amount").rows() == [
        ("FBA04:US:FBA15DBL001:X00DBL0001:damaged", "claimable", 2, Decimal("30.00"))]
    assert findings["message"][0].startswith(
        "2 unit(s) of X00DBL0001 in shipment FBA15DBL001 received carrier-damaged (first receipt 2026-04-02); "
        "0 already reimbursed.")


def test_the_return_payment_goes_to_the_refund_without_return_and_the_damaged_return_is_claimed() -> None:
    case = FIXTURES / "return_paid_once"
    meta = _case(case)
    findings = audit(case / "reports", as_of=meta["as_of"], select=meta["select"]).findings
    assert findings.select("finding_id", "quantity").rows() == [("FBA09:US:113-2000002-0000002:LPNDBL000001", 1)]


def test_every_detector_that_nets_reimbursements_has_its_turn() -> None:
    netting = {d.code for d in ALL_DETECTORS if "reimbursements" in d.events}
    assert netting == set(ALLOCATION_ORDER)
    # FBA01 and FBA10 share fee corrections their own way (netting.allocate_fee_corrections).
    assert netting == {"FBA02", "FBA04", "FBA05", "FBA07", "FBA08", "FBA09"}


def test_the_runner_starts_the_netting_detectors_in_allocation_order() -> None:
    chosen = [BY_CODE[c] for c in ("FBA02", "FBA03", "FBA04", "FBA05", "FBA06", "FBA07", "FBA08", "FBA09")]
    assert [d.code for d in in_allocation_order(chosen)] == [
        "FBA08", "FBA03", "FBA04", "FBA02", "FBA06", "FBA07", "FBA09", "FBA05"]


def _events(*rows: tuple) -> pl.DataFrame:
    """Reimbursement events: (event_ref, fnsku, date, units, original_reimbursement_id)."""
    frame = pl.DataFrame([{"event_ref": ref, "source": "reimbursements", "reason": "Lost_Inbound",
                           "code": "Lost_Inbound", "date": day, "fnsku": fnsku, "units": units,
                           "original_reimbursement_id": original, "evidence": f"r.txt:{n + 2}"} for n, (ref, fnsku, day, units, original) in enumerate(rows)])
    return pl.concat([empty_events(), frame], how="diagonal_relaxed").select(empty_events().columns).cast(
        empty_events().schema)


def _claims(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame([{"claim_id": c, "fnsku": f, "event_date": d, "quantity": q} for c, f, d, q in rows],
                        schema={"claim_id": pl.String, "fnsku": pl.Categorical, "event_date": pl.Date,
                                "quantity": pl.Int64})


def test_usage_says_how_many_units_each_reimbursement_gave() -> None:
    events = _events(("R1", "X1", D(2026, 5, 1), 2, None), ("R2", "X1", D(2026, 5, 3), 3, None))
    claims = _claims(("a", "X1", D(2026, 4, 1), 3), ("b", "X1", D(2026, 4, 2), 1))
    netted, used = allocate_with_usage(claims, events, keys=["fnsku"])
    assert netted["units_open"].to_list() == [0, 0]
    assert sorted(used.rows()) == [("R1", "r.txt:2", 2), ("R2", "r.txt:3", 1), ("R2", "r.txt:3", 1)]


def test_usage_with_a_reversal_counts_what_was_taken_from_what_was_left() -> None:
    """The key with a reversal goes through the loop: R1 gave 2, 1 was taken back, so it covers 1 unit."""
    events = _events(("R1", "X1", D(2026, 5, 1), 2, None), ("V1", "X1", D(2026, 5, 9), -1, "R1"))
    netted, used = allocate_with_usage(_claims(("a", "X1", D(2026, 4, 1), 5)), events, keys=["fnsku"])
    assert netted["units_open"].to_list() == [4]
    assert used.rows() == [("R1", "r.txt:2", 1)]
    # A later detector finds R1 used up: the reversal leaves nothing to take.
    left = left_after(events, used)
    assert left["units"].to_list() == [1, -1]
    later = allocate_with_usage(_claims(("b", "X1", D(2026, 4, 1), 5)), left, keys=["fnsku"])[0]
    assert later["units_open"].to_list() == [5]


def test_left_after_takes_used_units_off_the_rows_they_came_from() -> None:
    events = _events(("R1", "X1", D(2026, 5, 1), 2, None), ("R2", "X2", D(2026, 5, 3), 3, None))
    used = pl.DataFrame({"event_ref": ["R2", "R2"], "evidence": ["r.txt:3", "r.txt:3"], "units": [1, 1]})
    assert left_after(events, used)["units"].to_list() == [2, 1]


def test_a_detector_waits_for_the_ones_before_it_and_gets_what_they_left() -> None:
    events = _events(("R1", "X1", D(2026, 5, 1), 2, None))
    allocator = Allocator(lambda: events, ["FBA04", "FBA08"])
    seen: list[tuple[str, list[int]]] = []

    def fba04() -> None:
        seen.append(("FBA04", allocator.take("FBA04")["units"].to_list()))
        allocator.release("FBA04")

    later = threading.Thread(target=fba04)
    later.start()
    time.sleep(0.2)
    assert seen == []  # FBA08 comes first in ALLOCATION_ORDER and has not finished
    netted = allocator.net("FBA08", _claims(("s", "X1", D(2026, 4, 1), 1)), keys=["fnsku"])  # and its turn ends
    assert netted["units_open"].to_list() == [0]
    later.join(timeout=10)
    assert seen == [("FBA04", [1])]


def test_a_detector_waits_only_for_the_ones_that_accept_the_same_reimbursements() -> None:
    """FBA02 (warehouse reasons) does not wait for FBA08 (Lost_Inbound); FBA05 (any reason) waits for both."""
    events = _events(("R1", "X1", D(2026, 5, 1), 2, None))
    allocator = Allocator(lambda: events, ["FBA08", "FBA02", "FBA05"])
    assert allocator.take("FBA02").is_empty()  # returns at once: the one Lost_Inbound row is not FBA02's
    got: list[int] = []
    fba05 = threading.Thread(target=lambda: got.append(allocator.take("FBA05").height))
    fba05.start()
    allocator.release("FBA02")
    time.sleep(0.2)
    assert got == []  # still waiting for FBA08
    allocator.release("FBA08")
    fba05.join(timeout=10)
    assert got == [1]


def test_a_detector_not_in_the_order_is_refused() -> None:
    with pytest.raises(ValueError, match="FBA03 net reimbursements but are not in ALLOCATION_ORDER"):
        Allocator(lambda: _events(), ["FBA03"])
    with pytest.raises(ValueError, match="FBA02 did not declare the reimbursements table"):
        Allocator(lambda: _events(), ["FBA04"]).take("FBA02")


def test_a_failed_detector_still_gives_the_next_one_its_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """FBA08 crashes; FBA04, after it in the order, must not wait for ever, and sees every unit."""
    case = FIXTURES / "inbound_paid_once"

    def broken(**_frames: object) -> None:
        raise RuntimeError("broken on purpose")

    broken_08 = dataclasses.replace(BY_CODE["FBA08"], run=broken)
    monkeypatch.setattr(api, "BY_CODE", {**api.BY_CODE, "FBA08": broken_08})
    monkeypatch.setattr(api, "ALL_DETECTORS", tuple(broken_08 if d.code == "FBA08" else d for d in api.ALL_DETECTORS))
    found = audit(case / "reports", as_of=D(2026, 6, 15), select=["FBA04", "FBA08"])
    assert found.failed == ["FBA08"] and found.ran == ["FBA04"]
    assert found.findings.height == 0  # FBA04 netted the 2 Lost_Inbound units FBA08 never used
