"""One allocator across detectors: each reimbursement unit nets one claim only, in a documented order.

Several detectors net their claims against the same reimbursements: an inbound `Lost_Inbound` payment may be for
a shortfall (FBA08) or a shipment lost in transit (FBA04); a `CustomerReturn` payment of an order may be for a
refund without return (FBA07), a return damaged by Amazon (FBA09) or a return not restocked (FBA05). Netted by
each detector on its own, one payment settled a claim in each of them, and the units Amazon still owed were never
claimed. Here the detectors take turns on one table of reimbursements (`fba_audit.events.reimbursements`): each
takes what the detectors before it left, and what its claims use is gone for the ones after it.

## The order (`ALLOCATION_ORDER`)
The detector that accepts the fewest kinds of reimbursement goes first, so that a payment settles the claim it
most likely paid for, and a broad detector only gets what the narrow ones had no claim for:
1. FBA08 inbound shortfall: `Lost_Inbound` only;
2. FBA04 inbound carrier lost / damaged: `Lost_Inbound`, `Damaged_Inbound`;
3. FBA02 warehouse lost / damaged: `Lost_Warehouse`, `Damaged_Warehouse`;
4. FBA07 refund without return: the customer-return reasons (`CustomerReturn`, `CustomerServiceIssue`, ...);
5. FBA09 return damaged by Amazon: any reimbursement of the order;
6. FBA05 return not restocked: any reimbursement of the order.
Within a detector the claims are served as `fba_audit.netting.allocate` says (oldest claim first, each from the
earliest reimbursement it may use). What each detector accepts is declared here, in `NETS`, once.

Whatever the order, a reimbursement unit settles one claim only, so the claims of a run add up to what Amazon owes
less what it paid, never less (each detector alone still nets against everything it accepts, as before).
FBA02's review-only rows (disposals, donations, ...) read what is left but never take it away: they are not claims
until a person says so. Fee corrections are shared the same way by FBA01 and FBA10 (`netting.allocate_fee_corrections`).

## Taking turns
The detectors run two at a time. A detector asks for the reimbursements when its claims are ready (`take`), and
waits there until every detector before it in the order that accepts some of the same reimbursements has finished
with them (`release`: a detector releases its turn as soon as it has netted, and the runner releases it when the
detector ends, whatever the outcome). Detectors whose reasons do not meet (FBA08 and FBA02, say) never wait for
each other. The runner starts the detectors that net in this order, so the
one waited for has always started: no detector waits for one queued behind it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence

import polars as pl

from fba_audit.netting import SETTLEMENT_REIMBURSEMENT_CODES, USAGE_SCHEMA, allocate_with_usage

# What each detector nets against, in turn order: report reasons (a reversal counts as its original's type) or
# settlement codes (fba_audit.netting.SETTLEMENT_REIMBURSEMENT_CODES maps them onto the reasons); None: every
# reimbursement of the order.
NETS: dict[str, frozenset[str] | None] = {
    "FBA08": frozenset({"Lost_Inbound"}),
    "FBA04": frozenset({"Lost_Inbound", "Damaged_Inbound"}),
    "FBA02": frozenset({"Lost_Warehouse", "Damaged_Warehouse"}),
    "FBA07": frozenset({"CustomerReturn", "CustomerServiceIssue", "REVERSAL_REIMBURSEMENT",
                        "FREE_REPLACEMENT_REFUND_ITEMS"}),
    "FBA09": None,
    "FBA05": None,
}
ALLOCATION_ORDER = tuple(NETS)


def _meet(a: frozenset[str] | None, b: frozenset[str] | None) -> bool:
    """Whether two detectors may net the same reimbursement (a settlement code goes with the reason it maps to)."""
    if a is None or b is None:
        return True
    widen = {code: reason for code, reason in SETTLEMENT_REIMBURSEMENT_CODES.items() if reason is not None}
    return bool({widen.get(r, r) for r in a} & {widen.get(r, r) for r in b})


class Allocator:
    """The reimbursements of one audit, shared by the detectors that net (`consumers`, in `ALLOCATION_ORDER`)."""

    def __init__(self, table: Callable[[], pl.DataFrame], consumers: Collection[str]) -> None:
        unknown = sorted(set(consumers) - set(ALLOCATION_ORDER))
        if unknown:
            raise ValueError(f"{', '.join(unknown)} net reimbursements but are not in ALLOCATION_ORDER "
                             "(fba_audit.events.allocator): give them their turn there")
        self._table = table
        self._order = [code for code in ALLOCATION_ORDER if code in consumers]
        self._released: set[str] = set()
        self._used: list[pl.DataFrame] = []
        self._turn = threading.Condition()

    def take(self, code: str) -> pl.DataFrame:
        """The reimbursements `code` nets against (`NETS`) that the detectors before it left, once they have
        finished. Units already used are taken off each reimbursement row; the rows stay (a reversal may still name
        them)."""
        if code not in self._order:
            raise ValueError(f"{code} did not declare the reimbursements table, or is not in ALLOCATION_ORDER")
        reasons = NETS[code]
        before = [c for c in self._order[:self._order.index(code)] if _meet(NETS[c], reasons)]
        with self._turn:
            self._turn.wait_for(lambda: self._released.issuperset(before))
            used = pl.concat(self._used) if self._used else pl.DataFrame(schema=USAGE_SCHEMA)
        table = self._table()
        if reasons is not None:
            wanted = list(reasons)
            table = table.filter(pl.col("reason").is_in(wanted) | pl.col("code").is_in(wanted))
        return left_after(table, used)

    def spend(self, code: str, used: pl.DataFrame) -> None:
        """Record what `code`'s claims used (`netting.USAGE_SCHEMA`), for the detectors after it."""
        with self._turn:
            if code in self._released:
                raise RuntimeError(f"{code} spent reimbursements after its turn ended")
            self._used.append(used.select(list(USAGE_SCHEMA)).cast(USAGE_SCHEMA))

    def release(self, code: str) -> None:
        """`code` is done with the reimbursements (or did not run): the next detector may take them."""
        with self._turn:
            self._released.add(code)
            self._turn.notify_all()

    def net(self, code: str, claims: pl.DataFrame, *, keys: Sequence[str], **options: object) -> pl.DataFrame:
        """`netting.allocate` of `claims` against what is left for `code`; what they use is spent, and the turn
        passes on (a detector that nets in one call)."""
        left = self.take(code)
        netted, used = allocate_with_usage(claims, left, keys=keys, **options)  # type: ignore[arg-type]
        self.spend(code, used)
        self.release(code)
        return netted


def left_after(table: pl.DataFrame, used: pl.DataFrame) -> pl.DataFrame:
    """`table` with the `used` units taken off the positive rows they came from (a row is named by its event_ref
    and evidence; rows that share both are used up in table order)."""
    if used.is_empty():
        return table
    total = used.group_by("event_ref", "evidence").agg(pl.col("units").sum().alias("_used"))
    given = pl.col("units").clip(lower_bound=0)
    before = (given.cum_sum() - given).over("event_ref", "evidence")
    return table.join(total, on=["event_ref", "evidence"], how="left", maintain_order="left").with_columns(
        units=pl.when(pl.col("_used").is_null() | (pl.col("units") <= 0)).then(pl.col("units")).otherwise(
            pl.col("units") - (pl.col("_used") - before).clip(0, pl.col("units"))),
    ).drop("_used")
