"""One parametrised test over every detector case folder.

tests/fixtures/detectors/FBA02/finds_<story>/     (or clean_<story>/)
    case.toml       as_of, marketplace, story (one line); seller_country when the case needs it (the DSF)
    reports/        tiny exports in Amazon's real format; they go through fba_audit.reports.load_folder
    expected.csv    the golden findings, every column a detector fills (header only for a clean_ case): the
                    product `title` is added by the run afterwards (tests/test_titles.py), not by detectors
    coverage.json   the golden coverage: what one item is, how many were judged, and every item not checked, by reason
    problems.txt    only for a case about imperfect input: the input problems the load must report, exactly,
                    one `severity: file:line: message hint` a line (without it, any problem fails the case)

`pytest -k FBA02` runs one detector's cases; `pytest --update-golden` rewrites the goldens (review with git diff).
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fba_audit.context import AuditContext
from fba_audit.coverage import Coverage
from fba_audit.detectors import BY_CODE, columns_read
from fba_audit.findings import DETECTOR_COLUMNS, DETECTOR_SCHEMA, FILLED_BY_RUN, FINDINGS_SCHEMA, empty_findings
from fba_audit.reports.loader import NO_ROWS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "detectors"
CASES = sorted(p for p in FIXTURES.glob("FBA*/*") if p.is_dir())
CASE_KEYS = {"as_of", "marketplace", "story"}
OPTIONAL_CASE_KEYS = {"seller_country"}


def read_case(case: Path) -> dict:
    """case.toml, checked: exactly as_of (a TOML date or ISO text), marketplace and a one-line story, and at most
    the optional keys."""
    meta = tomllib.loads((case / "case.toml").read_text(encoding="utf-8"))
    assert CASE_KEYS <= set(meta) <= CASE_KEYS | OPTIONAL_CASE_KEYS, (
        f"{case}/case.toml must have {sorted(CASE_KEYS)} and at most {sorted(OPTIONAL_CASE_KEYS)}, has {sorted(meta)}")
    assert "\n" not in meta["story"].strip(), f"{case}/case.toml: story is one line"
    as_of = meta["as_of"]
    meta["as_of"] = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(as_of)
    return meta


def read_golden(path: Path) -> pl.DataFrame:
    """expected.csv read with the findings schema: Decimal amounts and dates round-trip exactly."""
    return pl.read_csv(path, schema=DETECTOR_SCHEMA)


def coverage_document(coverage: Coverage) -> dict:
    """A detector's coverage of one case as its coverage.json holds it (the same keys as findings.json `coverage`)."""
    from fba_audit.writers.json_out import coverage_record

    return coverage_record(coverage)


def write_golden(findings: pl.DataFrame, path: Path) -> None:
    findings.select(DETECTOR_COLUMNS).sort("finding_id").write_csv(path)


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_detector_case(case: Path, update_golden: bool) -> None:
    from fba_audit.reports import load_folder

    detector = BY_CODE.get(case.parent.name)
    assert detector is not None, f"{case.parent.name} is not in fba_audit.detectors.ALL_DETECTORS"
    assert case.name.startswith(("finds_", "clean_")), f"{case.name}: case folders start with finds_ or clean_"
    meta = read_case(case)
    ctx = AuditContext(as_of=meta["as_of"], marketplace=meta["marketplace"], seller_country=meta.get("seller_country"))

    load = load_folder(case / "reports", columns=columns_read())  # the compact load an audit makes
    # Fixtures are clean input unless the case says which problems its input has: anything else is a broken
    # fixture (or a loader regression), not a finding. A report with a header and no rows (nothing of that kind
    # happened) is said, and is clean input here.
    told = case / "problems.txt"
    expected_problems = told.read_text(encoding="utf-8").splitlines() if told.exists() else []
    problems = [p for p in load.problems if NO_ROWS not in p.message]
    assert [f"{p.severity}: {p}" for p in problems] == expected_problems, (
        "fixture reports must load with exactly the problems of problems.txt (none without it)")
    assert not detector.missing(load), f"{case}: reports/ lacks {detector.missing(load)}"

    judged = detector.judge(load, ctx)
    got = judged.findings
    golden, coverage_golden = case / "expected.csv", case / "coverage.json"
    coverage = coverage_document(Coverage.of(detector.code, detector.name, judged, got.height))
    if update_golden:
        write_golden(got, golden)
        coverage_golden.write_text(json.dumps(coverage, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        pytest.skip(f"wrote {golden} and {coverage_golden.name}; review them with git diff")
    assert golden.exists(), f"no golden for {case}; run pytest --update-golden and review it"
    assert coverage_golden.exists(), f"no coverage golden for {case}; run pytest --update-golden and review it"
    assert coverage == json.loads(coverage_golden.read_text(encoding="utf-8"))
    expected = read_golden(golden)
    if case.name.startswith("clean_"):
        assert expected.is_empty(), f"{golden}: a clean_ case expects no findings"
    else:
        assert not expected.is_empty(), f"{golden}: a finds_ case expects at least one finding"
    assert got.select(pl.all_horizontal(pl.col(FILLED_BY_RUN).is_null()).all()).item(), "the run fills these"
    assert_frame_equal(got.select(DETECTOR_COLUMNS), expected)


def test_golden_round_trip(tmp_path: Path) -> None:
    """What write_golden writes, read_golden reads back identically: Decimal cents, dates, nulls, empty text."""
    row = {
        "finding_id": "FBA02:US:X00ABC123:21180001001",
        "code": "FBA02",
        "status": "claimable",
        "marketplace": "US",
        "currency": "USD",
        "sku": "SKU-1",
        "fnsku": "X00ABC123",
        "asin": None,
        "order_id": None,
        "shipment_id": None,
        "reference_id": "21180001001",
        "quantity": 3,
        "amount": Decimal("1234567890123.05"),
        "valuation_basis": "cost_file",
        "event_date": dt.date(2024, 2, 29),
        "window_opens": dt.date(2024, 3, 14),
        "window_closes": None,
        "confidence": "high",
        "message": 'Lost 3 units, "quoted", with, commas',
        "evidence": "",
        "case_text": "line one\nline two",
    }
    frame = pl.concat([empty_findings(), pl.DataFrame([row], schema=FINDINGS_SCHEMA)])
    path = tmp_path / "expected.csv"
    write_golden(frame, path)
    back = read_golden(path)
    assert_frame_equal(back, frame.select(DETECTOR_COLUMNS))
    assert back["amount"][0] == Decimal("1234567890123.05")
