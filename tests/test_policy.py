"""Claim windows: every value pinned (a change to claim_windows.csv must change this file too, on purpose)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fba_audit import policy
from fba_audit.policy import CODE_FAMILY, parse_claim_windows, window_for, with_window

D = dt.date
AFTER = D(2025, 6, 1)  # an audit date after the 2024-10-23 US change
BEFORE = D(2024, 10, 22)  # the last day of the old US rules
EU = ("UK", "DE", "FR", "IT", "ES", "NL", "BE", "IE", "SE", "PL")


def pinned(code: str, marketplace: str, as_of: dt.date) -> tuple:
    w = window_for(code, marketplace, as_of)
    assert w is not None, f"no window for {code} {marketplace} {as_of}"
    return (w.opens_after_days, w.closes_after, w.closes_unit, w.status_cap)


@pytest.mark.parametrize(
    ("code", "marketplace", "as_of", "expected"),
    [
        # Warehouse lost/damaged: 18 months before 2024-10-23, 60 days since; opens event + 14 days.
        ("FBA02", "US", BEFORE, (14, 18, "months", None)),
        ("FBA02", "US", D(2024, 10, 23), (14, 60, "days", None)),
        ("FBA05", "US", AFTER, (14, 60, "days", None)),
        # Customer returns: 45 days to 18 months before, 60 to 120 days since.
        ("FBA07", "US", BEFORE, (45, 18, "months", None)),
        ("FBA07", "US", AFTER, (60, 120, "days", None)),
        ("FBA09", "US", D(2024, 10, 23), (60, 120, "days", None)),
        # Refund anomalies: refund date to +120 days, never claimable.
        ("FBA03", "US", AFTER, (0, 120, "days", "review")),
        ("FBA06", "US", BEFORE, (0, 120, "days", "review")),
        # Inbound: 9 months after delivery in the US, both before and after the change.
        ("FBA04", "US", BEFORE, (30, 9, "months", None)),
        ("FBA08", "US", AFTER, (30, 9, "months", None)),
        ("FBA08", "IN", AFTER, (30, 60, "days", None)),
        # Fees: charge date to +90 days.
        ("FBA01", "US", AFTER, (0, 90, "days", None)),
        ("FBA10", "US", AFTER, (0, 90, "days", None)),
        # CA and JP: only older copies (45 days to 18 months), so at most review.
        ("FBA07", "CA", AFTER, (45, 18, "months", "review")),
        ("FBA09", "JP", AFTER, (45, 18, "months", "review")),
    ],
)
def test_window_values(code: str, marketplace: str, as_of: dt.date, expected: tuple) -> None:
    assert pinned(code, marketplace, as_of) == expected


@pytest.mark.parametrize("marketplace", EU)
def test_uk_eu_windows(marketplace: str) -> None:
    assert pinned("FBA07", marketplace, AFTER) == (45, 105, "days", None)
    assert pinned("FBA04", marketplace, AFTER) == (30, 6, "months", None)


@pytest.mark.parametrize("marketplace", EU)
def test_uk_eu_warehouse_window_shortened_in_2025(marketplace: str) -> None:
    # Before: 30 days to 18 months (UK copy of GGEV4254LJJ9BAEG); from 2025-01-09: 60 days (Amazon Europe).
    assert pinned("FBA02", marketplace, D(2025, 1, 8)) == (30, 18, "months", None)
    assert pinned("FBA05", marketplace, D(2025, 1, 9)) == (14, 60, "days", None)
    assert pinned("FBA02", marketplace, AFTER) == (14, 60, "days", None)


@pytest.mark.parametrize("marketplace", EU)
def test_uk_eu_fee_and_refund_anomaly_windows(marketplace: str) -> None:
    # Fees: 90 days from the charge; only the FR copy of GL7U4JFSDXUTQAJ was read, so elsewhere at most review.
    cap = None if marketplace == "FR" else "review"
    assert pinned("FBA01", marketplace, AFTER) == (0, 90, "days", cap)
    assert pinned("FBA10", marketplace, AFTER) == (0, 90, "days", cap)
    # Refund anomalies: fba-audit's assumption, the end of the store's customer-return window, never claimable.
    assert pinned("FBA03", marketplace, AFTER) == (0, 105, "days", "review")
    assert pinned("FBA06", marketplace, AFTER) == (0, 105, "days", "review")


@pytest.mark.parametrize(
    ("code", "marketplace", "expected"),
    [
        # Japan: 30 days to 18 months per the page copy read; shortened from 2025-01-10, values unconfirmed.
        ("FBA02", "JP", (30, 18, "months", "review")),
        ("FBA08", "JP", (30, 9, "months", None)),
        ("FBA01", "JP", (0, 90, "days", "review")),
        ("FBA03", "JP", (0, 18, "months", "review")),
        # Canada: no later than 18 months per the .ca copy read; likely shortened since, so review.
        ("FBA05", "CA", (14, 18, "months", "review")),
        ("FBA10", "CA", (0, 90, "days", "review")),
        ("FBA06", "CA", (0, 18, "months", "review")),
    ],
)
def test_japan_and_canada_windows(code: str, marketplace: str, expected: tuple) -> None:
    assert pinned(code, marketplace, AFTER) == expected


@pytest.mark.parametrize(
    ("code", "marketplace"),
    [("FBA02", "IN"), ("FBA07", "IN"), ("FBA01", "MX"), ("FBA03", "IN"), ("FBA04", "CA"), ("FBA07", "MX"),
     ("FBA10", "AU")],
)
def test_no_row_means_no_window_never_the_us_one(code: str, marketplace: str) -> None:
    assert window_for(code, marketplace, AFTER) is None


def test_switch_on_2024_10_23_uses_the_rules_in_force_on_the_audit_date() -> None:
    event = D(2024, 9, 1)
    old = window_for("FBA02", "US", D(2024, 10, 22))
    new = window_for("FBA02", "US", D(2024, 10, 23))
    assert (old.closes_on(event), new.closes_on(event)) == (D(2026, 3, 1), D(2024, 10, 31))
    assert old.effective_from is None and new.effective_from == D(2024, 10, 23)


def test_every_code_has_a_family_and_every_family_a_us_window() -> None:
    assert sorted(CODE_FAMILY) == [f"FBA{n:02d}" for n in range(1, 11)]
    assert set(CODE_FAMILY.values()) == set(policy.FAMILIES)
    for family in policy.FAMILIES:
        assert policy.family_window(family, "US", AFTER) is not None


def test_every_row_cites_a_source_and_a_check_date() -> None:
    for w in policy.claim_windows():
        assert w.effective_from is None or w.checked_on >= w.effective_from, "checked before the rule existed"
        if w.source_id == "assumption":
            assert w.status_cap == "review", "an assumed window can never make a finding claimable"
        else:
            assert all(url.startswith("https://sellercentral") for _, url in w.sources), w
        assert w.note


def test_month_arithmetic_clamps_like_polars() -> None:
    w = window_for("FBA02", "US", BEFORE)  # 18 months
    events = [D(2024, 8, 31), D(2023, 8, 31), D(2024, 1, 31), D(2023, 2, 28)]
    py = [w.closes_on(e) for e in events]
    pl_dates = pl.Series(events).dt.offset_by(w.closes_offset).to_list()
    assert py == pl_dates == [D(2026, 2, 28), D(2025, 2, 28), D(2025, 7, 31), D(2024, 8, 28)]


def frame(*events: dt.date, review: list[bool] | None = None) -> pl.DataFrame:
    data = {"event_date": list(events)}
    if review is not None:
        data["needs_review"] = review
    return pl.DataFrame(data, schema={"event_date": pl.Date, **({"needs_review": pl.Boolean} if review else {})})


def test_with_window_statuses_and_inclusive_bounds() -> None:
    as_of = D(2025, 6, 1)
    w = window_for("FBA07", "US", as_of)  # refund + 60 .. + 120 days
    # Opens exactly today, closes exactly today, one day early, one day late.
    events = [as_of - dt.timedelta(60), as_of - dt.timedelta(120), as_of - dt.timedelta(59), as_of - dt.timedelta(121)]
    out = with_window(frame(*events), w, as_of)
    assert out["status"].to_list() == ["claimable", "claimable", "waiting", "expired"]
    assert out["window_opens"][2] == as_of + dt.timedelta(1)
    assert out["window_closes"][0] == as_of + dt.timedelta(60)


def test_with_window_review_cap_and_flag_do_not_hide_timing() -> None:
    as_of = D(2025, 6, 1)
    capped = with_window(frame(D(2025, 5, 1), D(2024, 1, 1)), window_for("FBA03", "US", as_of), as_of)
    assert capped["status"].to_list() == ["review", "expired"]
    w = window_for("FBA02", "US", as_of)
    flagged = with_window(frame(D(2025, 5, 1), D(2025, 5, 1), D(2025, 5, 30), review=[True, False, True]), w, as_of)
    assert flagged["status"].to_list() == ["review", "claimable", "waiting"]


def test_with_window_unknown_marketplace_is_review_without_dates() -> None:
    out = with_window(frame(D(2025, 5, 1)), None, D(2025, 6, 1))
    assert out.row(0, named=True) == {"event_date": D(2025, 5, 1), "window_opens": None, "window_closes": None,
                                      "status": "review"}
    assert policy.no_window_message("IN") == "No claim window known for IN: check Seller Central before filing."


def test_with_window_opening_override() -> None:
    as_of = D(2025, 6, 1)
    w = window_for("FBA08", "US", as_of)
    df = frame(D(2025, 5, 20), D(2025, 5, 20)).with_columns(closed=pl.Series([D(2025, 5, 25), None], dtype=pl.Date))
    out = with_window(df, w, as_of, opens=pl.col("closed"))
    assert out["window_opens"].to_list() == [D(2025, 5, 25), D(2025, 6, 19)]
    assert out["status"].to_list() == ["claimable", "waiting"]


HEADER = "family,marketplace,effective_from,opens_after_days,closes_after,closes_unit,counts_from,status_cap,source_id,source_url,checked_on,note\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("warehouse,US,,14,60,weeks,x,,A,https://x,2026-01-01,n", "closes_unit"),
        ("nope,US,,14,60,days,x,,A,https://x,2026-01-01,n", "unknown family"),
        ("warehouse,US,,14,60,days,x,,A,,2026-01-01,n", "source"),
        ("warehouse,US,,14,60,days,x,never,A,https://x,2026-01-01,n", "status_cap"),
        ("warehouse,US,2024-13-01,14,60,days,x,,A,https://x,2026-01-01,n", "claim_windows.csv:2"),
    ],
)
def test_bad_rows_are_rejected_with_their_line(row: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_claim_windows(HEADER + row + "\n")


def test_duplicate_rows_are_rejected() -> None:
    row = "warehouse,US,2024-10-23,14,60,days,x,,A,https://x,2026-01-01,n\n"
    with pytest.raises(ValueError, match="claim_windows.csv:3: duplicate"):
        parse_claim_windows(HEADER + row + row)
