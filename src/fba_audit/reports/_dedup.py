"""Nothing counted twice: the row identity of each dataset, and how overlapping downloads are merged.

Sellers download the same report twice, or over overlapping date ranges. Within one file every row is a
real event (two identical ledger rows are two units shipped), so duplicates are only ever dropped *across*
files: for each identity, the merged dataset keeps as many rows as the file that has the most of them
(a multiset union). Where a report's rows change after the event (reconciled quantities, return status,
order status, shipment received counts), the identity leaves those columns out and the newest file wins.

Settlement files are merged per settlement: a settlement is immutable once closed, so two files with the
same settlement-id are the same settlement, and the richer format wins (V2, then V1, then Date Range lines
that carry that settlement id). See docs/reports.md for the table of identities.
"""

from __future__ import annotations

import polars as pl

from fba_audit.sorted_runs import cum_max_within, key_starts

IDENTITY: dict[str, tuple[str, ...]] = {
    # Reconciled/Unreconciled Quantity change as Amazon finds or pays units: newest download wins.
    "inventory_ledger": ("source_report", "date", "fnsku", "sku", "event_type", "reference_id", "quantity",
                         "fulfillment_center", "disposition", "reason", "country"),
    # status changes (Unit returned to inventory -> Reimbursed): newest wins.
    "customer_returns": ("return_date", "order_id", "sku", "fnsku", "quantity", "detailed_disposition", "reason",
                         "license_plate_number"),
    "reimbursements": ("approval_date", "reimbursement_id", "amazon_order_id", "reason", "sku", "fnsku",
                       "quantity_reimbursed_cash", "quantity_reimbursed_inventory", "quantity_reimbursed_total",
                       "amount_total", "original_reimbursement_id"),
    # A snapshot per SKU and store: the newest download wins.
    "fee_preview": ("sku", "amazon_store"),
    "transactions": ("source_format", "settlement_id", "transaction_type", "order_id", "adjustment_id",
                     "shipment_id", "order_item_code", "sku", "posted_date", "posted_at", "amount_type",
                     "amount_description", "amount", "quantity_purchased"),
    "settlements": ("settlement_id",),
    # Order and item status change until the order is closed: newest wins.
    "orders": ("amazon_order_id", "sku", "asin"),
    # A shipment item is shipped once: monthly downloads that overlap hold the same row.
    "fulfilled_shipments": ("amazon_order_id", "shipment_item_id", "sku"),
    "inbound_shipments": ("shipment_id",),
    # QuantityReceived grows while a shipment is received: newest wins.
    "inbound_shipment_items": ("shipment_id", "sku", "fnsku"),
    # The transport of a shipment can change (a partnered-carrier request voided): newest wins.
    "inbound_transport": ("shipment_id",),
    "products": ("sku",),
    # One row per SKU, store and period; a later download of the same period (late fees posted) wins.
    "sku_economics": ("sku", "amazon_store", "currency", "start_date", "end_date"),
}

RANK = "_file_rank"

# The date in each identity: rows on a date that only one file has cannot be another file's rows.
PARTITION: dict[str, str] = {
    "inventory_ledger": "date",
    "customer_returns": "return_date",
    "reimbursements": "approval_date",
    "transactions": "posted_date",
}


def merge(dataset: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Drop rows that an other (newer) file already holds; `frame` carries `_file_rank` (higher = newer).

    Rows keep their order. The work runs on the identity columns only and then filters the rows once, so a
    10 million row ledger is not copied several times over.
    """
    identity = [c for c in IDENTITY[dataset] if c in frame.columns]
    partition = PARTITION.get(dataset)
    if dataset == "transactions":
        # A settlement in two files was already read once (loader); lines of different settlements never match.
        # Only Date Range lines, whose downloads overlap freely, need the row-by-row merge.
        ranged = pl.col("source_format") == "date_range"
        if not frame.select(ranged.any()).item():
            return frame
        return pl.concat([frame.filter(~ranged), _merge_rows(identity, frame.filter(ranged), partition)],
                         how="vertical")
    return _merge_rows(identity, frame, partition)


def _merge_rows(identity: list[str], frame: pl.DataFrame, partition: str | None) -> pl.DataFrame:
    if frame.is_empty() or frame["source_file"].n_unique() < 2:
        return frame
    shared = None
    if partition is not None:
        # Downloads overlap on some dates only: the rows of the other dates are kept as they are.
        shared = frame.select(pl.col("source_file").n_unique().over(partition) > 1).to_series()
        if not shared.any():
            return frame
    # NOTE: grouping on a dozen text columns of millions of rows is slow; two independent 64-bit row hashes
    # stand for the identity instead (a false match needs both to collide: about 1 in 10^25 for 10 million rows).
    # Every row is hashed where it lies: gathering the identity columns of the rows on shared dates first would
    # copy the text of millions of rows (two ledger downloads often share most of their dates).
    keys = frame.select(identity)
    narrow = pl.DataFrame({"_h1": keys.hash_rows(seed=0x5EED), "_h2": keys.hash_rows(seed=0xFBA),
                           "_row": pl.int_range(frame.height, dtype=pl.UInt32, eager=True),
                           RANK: frame.get_column(RANK), "source_line": frame.get_column("source_line")})
    if shared is not None:
        narrow = narrow.filter(shared)
    # The n-th copy of an identity within one file is a distinct event; across files the n-th copies match, and
    # the newest file's copy is kept: a file's n-th copy goes when a newer file has more than n copies. Worked out
    # after one sort, newest file first within an identity, in linear passes down the sorted rows (a window
    # function over millions of groups costs seconds, and hashing the (identity, n) pairs to find the first of each
    # took 0.8 s of the 2 s merge of the 50,000-SKU account's two ledger downloads).
    position = pl.int_range(pl.len(), dtype=pl.Int64)
    numbered = narrow.sort(["_h1", "_h2", RANK, "source_line"], descending=[False, False, True, False]).with_columns(
        _identity_starts=key_starts(["_h1", "_h2"]), _file_starts=key_starts(["_h1", "_h2", RANK]),
    ).with_columns(
        # this row is copy n of its file
        _copies=position - pl.when("_file_starts").then(position).forward_fill() + 1,
    )
    newer = _most_copies_before(numbered)
    dropped = numbered.filter(pl.col("_copies") <= newer).get_column("_row")
    if dropped.is_empty():
        return frame
    return frame.filter(pl.repeat(True, frame.height, eager=True).scatter(dropped, False))


def _most_copies_before(numbered: pl.DataFrame) -> pl.Series:
    """Per row of `numbered` (sorted by identity, newest file first, with `_identity_starts`, `_file_starts` and
    `_copies`, the row's number among its file's copies): the most copies of the identity in any newer file (0
    in the newest), read from the running maximum of `_copies` within the identity at the row before each file's
    first row."""
    running = cum_max_within(numbered, "_copies", "_identity_starts")
    before = pl.when(pl.col("_identity_starts")).then(pl.lit(0, pl.Int64)).otherwise(running.shift(1))
    return numbered.select(pl.when(pl.col("_file_starts")).then(before).forward_fill()).to_series()


# ---------------------------------------------------------------------- Date Range files pasted together

MAX_LINES_NAMED = 10
MAX_PASTES = 20  # more jumps back than this (and than 1 % of the lines) means a file not in time order


def pasted_together(lines: pl.DataFrame) -> tuple[pl.Series, str] | None:
    """The copies in a Date Range file assembled from several downloads, or None when it does not look so.

    `lines` holds one row per line of the file (typed, with `source_line`, `posted_at`, `settlement_id`,
    `marketplace_name`). Returns the `source_line`s to count as duplicates and what gave the file away.

    Amazon does write identical lines into one download: an order item shipped in two parts (two fulfilment
    centres) posts one line per shipment, with the same order id, SKU, quantity and amounts, sometimes in the
    same second (sellers report such rows in the All Orders and settlement files too: amzn/selling-partner-api-models
    issues 442 and 5291). Those are two events and are kept. A bookkeeper who pastes several downloads into one
    file leaves a different shape: the date/time (which a Date Range download lists in order) and the settlement
    ids jump back where the next download begins, whole runs of lines repeat, and the marketplace may be written
    two ways (`amazon.com` in newer downloads beside `Amazon.com` in older ones). Only with such a shape are
    identical lines taken for copies. The file is then cut where the time goes back, and the parts are merged as
    separate downloads are (`merge`: an identity keeps as many lines as the part that has most of them), so a line
    two parts both hold counts once, and a genuine pair inside one part still counts twice.
    """
    content = [c for c in lines.columns if c not in ("source_line", "source_file")]
    ordered = lines if lines.get_column("source_line").is_sorted() else lines.sort("source_line")
    keys = ordered.select(content)
    first = keys.hash_rows(seed=0x5EED)
    # Most files have no identical lines at all: one hash says so (half the cost of the pair on the clean path).
    if not first.is_duplicated().any():
        return None
    hashed = pl.DataFrame({"_h1": first, "_h2": keys.hash_rows(seed=0xFBA),
                           "source_line": ordered.get_column("source_line")})
    repeated = hashed.select(pl.struct("_h1", "_h2").is_duplicated()).to_series()
    if not repeated.any():
        return None
    signs: list[str] = []
    time = ordered.get_column("posted_at") if "posted_at" in ordered.columns else pl.Series([None] * ordered.height)
    settlement = ordered.select(pl.col("settlement_id").cast(pl.String).cast(pl.Int64, strict=False)).to_series()
    # A download lists its lines in time order; the direction is read from the file itself (most steps), so that
    # a file listed newest first is not taken for many pastes.
    ascending = (time > time.shift(1)).sum() >= (time < time.shift(1)).sum()
    if ascending:
        back = ((time < time.shift(1)) | (settlement < settlement.shift(1))).fill_null(False)
    else:
        back = ((time > time.shift(1)) | (settlement > settlement.shift(1))).fill_null(False)
    if back.sum() > max(MAX_PASTES, ordered.height // 100):
        back = pl.repeat(False, ordered.height, eager=True)  # not in time order at all: no place to cut it
    lines_back = ordered.filter(back).get_column("source_line").to_list()
    if lines_back:
        signs.append(f"the date/time or settlement id goes back at line{_plural(lines_back)} {named_lines(lines_back)}")
    if "marketplace_name" in ordered.columns:
        names = ordered.get_column("marketplace_name").drop_nulls().cast(pl.String).unique().sort().to_list()
        folded: dict[str, list[str]] = {}
        for name in names:
            folded.setdefault(name.casefold(), []).append(name)
        twice = [spellings for spellings in folded.values() if len(spellings) > 1]
        if twice:
            signs.append("the marketplace is written " + " and ".join(twice[0]))
    # Runs: a line that repeats an earlier one right after another such line (a pair of identical lines side by
    # side, as Amazon writes a split shipment, is not a run).
    later = hashed.select(~pl.struct("_h1", "_h2").is_first_distinct()).to_series()
    run = later & later.shift(1).fill_null(False)
    if run.any():
        signs.append("lines repeat in runs")
    if not signs:
        return None
    part = back.cum_sum().alias(RANK)
    narrow = hashed.with_columns(part, _row=pl.int_range(ordered.height, dtype=pl.UInt32, eager=True))
    # Earlier parts first here: within the file the first copy is the one kept (merge keeps the highest rank).
    narrow = narrow.with_columns((pl.col(RANK).max() - pl.col(RANK)).alias(RANK))
    numbered = narrow.sort(["_h1", "_h2", RANK, "source_line"], descending=[False, False, True, False]).with_columns(
        _identity_starts=key_starts(["_h1", "_h2"]), _file_starts=key_starts(["_h1", "_h2", RANK]),
    )
    position = pl.int_range(pl.len(), dtype=pl.Int64)
    numbered = numbered.with_columns(_copies=position - pl.when("_file_starts").then(position).forward_fill() + 1)
    copies = numbered.filter(pl.col("_copies") <= _most_copies_before(numbered)).get_column("source_line").sort()
    if copies.is_empty():
        return None
    return copies, "; ".join(signs)


def _plural(items: list) -> str:
    return "" if len(items) == 1 else "s"


def named_lines(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:MAX_LINES_NAMED])
    return shown + (f" and {len(numbers) - MAX_LINES_NAMED} more" if len(numbers) > MAX_LINES_NAMED else "")
