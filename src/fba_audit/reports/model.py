"""What loading a folder produces: the datasets, a summary per file, and every problem found."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from fba_audit.reports.marketplace import MarketplaceDecision


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as the input allows.

    `line` is the 1-based line in `file` (None for a whole-file problem); `column` is Amazon's own header
    text, so that the seller finds it in the file; `hint` says what to do about it.
    """

    file: str
    line: int | None
    column: str | None
    value: str | None
    message: str
    hint: str = ""
    # "error": the row or file was rejected; "warning": kept, but look at it; "info": nothing wrong, for the record
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.message}"
        return f"{text} {self.hint}".rstrip() if self.hint else text


@dataclass
class FileSummary:
    """What `check` prints for one input file. rows_read = rows_kept + duplicates + rows_rejected."""

    file: str
    kind: str | None = None  # a ReportKind key, None when unrecognised
    title: str | None = None
    datasets: tuple[str, ...] = ()  # the datasets this file feeds
    encoding: str | None = None
    delimiter: str | None = None
    rows_read: int = 0
    rows_kept: int = 0
    duplicates: int = 0
    rows_rejected: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    # The period the download states about itself (settlement start and end dates), when it states one.
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    header_cells: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    cached: bool = False  # read from the parse cache (`reports.cache`), not parsed in this run

    @property
    def usable(self) -> bool:
        return self.kind is not None and not any(p.severity == "error" and p.line is None for p in self.problems)


@dataclass
class LoadResult:
    """Every dataset (an empty frame of the right schema when no file gave it), plus the accounting."""

    datasets: dict[str, pl.DataFrame]
    files: list[FileSummary]
    # sku, title: one product title per SKU, from whichever report names it (`loader.TITLE_COLUMNS`); findings
    # carry it so that staff know the product by name.
    titles: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"sku": pl.String, "title": pl.String}))
    marketplace: MarketplaceDecision | None = None  # the run's marketplace, as the files and the option decide
    # A folder of several marketplaces (`marketplace.placement`): each one's own load, audited on its own. The
    # datasets above then hold all of them together, and `files` every file.
    parts: dict[str, LoadResult] = field(default_factory=dict)

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]

    def has(self, dataset: str) -> bool:
        """True when at least one usable file fed the dataset (even if it had no rows)."""
        return any(dataset in f.datasets and f.usable for f in self.files)
