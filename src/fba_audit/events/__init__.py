"""The tables derived from the datasets once per audit, which several detectors read.

Before these, the same reimbursement events were rebuilt by seven detectors and there were two refund tables.
Each table is declared once here (`TABLES`): the datasets it is built from and its pandera model (in its module).
A detector names the tables it reads (`Detector.events`); the runner gives every detector of a run one `Events`
(in `AuditContext.events`), which builds a table the first time a detector asks for it and keeps it for the others,
so a table nobody chose is never built.

- `reimbursements` (`events/reimbursements.py`): every reimbursement, each once. Detectors do not read it
  directly but through `Events.allocator` (`events/allocator.py`), which hands each unit to one claim only.
- `refunds` (`events/refunds.py`): what each refund of an order item gave back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from fba_audit.events import refunds, reimbursements
from fba_audit.events.allocator import Allocator

if TYPE_CHECKING:
    from fba_audit.detectors._base import Detector
    from fba_audit.reports.model import LoadResult


@dataclass(frozen=True)
class EventTable:
    name: str
    needs: tuple[str, ...]  # datasets it cannot be built without (the detectors reading it need them too)
    uses: tuple[str, ...]  # datasets it reads when the run loaded them
    build: Callable[[Mapping[str, pl.DataFrame | None], str], pl.DataFrame]  # (datasets, currency) -> table


TABLES: dict[str, EventTable] = {t.name: t for t in (
    EventTable("reimbursements", ("reimbursements",), ("transactions", "inventory_ledger"), reimbursements.build),
    EventTable("refunds", ("transactions",), (), refunds.build),
)}


class Events:
    """The tables of one audit (`tables`), built on first use from `datasets`, for the detectors of the run."""

    def __init__(self, datasets: Mapping[str, pl.DataFrame | None], currency: str, tables: Iterable[str],
                 consumers: Collection[str] = ()) -> None:
        self._tables = {name: TABLES[name] for name in tables}
        self._datasets = datasets
        self._currency = currency
        self._built: dict[str, pl.DataFrame] = {}
        self._locks = {name: threading.Lock() for name in self._tables}
        self.allocator = Allocator(lambda: self.table("reimbursements"), consumers)

    @classmethod
    def for_run(cls, load: LoadResult, currency: str, detectors: Iterable[Detector]) -> Events:
        """The tables `detectors` declared, over the datasets of `load` (those no file fed are None)."""
        chosen = list(detectors)
        tables = {name for d in chosen for name in d.events}
        wanted = {d for name in tables for d in (*TABLES[name].needs, *TABLES[name].uses)}
        datasets = {d: load.datasets[d] if load.has(d) else None for d in wanted}
        consumers = [d.code for d in chosen if "reimbursements" in d.events]
        return cls(datasets, currency, tables, consumers)

    def table(self, name: str) -> pl.DataFrame:
        if name not in self._tables:
            raise KeyError(f"event table {name!r} was not declared by the detectors of this run "
                           f"(declared: {', '.join(sorted(self._tables)) or 'none'})")
        with self._locks[name]:
            if name not in self._built:
                self._built[name] = self._tables[name].build(self._datasets, self._currency)
            return self._built[name]

    @property
    def refunds(self) -> pl.DataFrame:
        return self.table("refunds")


__all__ = ["TABLES", "EventTable", "Events"]
