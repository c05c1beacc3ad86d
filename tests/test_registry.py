"""Meta-tests on the detector registry: codes, docstrings, dataset keys, fixtures, modules on disk."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import re
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

import fba_audit.detectors as detectors_pkg
from fba_audit.context import AuditContext
from fba_audit.coverage import Judged
from fba_audit.detectors import ALL_DETECTORS, BY_CODE, run_order
from fba_audit.detectors._base import (
    CLAIM_WINDOW_PLACEHOLDER,
    DOC_HEADINGS,
    Detector,
    evidence_agg,
    evidence_ref,
    finding_id,
    finding_id_str,
    join_evidence,
    render_doc,
    to_findings,
)
from fba_audit.findings import FINDINGS_COLUMNS
from fba_audit.policy import CODE_FAMILY
from fba_audit.reports.datasets import DATASET_MODELS, empty_dataset
from fba_audit.reports.model import FileSummary, LoadResult

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "detectors"
DETECTOR_DIR = Path(detectors_pkg.__file__).resolve().parent
MODULE_PATTERN = re.compile(r"^fba(\d{2})_([a-z0-9_]+)\.py$")
IDS = [d.code for d in ALL_DETECTORS]


def doc_problems(doc: str) -> list[str]:
    """What is wrong with a detector docstring: a title line, then the four headings in order, with the
    `{claim_window}` placeholder under `## Claim window`."""
    lines = [line.rstrip() for line in inspect.cleandoc(doc or "").splitlines()]
    problems = []
    if not lines or not lines[0].strip() or lines[0].startswith("#"):
        problems.append("the first line must be a one-line title")
    positions = []
    for heading in DOC_HEADINGS:
        if heading not in lines:
            problems.append(f"missing heading {heading!r}")
        else:
            positions.append(lines.index(heading))
    if positions != sorted(positions):
        problems.append(f"headings must be in the order {', '.join(DOC_HEADINGS)}")
    if DOC_HEADINGS[-1] in lines:
        after = "\n".join(lines[lines.index(DOC_HEADINGS[-1]):])
        if CLAIM_WINDOW_PLACEHOLDER not in after:
            problems.append(f"{DOC_HEADINGS[-1]} must contain {CLAIM_WINDOW_PLACEHOLDER}")
    return problems


GOOD_DOC = """Customer refunded, item never returned.

## What it finds
Refunds without a return.

## Why Amazon owes you
Source: https://sellercentral.amazon.com/gp/help/external/G9N934L7Y4SFWPJ4

## Evidence to attach
- the order id

## Claim window
{claim_window}
"""


def test_doc_checker_accepts_the_template_and_rejects_each_fault() -> None:
    assert doc_problems(GOOD_DOC) == []
    assert doc_problems(GOOD_DOC.replace("## Evidence to attach\n", "")) == ["missing heading '## Evidence to attach'"]
    swapped = GOOD_DOC.replace("## What it finds", "@@").replace("## Why Amazon owes you", "## What it finds")
    assert "headings must be in the order" in " ".join(doc_problems(swapped.replace("@@", "## Why Amazon owes you")))
    assert doc_problems(GOOD_DOC.replace("{claim_window}", "60 days")) == [
        "## Claim window must contain {claim_window}"
    ]
    assert doc_problems("## What it finds\n" + GOOD_DOC)[0] == "the first line must be a one-line title"


def test_registry_is_an_explicit_tuple_with_unique_sorted_codes() -> None:
    assert isinstance(ALL_DETECTORS, tuple)
    assert all(isinstance(d, Detector) for d in ALL_DETECTORS)
    codes = [d.code for d in ALL_DETECTORS]
    assert len(codes) == len(set(codes)), "duplicate detector codes"
    assert codes == sorted(codes), "ALL_DETECTORS must be in code order"
    assert all(re.fullmatch(r"FBA\d{2}", c) for c in codes)
    assert BY_CODE == {d.code: d for d in ALL_DETECTORS}
    names = [d.name for d in ALL_DETECTORS]
    assert len(names) == len(set(names)), "duplicate detector names"


def test_fee_detectors_run_back_to_back_and_every_detector_runs_once() -> None:
    codes = [d.code for d in run_order(list(ALL_DETECTORS))]
    assert codes == ["FBA01", "FBA10", "FBA02", "FBA03", "FBA04", "FBA05", "FBA06", "FBA07", "FBA08", "FBA09"]
    chosen = [BY_CODE[c] for c in ("FBA03", "FBA10", "FBA07")]
    assert [d.code for d in run_order(chosen)] == ["FBA03", "FBA10", "FBA07"]
    chosen = [BY_CODE[c] for c in ("FBA02", "FBA10", "FBA01")]
    assert [d.code for d in run_order(chosen)] == ["FBA02", "FBA10", "FBA01"]


@pytest.mark.parametrize("detector", ALL_DETECTORS, ids=IDS)
def test_docstring_has_the_four_headings_in_order(detector: Detector) -> None:
    assert doc_problems(detector.doc) == []
    rendered = render_doc(detector)
    assert CLAIM_WINDOW_PLACEHOLDER not in rendered


@pytest.mark.parametrize("detector", ALL_DETECTORS, ids=IDS)
def test_datasets_exist_and_match_run_signature(detector: Detector) -> None:
    assert detector.needs, "a detector needs at least one dataset"
    unknown = [d for d in detector.needs + detector.optional if d not in DATASET_MODELS]
    assert not unknown, f"unknown dataset keys {unknown}; see fba_audit.reports.datasets.DATASET_MODELS"
    assert not set(detector.needs) & set(detector.optional), "a dataset is either needed or optional"
    params = inspect.signature(detector.run).parameters
    assert "ctx" in params and params["ctx"].kind is inspect.Parameter.KEYWORD_ONLY
    assert detector.run_parameters() == detector.needs + detector.optional, (
        "run's parameters must be needs + optional (+ ctx), in that order"
    )
    for name in detector.optional:
        assert params[name].default is None, f"optional dataset {name} must default to None"
    assert detector.family == CODE_FAMILY[detector.code]


@pytest.mark.parametrize("detector", ALL_DETECTORS, ids=IDS)
def test_every_detector_has_finds_and_clean_cases(detector: Detector) -> None:
    cases = [p.name for p in (FIXTURES / detector.code).glob("*") if p.is_dir()]
    assert any(c.startswith("finds_") for c in cases), f"{detector.code} has no finds_ case in {FIXTURES}"
    assert any(c.startswith("clean_") for c in cases), f"{detector.code} has no clean_ case in {FIXTURES}"


def test_every_fixture_folder_belongs_to_a_registered_detector() -> None:
    folders = sorted(p.name for p in FIXTURES.glob("*") if p.is_dir()) if FIXTURES.exists() else []
    assert [f for f in folders if f not in BY_CODE] == []
    for code in folders:
        bad = [p.name for p in (FIXTURES / code).iterdir() if p.is_dir() and not p.name.startswith(("finds_", "clean_"))]
        assert bad == [], f"{code}: case folders must start with finds_ or clean_"


def test_every_detector_module_on_disk_is_registered() -> None:
    modules = sorted(p.name for p in DETECTOR_DIR.glob("fba*.py"))
    assert [m for m in modules if not MODULE_PATTERN.match(m)] == [], "detector modules are named fbaNN_<slug>.py"
    for filename in modules:
        number, slug = MODULE_PATTERN.match(filename).groups()
        module = importlib.import_module(f"fba_audit.detectors.{filename[:-3]}")
        detector = getattr(module, "DETECTOR", None)
        assert isinstance(detector, Detector), f"{filename} must define DETECTOR = Detector(...)"
        assert detector.code == f"FBA{number}", f"{filename} defines {detector.code}"
        assert detector.name == slug.replace("_", "-"), f"{filename}: module slug must be the name {detector.name}"
        assert detector.doc == module.__doc__, f"{filename}: doc must be the module docstring"
        assert BY_CODE.get(detector.code) is detector, f"{filename} is not in ALL_DETECTORS"
    assert len(modules) == len(ALL_DETECTORS), "every registered detector lives in its own fbaNN_<slug>.py"


# --- The contract helpers in detectors/_base.py -------------------------------------------------------------


def _final(**overrides) -> pl.DataFrame:
    row = {
        "finding_id": "FBA02:US:X001:2107733001", "event_date": dt.date(2025, 5, 10), "quantity": 2,
        "confidence": "high", "message": "2 units lost", "evidence": "ledger.txt:4", "case_text": "Please reimburse.",
        "fnsku": "X001", "reference_id": "2107733001",
    } | overrides
    return pl.DataFrame([row])


def test_to_findings_fills_window_status_defaults_and_order() -> None:
    ctx = AuditContext(as_of=dt.date(2025, 6, 1), marketplace="US")
    out = to_findings(_final(amount=Decimal("12.30"), valuation_basis="cost_file"), code="FBA02", ctx=ctx)
    assert tuple(out.columns) == FINDINGS_COLUMNS
    row = out.row(0, named=True)
    assert (row["status"], row["window_opens"], row["window_closes"]) == (
        "claimable", dt.date(2025, 5, 24), dt.date(2025, 7, 9))
    assert (row["code"], row["marketplace"], row["currency"], row["amount"]) == ("FBA02", "US", "USD", Decimal("12.30"))
    assert (row["sku"], row["valuation_basis"]) == (None, "cost_file")


def test_to_findings_unknown_marketplace_is_review_and_says_so() -> None:
    ctx = AuditContext(as_of=dt.date(2025, 6, 1), marketplace="IN")
    row = to_findings(_final(), code="FBA02", ctx=ctx).row(0, named=True)
    assert (row["status"], row["window_opens"], row["currency"], row["valuation_basis"]) == (
        "review", None, None, "none")
    assert row["message"] == "2 units lost No claim window known for IN: check Seller Central before filing."


def test_to_findings_needs_review_and_opening_override() -> None:
    ctx = AuditContext(as_of=dt.date(2025, 6, 1), marketplace="US")
    out = to_findings(
        pl.concat([_final(needs_review=True), _final(finding_id="FBA02:US:X001:2", needs_review=False)]),
        code="FBA02", ctx=ctx,
    )
    assert out["status"].to_list() == ["claimable", "review"]  # sorted by finding_id
    out = to_findings(_final(window_opens=dt.date(2025, 6, 2)), code="FBA02", ctx=ctx)
    assert out.select("window_opens", "status").row(0) == (dt.date(2025, 6, 2), "waiting")


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (_final().drop("case_text"), "without case_text"),
        (_final(skuu="A"), "unexpected columns skuu"),
        (_final(amount=Decimal("1.00")), "without a valuation_basis"),
        (pl.concat([_final(), _final()]), "finding_id must be unique.*FBA02:US:X001:2107733001"),
        (_final(confidence="sure"), "do not match the Findings model"),
        (_final(quantity=-1), "do not match the Findings model"),
    ],
)
def test_to_findings_rejects_bad_frames(frame: pl.DataFrame, message: str) -> None:
    ctx = AuditContext(as_of=dt.date(2025, 6, 1), marketplace="US")
    with pytest.raises(ValueError, match=message):
        to_findings(frame, code="FBA02", ctx=ctx)


def test_finding_id_is_readable_and_prints_missing_parts_as_dash() -> None:
    df = pl.DataFrame({"fnsku": ["X00ABC123", None], "ref": ["21180001001", "7"], "d": [dt.date(2025, 1, 2)] * 2})
    ids = df.select(finding_id("FBA02", "US", pl.col("fnsku"), pl.col("ref"), pl.col("d")))["finding_id"].to_list()
    assert ids == ["FBA02:US:X00ABC123:21180001001:2025-01-02", "FBA02:US:-:7:2025-01-02"]
    assert finding_id_str("FBA02", "US", "X00ABC123", None, 3) == "FBA02:US:X00ABC123:-:3"


def test_evidence_helpers_order_by_file_and_line_number() -> None:
    rows = pl.DataFrame({"k": ["a"] * 3 + ["b"], "source_file": ["l.txt", "l.txt", "a.txt", "l.txt"],
                         "source_line": [10, 9, 3, 9]})
    agg = rows.group_by("k").agg(evidence_agg()).sort("k")
    assert agg["source_file"].to_list() == ["a.txt:3; l.txt:9; l.txt:10", "l.txt:9"]
    assert rows.select(evidence_ref())[:, 0].to_list()[0] == "l.txt:10"
    parts = pl.DataFrame({"e": ["l.txt:9", None, ""], "r": [["r.txt:2", "r.txt:5"], [], ["r.txt:7"]]})
    joined = parts.select(join_evidence("e", pl.col("r").list.join("; ")))[:, 0].to_list()
    assert joined == ["l.txt:9; r.txt:2; r.txt:5", "", "r.txt:7"]


def _fake_run(*, inventory_ledger: pl.DataFrame, products: pl.DataFrame | None = None,
              ctx: AuditContext) -> Judged:
    note = "with products" if products is not None else "without products"
    return Judged(to_findings(_final(message=f"{inventory_ledger.height} rows {note}"), code="FBA02", ctx=ctx),
                  item="ledger row", judged=inventory_ledger.height)


FAKE = Detector(code="FBA02", name="warehouse-lost-damaged", family="warehouse", needs=("inventory_ledger",),
                optional=("products",), run=_fake_run, doc=GOOD_DOC)


def _load(*fed: str) -> LoadResult:
    datasets = {k: empty_dataset(k) for k in DATASET_MODELS}
    return LoadResult(datasets=datasets, files=[FileSummary(file=f"{d}.txt", kind=d, datasets=(d,)) for d in fed])


def test_run_on_passes_needed_datasets_and_optional_ones_only_when_present() -> None:
    ctx = AuditContext(as_of=dt.date(2025, 6, 1))
    assert FAKE.run_on(_load("inventory_ledger"), ctx)["message"][0] == "0 rows without products"
    assert FAKE.run_on(_load("inventory_ledger", "products"), ctx)["message"][0] == "0 rows with products"
    assert FAKE.missing(_load("products")) == ("inventory_ledger",)
    with pytest.raises(ValueError, match="FBA02 needs inventory_ledger"):
        FAKE.run_on(_load(), ctx)
    assert FAKE.run_parameters() == ("inventory_ledger", "products")
    assert FAKE.title == "Customer refunded, item never returned."


def test_judge_refuses_a_run_that_does_not_say_what_it_judged() -> None:
    def bare(*, inventory_ledger: pl.DataFrame, ctx: AuditContext) -> pl.DataFrame:
        return to_findings(_final(), code="FBA02", ctx=ctx)

    detector = Detector(code="FBA02", name="warehouse-lost-damaged", family="warehouse", needs=("inventory_ledger",),
                        run=bare, doc=GOOD_DOC)
    with pytest.raises(TypeError, match="FBA02: run must return fba_audit.coverage.Judged, not DataFrame"):
        detector.judge(_load("inventory_ledger"), AuditContext(as_of=dt.date(2025, 6, 1)))


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"code": "FBA2"}, "FBA01"), ({"name": "Warehouse Lost"}, "slug"), ({"family": "fee"}, "CODE_FAMILY"),
     ({"needs": ["inventory_ledger"]}, "tuple")],
)
def test_detector_rejects_bad_definitions(changes: dict, message: str) -> None:
    fields = {"code": "FBA02", "name": "warehouse-lost-damaged", "family": "warehouse",
              "needs": ("inventory_ledger",), "run": _fake_run, "doc": GOOD_DOC} | changes
    with pytest.raises((ValueError, TypeError), match=message):
        Detector(**fields)


def test_render_doc_fills_the_claim_window_with_sources() -> None:
    text = render_doc(FAKE)
    assert "{claim_window}" not in text
    assert "| US | from 2024-10-23 | 14 days after | 60 days after | normal |" in text
    assert "[GGEV4254LJJ9BAEG](https://sellercentral.amazon.com/help/hub/reference/external/GGEV4254LJJ9BAEG)" in text
    assert "| US | until 2024-10-22 | 14 days after | 18 months after |" in text
