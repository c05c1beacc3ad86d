"""claims.xlsx: the workbook staff file claims from.

Sheets, in order: Summary (totals and a bar chart; with a claim ledger also the money recovered), Cases (claimable
findings not yet filed, grouped for filing), Follow up (filed cases that need staff's attention, from the claim
ledger), Expiring soon, one sheet per detector code, Expired (what late filing cost, per detector and month), Not
checked (what each detector could not judge, and why; detectors that did not run are rows of it), Input problems,
Files, Evidence.

The workbook is for action: its detector sheets and the Evidence sheet hold the claimable, review and waiting
findings (and filed ones, whatever their status); the expired ones, most of the findings of a big account, are
only added up, and listed one by one in findings.json and findings.csv. No sheet passes Excel's row limit: what does
not fit is left to those files, and the sheet says so.

The staff columns (`filed_on`, `case_id`, `outcome`, `notes`) of the Cases and detector sheets are read back into
the claim ledger (fba_audit.ledger.staff); the detector sheets show what the ledger already holds, so a new
month's workbook keeps staff's work.

The workbook is written in openpyxl's write-only mode, so memory stays flat however many findings there are.
That mode streams rows, which is why column widths and frozen panes are set before the first row and why
every cell is built here rather than edited afterwards.

Report text is never trusted: every string goes into a cell explicitly typed as text (openpyxl would
otherwise store a string starting with `=` as a formula, and one like `#N/A` as an error), and characters
XML cannot hold are replaced with U+FFFD, visibly, rather than crashing the run or vanishing silently.
For the same reason a hyperlink's address comes from `links`, built around an id of Amazon's exact form, and
the total row under every table holds numbers we added up, not formulas.

What staff work with is the same on every table sheet (`_table_sheet`), so a new sheet gets it by being one: the
total row below the filter, deadline columns coloured by how near they are to the audit date (rules fixed to
`--as-of`, not to the clock of whoever opens the file later), links on the id columns, and a print set-up of
landscape, one page wide, the header row on every page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties

from fba_audit.context import MARKETPLACE_CURRENCY
from fba_audit.coverage import STATUS_RAN
from fba_audit.findings import FINDINGS_COLUMNS, STATUSES
from fba_audit.ledger.view import STAFF_OUTCOMES, LedgerView, StaffEntry
from fba_audit.policy import CODE_FAMILY
from fba_audit.results import AuditResult
from fba_audit.writers._common import (
    DEADLINE_MONTH_DAYS,
    DEADLINE_WEEK_DAYS,
    GENERATED_BY,
    URGENT_STATUSES,
    atomic_write,
    check_per_case,
    input_files,
    input_problems,
)
from fba_audit.writers.evidence import cited_lines, evidence_items, filed_ids, in_workbook, report_rows
from fba_audit.writers.i18n import DETECTOR_TITLES_ZH, case_explanation_zh, cases_explanation_zh, texts_for
from fba_audit.writers.links import LINKS

MONEY_FORMAT = "#,##0.00"
# The most rows an Excel sheet holds (Excel's "Specifications and limits": 1,048,576 rows by 16,384 columns).
EXCEL_MAX_ROWS = 1_048_576
DATE_FORMAT = "yyyy-mm-dd"
# Amazon's inbound claims are filed per shipment; every other claim per item (FNSKU).
INBOUND_CODES = frozenset(code for code, family in CODE_FAMILY.items() if family == "inbound")
EXPIRING_WITHIN_DAYS = DEADLINE_WEEK_DAYS
# claimable and review share the top of a detector sheet, so that the nearest deadline comes first.
STATUS_RANK = {"claimable": 0, "review": 0, "waiting": 1, "expired": 2}
OUTCOME_KEYS = ("outcome.filed", "outcome.reimbursed", "outcome.denied", "outcome.not_filing")
OUTCOME_KEY_OF = dict(zip(STAFF_OUTCOMES, OUTCOME_KEYS, strict=True))
COMMENT_AUTHOR = "fba-audit"
# The finding fields that name a page in Seller Central or the store, and the kind of link each gets. Not
# `reference_id`: on a detector sheet it repeats the row's order or shipment id, which link already (each link
# costs the writing time of a styled cell and a relationship in the file).
FINDING_LINKS = {"order_id": "order", "shipment_id": "shipment", "asin": "asin"}

# What openpyxl refuses (ILLEGAL_CHARACTERS_RE) plus the two non-characters XML 1.0 also forbids.
XML_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

TEXT_WIDTH_CAP = 50
WRAP_WIDTH = 80
# The Summary's labels and detector titles are read whole: wider than a table's text, still bounded.
SUMMARY_WIDTH_CAP = 120
HEADER_FONT = Font(bold=True)
WRAP_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
LINK_FONT = Font(color="0563C1", underline="single")  # Excel's own Hyperlink style
# Deadlines within a week of the audit date red, within a month amber (Excel's "Light red fill with dark red text"
# and "Yellow fill with dark yellow text" presets, which staff know from their own sheets).
DEADLINE_WEEK_STYLE = {"fill": PatternFill(bgColor="FFC7CE", fill_type="solid"), "font": Font(color="9C0006")}
DEADLINE_MONTH_STYLE = {"fill": PatternFill(bgColor="FFEB9C", fill_type="solid"), "font": Font(color="9C5700")}


@dataclass(frozen=True)
class CaseGroup:
    """Claimable findings that go into one Seller Central case."""

    label: str  # "FBA02-X00ABC123-1": detector, shipment id or FNSKU, running number ("FBA02-UK-X00...-1" in a
    # run over several marketplaces)
    code: str
    findings: tuple[dict[str, Any], ...]  # rows of the findings frame, nearest deadline first

    @property
    def marketplace(self) -> str:
        """A case is filed in one marketplace's Seller Central: its findings are all of one."""
        return self.findings[0]["marketplace"]


def write_workbook(
    result: AuditResult,
    path: Path,
    *,
    lang: str = "en",
    per_case: int = 5,
    detector_titles: Mapping[str, str] | None = None,
) -> Path:
    """Write the claims workbook to `path` (atomically), in this process, and return `path`.

    `fba-audit run` writes it in a process of its own while the detectors run (`writers.workbook_process`)."""
    workbook = new_workbook(lang=lang, per_case=per_case, detector_titles=detector_titles)
    shown = report_rows(result.load, cited_lines(result.findings, filed_ids(result.ledger.staff if result.ledger
                                                                            else {})))

    def write(temporary: Path) -> None:
        workbook.finish(result, lambda: shown)
        workbook.book.save(temporary)

    try:
        return atomic_write(Path(path), write)
    finally:
        workbook.close_open_sheets()


def new_workbook(*, lang: str = "en", per_case: int = 5, detector_titles: Mapping[str, str] | None = None,
                 staff: Mapping[str, StaffEntry] | None = None) -> _Workbook:
    """An empty claims workbook: `detector_sheet` as each detector finishes, then `finish` and save `book`.

    `staff`: the staff columns already known per finding id (from the claim ledger), shown on the detector sheets;
    those findings are filed and left off the Cases sheet."""
    check_per_case(per_case)
    if lang == "zh":
        detector_titles = {**(detector_titles or {}), **DETECTOR_TITLES_ZH}
    return _Workbook(texts_for(lang), detector_titles or {}, per_case, staff or {}, explain_zh=lang == "zh")


def group_cases(findings: pl.DataFrame, per_case: int = 5) -> list[CaseGroup]:
    """Claimable findings grouped by detector and shipment (inbound codes) or FNSKU, at most `per_case` each.

    When a finding lacks its grouping id it falls back to the SKU, then the reference id, then its own id,
    so that it is still filed, just on its own. Labels are deterministic for the same findings.
    """
    check_per_case(per_case)
    claimable = findings.filter(pl.col("status") == "claimable").sort(
        ["code", "window_closes", "finding_id"], nulls_last=True
    )
    # A case goes to one marketplace's Seller Central: findings of a folder of several marketplaces are grouped per
    # marketplace too, and their labels name it.
    several = claimable["marketplace"].n_unique() > 1
    by_key: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in claimable.iter_rows(named=True):
        by_key.setdefault((row["code"], row["marketplace"], _case_key(row)), []).append(row)
    groups = []
    for code, marketplace, key in sorted(by_key):
        rows = by_key[code, marketplace, key]
        prefix = f"{code}-{marketplace}" if several else code
        for number, start in enumerate(range(0, len(rows), per_case), start=1):
            groups.append(CaseGroup(f"{prefix}-{key}-{number}", code, tuple(rows[start : start + per_case])))
    return groups


def _case_key(row: Mapping[str, Any]) -> str:
    preferred = row["shipment_id"] if row["code"] in INBOUND_CODES else row["fnsku"]
    return preferred or row["sku"] or row["reference_id"] or row["finding_id"]


@dataclass
class _Totals:
    """Count, units and value (per currency, exact) of a set of findings."""

    findings: int = 0
    units: int = 0
    not_valued: int = 0
    value: dict[str, Decimal] = field(default_factory=dict)

    def add(self, row: Mapping[str, Any]) -> None:
        self.findings += 1
        self.units += row["quantity"]
        if row["amount"] is None:
            self.not_valued += 1
        else:
            currency = row["currency"] or ""
            self.value[currency] = self.value.get(currency, Decimal("0")) + row["amount"]

    @classmethod
    def of(cls, rows: Iterable[Mapping[str, Any]]) -> _Totals:
        totals = cls()
        for row in rows:
            totals.add(row)
        return totals

    @classmethod
    def of_frame(cls, findings: pl.DataFrame) -> _Totals:
        """The same for a frame of findings, added up by polars (exact: Decimal sums)."""
        valued = (findings.filter(pl.col("amount").is_not_null())
                  .group_by(pl.col("currency").fill_null("")).agg(pl.col("amount").sum()))
        return cls(findings.height, int(findings["quantity"].sum()), findings["amount"].null_count(),
                   dict(valued.iter_rows()))


@dataclass(frozen=True)
class _Column:
    header: str
    kind: str = "text"  # text | wrap | int | money | date
    note: str | None = None  # shown as a comment on the header cell
    total: bool = False  # an int column the total row adds up (money columns always are, per currency)
    currency: bool = False  # the currency of the row's money: the total row adds up money per currency
    link: str | None = None  # a links.LINKS kind: the cell links to the page its value names
    deadline: bool = False  # a date coloured by how near it is to the audit date
    width: float | None = None  # a fixed width, for a column whose values are long anyway (no need to measure them)


class _Workbook:
    """Builds the sheets of one claims workbook; `book` is the openpyxl workbook to save. Detector sheets come one at
    a time (`detector_sheet`), the others with the whole result (`finish`), which also puts the sheets in order."""

    def __init__(self, texts: Mapping[str, str], detector_titles: Mapping[str, str], per_case: int,
                 staff: Mapping[str, StaffEntry] | None = None, *, explain_zh: bool = False) -> None:
        self.texts = texts
        self.detector_titles = detector_titles
        self.per_case = per_case
        self.staff = dict(staff or {})
        # A Chinese workbook explains each English case text in Chinese, in a column beside it.
        self.explain_zh = explain_zh
        self.book = Workbook(write_only=True)
        self.detector_sheets: dict[str, Any] = {}
        self.added_without_sheet: set[str] = set()  # codes added whose findings had nothing to list (all expired)
        self.rows_shown: dict[str, int] = {}  # sheet title -> its item rows (fewer than given when Excel's limit cut)
        # (sheet, range) of every deadline column: coloured by `finish`, once the audit date is known (a sheet's
        # conditional formats are written when the workbook is saved, after its rows).
        self.deadline_ranges: list[tuple[Any, str]] = []

    def finish(self, result: AuditResult, report_rows: Callable[[], Mapping[tuple[str, int], str]]) -> None:
        """Write the sheets other than the detector sheets added so far, and put them all in order.

        `report_rows` gives the report row of every line `cited_lines` names; it is called for the Evidence sheet,
        which comes last, so a writer in another process can begin before the rows are looked up."""
        self.result = result
        self.report_rows = report_rows
        if result.ledger is not None:
            self.staff.update(result.ledger.staff)
        filed = self._filed_ids()
        listed = in_workbook(result.findings.select(FINDINGS_COLUMNS), filed)
        self.rows = list(listed.iter_rows(named=True))
        self.expired = result.findings.filter(pl.col("status") == "expired")
        self.expired_unfiled = self.expired.filter(~pl.col("finding_id").is_in(list(filed)))
        self.cases = group_cases(self._not_filed(listed), self.per_case)
        self.case_of = {row["finding_id"]: case.label for case in self.cases for row in case.findings}
        valued = result.findings.filter(pl.col("amount").is_not_null())["currency"].fill_null("")
        self.currencies = sorted(set(valued))
        added = set(self.detector_sheets) | self.added_without_sheet
        unknown = sorted(added - set(result.findings["code"]))
        if unknown:
            raise ValueError(f"findings of {unknown} were added but are not in the result")
        codes = sorted({row["code"] for row in self.rows})
        for code in codes:
            if code not in self.detector_sheets:
                self.detector_sheet(code, listed.filter(pl.col("code") == code))
        order = [self._summary_sheet(), self._cases_sheet(), self._follow_up_sheet(), self._expiring_sheet(),
                 *(self.detector_sheets[code] for code in codes), self._expired_sheet(),
                 self._not_checked_sheet(), self._problems_sheet(), self._files_sheet(), self._evidence_sheet()]
        self._colour_deadlines(result.as_of)
        # Detector sheets were made as their detectors finished: the sheets go in reading order for the save.
        for index, ws in enumerate(order):
            self.book.move_sheet(ws.title, index - self.book.sheetnames.index(ws.title))

    def close_open_sheets(self) -> None:
        """After a failure, finish the sheets openpyxl is still streaming to its spool files.

        Otherwise their row generators are closed during garbage collection, after their files, and Python
        prints "Exception ignored" tracebacks that bury the real error. openpyxl deletes the spool files
        when the interpreter exits.
        """
        for ws in self.book.worksheets:
            if not ws.closed:
                # NOTE: a second error here would hide the one being raised, which is the one that matters.
                with contextlib.suppress(Exception):
                    ws.close()

    # ---- sheets ----

    def _summary_sheet(self) -> Any:
        t = self.texts
        ws = self.book.create_sheet(t["sheet.summary"])
        print_setup(ws, title_rows=None)
        lines: list[list[object]] = [
            [self._cell(ws, t["summary.title"], font=HEADER_FONT)],
            [self._cell(ws, t["summary.as_of"]), self._cell(ws, self.result.as_of, "date")],
            [self._cell(ws, t["summary.marketplace"]), self._cell(ws, self.result.marketplace)],
            [self._cell(ws, t["summary.generated_by"]), self._cell(ws, GENERATED_BY)],
            [],
            [self._cell(ws, t["summary.by_detector"], font=HEADER_FONT)],
        ]
        value_headers = [self._value_header(currency) for currency in self.currencies]
        headers = [t["col.code"], t["col.title"], t["col.findings"], t["col.units"], t["col.not_valued"]]
        lines.append([self._cell(ws, header, font=HEADER_FONT) for header in headers + value_headers])
        header_row = len(lines)  # below the title, three facts, a blank row and the heading
        # A claim staff already filed is not money to claim now (the Cases sheet leaves it out too).
        filed = self._filed_ids()
        claimable = [row for row in self.rows if row["status"] == "claimable" and row["finding_id"] not in filed]
        codes = sorted({row["code"] for row in claimable})
        for code in codes:
            totals = _Totals.of(row for row in claimable if row["code"] == code)
            lines.append(self._totals_cells(ws, [code, self.detector_titles.get(code)], totals))
        lines.append(self._totals_cells(ws, [t["summary.total"], None], _Totals.of(claimable), font=HEADER_FONT))
        already = [row for row in self.rows if row["status"] == "claimable" and row["finding_id"] in filed]
        if already:
            lines.append(self._totals_cells(ws, [t["summary.already_filed"], None], _Totals.of(already)))
        lines.append([])
        if self.result.parts:
            # A folder of several marketplaces: each one's claimable money in its own currency's column.
            lines.append([self._cell(ws, t["summary.by_marketplace"], font=HEADER_FONT)])
            lines.append([self._cell(ws, header, font=HEADER_FONT)
                          for header in [t["col.marketplace"], t["col.currency"], *headers[2:], *value_headers]])
            for code in self.result.marketplaces:
                totals = _Totals.of(row for row in claimable if row["marketplace"] == code)
                lines.append(self._totals_cells(ws, [code, MARKETPLACE_CURRENCY.get(code)], totals))
            lines.append([])

        lines.append([self._cell(ws, t["summary.by_status"], font=HEADER_FONT)])
        status_headers = [None, t["col.status"], *headers[2:], *value_headers]
        lines.append([self._cell(ws, header, font=HEADER_FONT) for header in status_headers])
        for status in STATUSES:
            totals = (_Totals.of_frame(self.expired) if status == "expired"
                      else _Totals.of(row for row in self.rows if row["status"] == status))
            lines.append(self._totals_cells(ws, [t[f"summary.{status}"], t[f"status.{status}"]], totals))
        lines.append([])

        lines.append([self._cell(ws, t["summary.key_dates"], font=HEADER_FONT)])
        urgent = [r for r in self.rows if r["status"] in URGENT_STATUSES and r["window_closes"] is not None
                  and r["finding_id"] not in filed]
        waiting = [r for r in self.rows if r["status"] == "waiting" and r["window_opens"] is not None]
        lines.append(self._key_date_cells(ws, t["summary.nearest_deadline"], urgent, "window_closes"))
        lines.append(self._key_date_cells(ws, t["summary.earliest_opening"], waiting, "window_opens"))

        # Every label and detector title is shown whole (the title row is long on purpose and may run over).
        minimum = [12, 12, 12, 12, 12] + [16] * len(self.currencies)
        for index, floor in enumerate(minimum):
            texts = (_plain(line[index]) for line in lines[1:] if len(line) > index)
            longest = max((_display_width(str(value)) for value in texts if value is not None), default=0)
            ws.column_dimensions[get_column_letter(index + 1)].width = min(max(floor, longest + 2), SUMMARY_WIDTH_CAP)
        for line in lines:
            ws.append(line)
        self._recovery_rows(ws)

        if codes and self.currencies:
            self._add_claimable_chart(ws, header_row, len(codes), first_value_column=len(headers) + 1)
        return ws

    def _recovery_rows(self, ws: Any) -> None:
        """Money recovered this month and year, and claimed vs paid per detector: only with a claim ledger; one
        block per marketplace in a run over several (each in its own currency)."""
        for part in self.result.by_marketplace():
            if part.ledger is not None:
                self._recovery_block(ws, part.ledger, part.marketplace if self.result.parts else None)

    def _recovery_block(self, ws: Any, ledger: LedgerView, marketplace: str | None) -> None:
        t = self.texts
        ws.append([])
        heading = t["summary.recovery"] + (f": {marketplace}" if marketplace else "")
        ws.append([self._cell(ws, heading, font=HEADER_FONT)])
        ws.append([self._cell(ws, t["summary.ledger"]), self._cell(ws, ledger.location)])
        for key, value in (("summary.recovered_month", ledger.recovered_this_month),
                           ("summary.recovered_year", ledger.recovered_this_year)):
            ws.append([self._cell(ws, t[key]), self._cell(ws, value, "money"), self._cell(ws, ledger.currency)])
        ws.append([])
        ws.append([self._cell(ws, t["summary.claimed_vs_paid"], font=HEADER_FONT)])
        headers = [t["col.code"], t["col.title"], t["col.claimed"], t["col.paid"], t["col.recovery_rate"],
                   t["col.paid_without_case"]]
        ws.append([self._cell(ws, header, font=HEADER_FONT) for header in headers])
        for item in ledger.by_detector:
            ws.append(self._recovery_cells(ws, [item.code, self.detector_titles.get(item.code)], item.claimed,
                                           item.paid, item.rate, item.paid_without_case))
        ws.append(self._recovery_cells(ws, [t["summary.total"], None], ledger.claimed_total, ledger.paid_total,
                                       ledger.recovery_rate, ledger.paid_without_case_total, font=HEADER_FONT))

    def _recovery_cells(self, ws: Any, labels: list[object], claimed: Decimal, paid: Decimal,
                        rate: Decimal | None, without_case: Decimal, font: Font | None = None) -> list[object]:
        rate_cell = WriteOnlyCell(ws, value=rate)
        rate_cell.number_format = "0.0%"
        if font is not None:
            rate_cell.font = font
        return [*(self._cell(ws, label, font=font) for label in labels), self._cell(ws, claimed, "money", font=font),
                self._cell(ws, paid, "money", font=font), rate_cell,
                self._cell(ws, without_case, "money", font=font)]

    def _add_claimable_chart(self, ws: Any, header_row: int, detector_rows: int, first_value_column: int) -> None:
        """A bar per detector and currency, drawn from the by-detector table's value columns."""
        chart = BarChart()
        chart.type = "col"
        chart.title = self.texts["summary.chart_title"]
        chart.y_axis.numFmt = MONEY_FORMAT
        # NOTE: openpyxl 3.1 leaves `delete` unset and recent Excel then hides both axes.
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        last_value_column = first_value_column + len(self.currencies) - 1
        data = Reference(
            ws,
            min_col=first_value_column,
            max_col=last_value_column,
            min_row=header_row,
            max_row=header_row + detector_rows,
        )
        codes = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + detector_rows)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(codes)
        chart.width, chart.height = 18, 9
        ws.add_chart(chart, f"{get_column_letter(last_value_column + 2)}2")

    def _cases_sheet(self) -> Any:
        t = self.texts
        columns = [
            _Column(t["col.case_group"]),
            _Column(t["col.code"]),
            _Column(t["col.findings"], "int", total=True),
            _Column(t["col.units"], "int", total=True),
            _Column(t["col.value"], "money"),
            _Column(t["col.currency"], currency=True),
            _Column(t["col.earliest_deadline"], "date", t["note.deadline"], deadline=True),
            _Column(t["col.reference_ids"]),
            _Column(t["col.finding_ids"], "wrap"),
            _Column(t["col.case_text"], "wrap", t["note.case_text"]),
            *([_Column(t["col.explanation_zh"], "wrap")] if self.explain_zh else []),
            _Column(t["col.case_log"], link="case_log"),
            _Column(t["col.sku"], "wrap"),
            _Column(t["col.fnsku"], "wrap"),
            _Column(t["col.asin"], "wrap"),
            *self._staff_columns(),
        ]
        rows = []
        for case in self.cases:
            totals = _Totals.of(case.findings)
            # A case is of one marketplace (`group_cases`), so one currency; should a case ever mix currencies, its
            # value cannot be added up and is left empty with every currency named.
            value = next(iter(totals.value.values())) if len(totals.value) == 1 else None
            deadlines = [row["window_closes"] for row in case.findings if row["window_closes"] is not None]
            references = dict.fromkeys(row["reference_id"] for row in case.findings if row["reference_id"])
            rows.append([
                case.label,
                case.code,
                totals.findings,
                totals.units,
                value,
                ", ".join(totals.value) or None,
                min(deadlines, default=None),
                ", ".join(references),
                "\n".join(row["finding_id"] for row in case.findings),
                "\n\n".join(row["case_text"] for row in case.findings),
                *([cases_explanation_zh(case.code, totals.findings, totals.units, value, ", ".join(totals.value),
                                        min(deadlines, default=None))] if self.explain_zh else []),
                t["link.case_log"],
                *("\n".join(dict.fromkeys(row[key] for row in case.findings if row[key]))
                  for key in ("sku", "fnsku", "asin")),
                None, None, None, None,
            ])
        ws = self._table_sheet(t["sheet.cases"], columns, rows,
                               row_marketplaces=[case.marketplace for case in self.cases])
        self._outcome_dropdown(ws, len(columns) - 1)
        return ws

    def _follow_up_sheet(self) -> Any:
        """Filed cases that need staff: unpaid too long, denied but still reopenable, partly paid, reversed."""
        t = self.texts
        ledger: LedgerView | None = self.result.ledger
        columns = [
            _Column(t["col.follow_up_kind"]),
            _Column(t["col.case_id"]),
            _Column(t["col.code"]),
            _Column(t["col.finding_ids"], "wrap"),
            _Column(t["col.filed_on"], "date"),
            _Column(t["col.claimed"], "money"),
            _Column(t["col.reimbursed"], "money"),
            _Column(t["col.outstanding"], "money"),
            _Column(t["col.act_by"], "date"),
            _Column(t["col.action"], "wrap", t["note.message"]),
        ]
        rows = [
            [t[f"follow_up.{item.kind}"], item.case_id, item.code, "\n".join(item.finding_ids), item.filed_on,
             item.claimed, item.reimbursed, item.outstanding, item.act_by, item.action]
            for item in (ledger.follow_up if ledger is not None else [])
        ]
        return self._table_sheet(t["sheet.follow_up"], columns, rows)

    def _expiring_sheet(self) -> Any:
        t = self.texts
        as_of = self.result.as_of
        last_day = as_of + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
        expiring = sorted(
            (
                row
                for row in self.rows
                if row["status"] in URGENT_STATUSES
                and row["window_closes"] is not None
                and as_of <= row["window_closes"] <= last_day
                and row["finding_id"] not in self._filed_ids()  # filed already: nothing to rush
            ),
            key=lambda row: (row["window_closes"], row["finding_id"]),
        )
        columns = [
            _Column(t["col.finding_id"]),
            _Column(t["col.code"]),
            _Column(t["col.status"]),
            _Column(t["col.window_closes"], "date", t["note.deadline"], deadline=True),
            _Column(t["col.days_left"], "int"),
            _Column(t["col.reference_id"], link="reference"),
            _Column(t["col.sku"]),
            _Column(t["col.fnsku"]),
            _Column(t["col.quantity"], "int", total=True),
            _Column(t["col.amount"], "money"),
            _Column(t["col.currency"], currency=True),
            _Column(t["col.case_group"]),
            _Column(t["col.message"], "text", t["note.message"]),
        ]
        rows = [
            [
                row["finding_id"],
                row["code"],
                t[f"status.{row['status']}"],
                row["window_closes"],
                (row["window_closes"] - as_of).days,
                row["reference_id"],
                row["sku"],
                row["fnsku"],
                row["quantity"],
                row["amount"],
                row["currency"],
                self.case_of.get(row["finding_id"]),
                row["message"],
            ]
            for row in expiring
        ]
        return self._table_sheet(t["sheet.expiring"], columns, rows,
                                 row_marketplaces=[row["marketplace"] for row in expiring])

    def detector_sheet(self, code: str, findings: pl.DataFrame) -> None:
        """The sheet of one detector's findings (`FINDINGS_COLUMNS`), nearest deadline first; expired findings are
        left out (the Expired sheet sums them up), and a detector with nothing else gets no sheet."""
        listed = in_workbook(findings, self._filed_ids())
        if listed.is_empty():
            if not findings.is_empty():
                self.added_without_sheet.add(code)
            return
        findings = listed
        t = self.texts
        columns = [self._finding_column(name) for name in FINDINGS_COLUMNS] + [
            *([_Column(t["col.explanation_zh"], "wrap")] if self.explain_zh else []),
            _Column(t["col.case_group"]),
            *self._staff_columns(),
        ]
        status_at = FINDINGS_COLUMNS.index("status")
        # Case labels are numbered within a detector: its own findings give the labels the whole result gives.
        case_of = {row["finding_id"]: case.label for case in group_cases(self._not_filed(findings), self.per_case)
                   for row in case.findings}
        ordered = sorted(
            findings.select(FINDINGS_COLUMNS).iter_rows(named=True),
            key=lambda row: (
                STATUS_RANK[row["status"]],
                row["window_closes"] is None,
                row["window_closes"] or dt.date.min,
                row["finding_id"],
            ),
        )
        rows = []
        for finding in ordered:
            values = [finding[name] for name in FINDINGS_COLUMNS]
            values[status_at] = t[f"status.{finding['status']}"]
            explanation = [case_explanation_zh(finding)] if self.explain_zh else []
            rows.append([*values, *explanation, case_of.get(finding["finding_id"]),
                         *self._staff_values(finding["finding_id"])])
        # Each row links to the pages of its own marketplace (a folder of several gives a sheet of several).
        ws = self._table_sheet(code, columns, rows, row_marketplaces=[finding["marketplace"] for finding in ordered])
        self._outcome_dropdown(ws, len(columns) - 1)
        self.detector_sheets[code] = ws

    # ---- staff columns ----

    def _staff_columns(self) -> list[_Column]:
        t = self.texts
        return [
            _Column(t["col.filed_on"], "date"),
            _Column(t["col.case_id"]),
            _Column(t["col.outcome"], "text", t["note.outcome"]),
            _Column(t["col.notes"], "wrap"),
        ]

    def _outcome_dropdown(self, ws: Any, column: int) -> None:
        rows = self.rows_shown[ws.title]
        letter = get_column_letter(column)
        outcomes = ",".join(self.texts[key] for key in OUTCOME_KEYS)
        dropdown = DataValidation(type="list", formula1=f'"{outcomes}"', allow_blank=True, showErrorMessage=True)
        dropdown.add(f"{letter}2:{letter}{max(rows, 1) + 1}")
        ws.data_validations.append(dropdown)

    def _staff_values(self, finding_id: str) -> list[object]:
        entry = self.staff.get(finding_id)
        if entry is None:
            return [None, None, None, None]
        outcome = self.texts[OUTCOME_KEY_OF[entry.outcome]] if entry.outcome in OUTCOME_KEY_OF else None
        return [entry.filed_on, entry.case_id, outcome, entry.notes]

    def _filed_ids(self) -> set[str]:
        return filed_ids(self.staff)

    def _not_filed(self, findings: pl.DataFrame) -> pl.DataFrame:
        """Findings without a case: only these are offered for filing (a filed claim is never listed as new)."""
        filed = self._filed_ids()
        return findings.filter(~pl.col("finding_id").is_in(list(filed))) if filed else findings

    def _expired_sheet(self) -> Any:
        """What late filing cost: expired findings never filed, added up per detector and the month their window
        closed (a filed one stays on its detector sheet, for its case).

        One by one they would be most of a big account's workbook (69 % of the findings of one simulated account)
        while nobody can file them any more; findings.json and findings.csv list every one."""
        t = self.texts
        columns = [
            _Column(t["col.code"]),
            _Column(t["col.title"], width=TEXT_WIDTH_CAP),
            _Column(t["col.deadline_month"], note=t["note.deadline_month"]),
            _Column(t["col.findings"], "int", t["note.expired"], total=True),
            _Column(t["col.units"], "int", total=True),
            _Column(t["col.not_valued"], "int", total=True),
            _Column(t["col.value"], "money"),
            _Column(t["col.currency"], currency=True),
        ]
        months = (
            self.expired_unfiled.group_by(
                "code", pl.coalesce("window_closes", "event_date").dt.strftime("%Y-%m").alias("month"), "currency")
            .agg(pl.len(), pl.col("quantity").sum(), pl.col("amount").null_count().alias("not_valued"),
                 pl.col("amount").sum().alias("value"), pl.col("amount").is_not_null().any().alias("valued"))
            .sort("code", "month", "currency", nulls_last=True)  # group_by order is not stable
        )
        rows = [[code, self.detector_titles.get(code), month, count, units, not_valued, value if valued else None,
                 currency]
                for code, month, currency, count, units, not_valued, value, valued in months.iter_rows()]
        return self._table_sheet(t["sheet.expired"], columns, rows)

    def _not_checked_sheet(self) -> Any:
        """One row per detector and reason it could not judge items for (every item listed); a detector that
        judged everything has one row with 0 not checked, so that every detector asked for is on the sheet."""
        t = self.texts
        columns = [_Column(t["col.code"]), _Column(t["col.name"]), _Column(t["col.run_status"]),
                   _Column(t["col.item"]), _Column(t["col.judged"], "int"), _Column(t["col.findings"], "int"),
                   _Column(t["col.reason"], "wrap"), _Column(t["col.not_checked"], "int", total=True),
                   _Column(t["col.items"], "wrap", t["note.items"]), _Column(t["col.coverage_notes"], "wrap"),
                   _Column(t["col.download"], "wrap")]
        # A run over several marketplaces: each one's detectors, the marketplace in a first column.
        several = bool(self.result.parts)
        if several:
            columns.insert(0, _Column(t["col.marketplace"]))
        rows = []
        for part in self.result.by_marketplace():
            for entry in part.coverage:
                facts = [*([part.marketplace] if several else []), entry.code, entry.name,
                         t[f"run_status.{entry.status}"], entry.item or None, entry.judged,
                         entry.findings if entry.status == STATUS_RAN else None]
                notes, download = "\n".join(entry.notes) or None, entry.download or None
                for reason in entry.not_checked or (None,):
                    if reason is None:
                        rows.append([*facts, None, 0, None, notes, download])
                    else:
                        rows.append([*facts, reason.reason, reason.count, _items_text(reason.items), notes,
                                     download])
        return self._table_sheet(t["sheet.not_checked"], columns, rows)

    def _problems_sheet(self) -> Any:
        t = self.texts
        columns = [
            _Column(t["col.file"]),
            _Column(t["col.line"], "int"),
            _Column(t["col.column"]),
            _Column(t["col.problem_value"]),
            _Column(t["col.message"], "text", t["note.message"]),
            _Column(t["col.hint"]),
            _Column(t["col.severity"]),
        ]
        rows = [[p.file, p.line, p.column, p.value, p.message, p.hint, p.severity] for p in input_problems(self.result)]
        return self._table_sheet(t["sheet.problems"], columns, rows)

    def _files_sheet(self) -> Any:
        t = self.texts
        columns = [
            _Column(t["col.file"]),
            _Column(t["col.kind"]),
            _Column(t["col.rows_read"], "int", total=True),
            _Column(t["col.rows_kept"], "int", total=True),
            _Column(t["col.duplicates"], "int", total=True),
            _Column(t["col.rows_rejected"], "int", total=True),
            _Column(t["col.first_date"], "date"),
            _Column(t["col.last_date"], "date"),
            _Column(t["col.encoding"]),
        ]
        rows = [
            [f.file, f.kind, f.rows_read, f.rows_kept, f.duplicates, f.rows_rejected, f.first_date, f.last_date,
             f.encoding]
            for f in input_files(self.result)
        ]
        return self._table_sheet(t["sheet.files"], columns, rows)

    def _evidence_sheet(self) -> Any:
        t = self.texts
        columns = [
            _Column(t["col.finding_id"]),
            _Column(t["col.code"]),
            _Column(t["col.file"]),
            _Column(t["col.line"], "int"),
            _Column(t["col.report_row"], "text", t["note.report_row"], width=TEXT_WIDTH_CAP),
        ]
        cited = [
            (row["finding_id"], row["code"], file, line)
            for row in sorted(self.rows, key=lambda row: row["finding_id"])
            for file, line in evidence_items(row["evidence"])
        ]
        shown = self.report_rows()
        rows = [[*item, shown.get((item[2], item[3]))] for item in cited]
        return self._table_sheet(t["sheet.evidence"], columns, rows)

    # ---- building blocks ----

    def _table_sheet(self, title: str, columns: Sequence[_Column], rows: Sequence[Sequence[object]],
                     *, marketplace: str | None = None, row_marketplaces: Sequence[str] | None = None) -> Any:
        """A sheet with a bold, frozen, filterable header row, one row per item, and a total row below them.

        Cells of a `link` column link to the page their value names in `marketplace` (or in each row's own,
        `row_marketplaces`), when it has one."""
        ws = self.book.create_sheet(title)
        # Write-only sheets emit widths, panes and print properties before the rows, so they are settled first.
        print_setup(ws)
        for index, column in enumerate(columns, start=1):
            values = (row[index - 1] for row in rows)
            ws.column_dimensions[get_column_letter(index)].width = _column_width(column, values)
        ws.freeze_panes = "A2"
        ws.append([self._header_cell(ws, column) for column in columns])
        linked = [(index, LINKS[column.link]) for index, column in enumerate(columns) if column.link]
        kinds = [column.kind for column in columns]
        totals = _total_rows(columns, rows, self.texts)
        # Excel opens no sheet longer than its row limit: what does not fit is left to findings.csv and .json, and
        # a row under the totals says so. The totals still add up every row.
        fitting = EXCEL_MAX_ROWS - 1 - len(totals)
        left_out = 0
        if len(rows) > fitting:
            left_out = len(rows) - (fitting - 1)
            rows, every_row = rows[:fitting - 1], rows
        for number, row in enumerate(rows):
            cells = [self._cell(ws, value, kind) for value, kind in zip(row, kinds, strict=True)]
            where = row_marketplaces[number] if row_marketplaces is not None else marketplace
            for index, address in linked:
                url = address(row[index], where) if row[index] is not None else None
                if url is not None:
                    cells[index] = self._cell(ws, row[index], kinds[index], link=url)
            ws.append(cells)
        last_letter = get_column_letter(len(columns))
        self.rows_shown[ws.title] = len(rows)
        # The filter covers the items only, so that sorting or filtering them never moves the totals.
        ws.auto_filter.ref = f"A1:{last_letter}{len(rows) + 1}"
        for total in totals:
            ws.append([self._cell(ws, value, column.kind, font=HEADER_FONT)
                       for value, column in zip(total, columns, strict=True)])
        if left_out:
            ws.append([self._cell(ws, self.texts["table.left_out"].format(
                shown=len(rows), count=len(every_row), left_out=left_out), font=HEADER_FONT)])
        for index, column in enumerate(columns, start=1):
            if column.deadline and rows:
                letter = get_column_letter(index)
                self.deadline_ranges.append((ws, f"{letter}2:{letter}{len(rows) + 1}"))
        return ws

    def _colour_deadlines(self, as_of: dt.date) -> None:
        """Deadlines within a week of the audit date red, within a month amber: dates fixed when the workbook is
        written (`as_of`), so that an old workbook still shows what was urgent on its audit date."""
        week_end = as_of + dt.timedelta(days=DEADLINE_WEEK_DAYS)
        month_end = as_of + dt.timedelta(days=DEADLINE_MONTH_DAYS)
        for ws, ref in self.deadline_ranges:
            # NOTE: one rule object per range: openpyxl numbers a rule's priority and style when it is added.
            ws.conditional_formatting.add(ref, CellIsRule(
                operator="between", formula=[_excel_date(as_of), _excel_date(week_end)], stopIfTrue=True,
                **DEADLINE_WEEK_STYLE))
            ws.conditional_formatting.add(ref, CellIsRule(
                operator="between", formula=[_excel_date(week_end + dt.timedelta(days=1)), _excel_date(month_end)],
                stopIfTrue=True, **DEADLINE_MONTH_STYLE))

    def _header_cell(self, ws: Any, column: _Column) -> WriteOnlyCell:
        cell = self._cell(ws, column.header, font=HEADER_FONT)
        if column.note:
            cell.comment = Comment(column.note, COMMENT_AUTHOR, width=300, height=80)
        return cell

    def _cell(self, ws: Any, value: object, kind: str = "text", *, font: Font | None = None,
              link: str | None = None) -> object:
        """One cell, typed on purpose: text stays text, money and dates get their formats even when empty.

        `link` is an address built by `links`, never one taken from a report."""
        if value is None and kind not in ("money", "date"):
            return None
        if font is None and link is None and kind in ("text", "int") and (
            isinstance(value, int) or (isinstance(value, str) and value[:1] not in ("=", "#")
                                       and not XML_ILLEGAL_CHARACTERS.search(value))
        ):
            # A plain value needs no cell object of its own (most of a big sheet). Text that openpyxl would
            # store as a formula ("=...") or an error value ("#N/A") takes the typed cell below.
            return value
        cell = safe_cell(ws, value)
        if kind == "money":
            cell.number_format = MONEY_FORMAT
        elif kind == "date":
            cell.number_format = DATE_FORMAT
        elif kind == "wrap":
            cell.alignment = WRAP_ALIGNMENT
        if font is not None:
            cell.font = font
        if link is not None:
            cell.hyperlink = link
            cell.font = LINK_FONT
        return cell

    def _totals_cells(self, ws: Any, labels: list[object], totals: _Totals, font: Font | None = None) -> list[object]:
        counts = [self._cell(ws, n, "int", font=font) for n in (totals.findings, totals.units, totals.not_valued)]
        values = [self._cell(ws, totals.value.get(currency), "money", font=font) for currency in self.currencies]
        return [self._cell(ws, label, font=font) for label in labels] + counts + values

    def _key_date_cells(self, ws: Any, label: str, rows: list[dict[str, Any]], date_field: str) -> list[object]:
        if not rows:
            return [self._cell(ws, label), self._cell(ws, self.texts["summary.none"])]
        first = min(rows, key=lambda row: (row[date_field], row["finding_id"]))
        return [self._cell(ws, label), self._cell(ws, first[date_field], "date"), self._cell(ws, first["finding_id"])]

    def _value_header(self, currency: str) -> str:
        return self.texts["col.value_in"].format(currency=currency) if currency else self.texts["col.value"]

    def _finding_column(self, name: str) -> _Column:
        # `col.title` is the detector's name on the other sheets; a finding's title is the product's.
        header = self.texts["col.product_title" if name == "title" else f"col.{name}"]
        if name == "quantity":
            return _Column(header, "int", total=True)
        if name == "amount":
            return _Column(header, "money")
        if name == "currency":
            return _Column(header, currency=True)
        if name == "window_closes":
            return _Column(header, "date", self.texts["note.deadline"], deadline=True)
        if name in ("event_date", "window_opens"):
            return _Column(header, "date")
        if name in FINDING_LINKS:
            return _Column(header, link=FINDING_LINKS[name])
        if name == "case_text":
            return _Column(header, "wrap", self.texts["note.case_text"])
        if name == "message":
            return _Column(header, "text", self.texts["note.message"])
        return _Column(header)


def safe_cell(ws: Any, value: object) -> WriteOnlyCell:
    """A cell holding `value` as it is: text always as text, never a formula or an error value, with the
    characters XML cannot hold replaced (report text, and folder names in the agency workbook, can be anything)."""
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=XML_ILLEGAL_CHARACTERS.sub("\ufffd", value))
        # NOTE: assigning a str starting with "=" makes openpyxl store a formula; "s" undoes that.
        cell.data_type = "s"
        return cell
    return WriteOnlyCell(ws, value=value)


def print_setup(ws: Any, *, title_rows: str | None = "1:1") -> None:
    """Landscape, as wide as one page (as many pages down as it takes), the header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # 0: no limit on the pages down
    # NOTE: the fit only applies with fitToPage, a sheet property written before the rows.
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if title_rows:
        ws.print_title_rows = title_rows


def _total_rows(columns: Sequence[_Column], rows: Sequence[Sequence[object]],
                texts: Mapping[str, str]) -> list[list[object]]:
    """The total row of a table: how many rows, the sum of each total column, and money added up per currency.

    Real numbers, not formulas: nothing from a report ever becomes a formula, and the totals are exact Decimals.
    With several currencies the first row counts everything and leaves money empty (amounts in different
    currencies do not add up), and one row per currency follows with its own count, units and money."""
    currency_at = next((index for index, column in enumerate(columns) if column.currency), None)
    has_money = any(column.kind == "money" for column in columns)
    currencies = sorted({row[currency_at] for row in rows if row[currency_at]}) if (
        currency_at is not None and has_money) else []
    groups: list[tuple[str, Sequence[Sequence[object]], str | None]] = [
        (_total_label(texts, len(rows)), rows, currencies[0] if len(currencies) == 1 else None)
    ]
    if len(currencies) > 1:
        for currency in currencies:
            subset = [row for row in rows if row[currency_at] == currency]
            groups.append((_total_label(texts, len(subset), currency), subset, currency))
    totals = []
    for label, subset, currency in groups:
        cells: list[object] = [None] * len(columns)
        for index, column in enumerate(columns):
            if column.total:
                cells[index] = sum(row[index] or 0 for row in subset)
            elif column.kind == "money" and currency is not None:
                amounts = [row[index] for row in subset if row[index] is not None]
                cells[index] = sum(amounts, Decimal("0")) if amounts else None
            elif column.currency:
                cells[index] = currency
        cells[0] = label
        totals.append(cells)
    return totals


def _total_label(texts: Mapping[str, str], count: int, currency: str | None = None) -> str:
    if currency:
        key = "total.currency_one_row" if count == 1 else "total.currency_rows"
    else:
        key = "total.one_row" if count == 1 else "total.rows"
    return texts[key].format(count=count, currency=currency)


def _excel_date(day: dt.date) -> str:
    return f"DATE({day.year},{day.month},{day.day})"


def _plain(cell: object) -> object:
    """The value of a cell as `_cell` returns it (a plain value, or a cell object holding it)."""
    return cell.value if isinstance(cell, Cell) else cell
# Excel holds at most 32,767 characters in a cell: a longer list of items ends with how many more there are.
ITEMS_CELL_LIMIT = 32_000


def _items_text(items: Sequence[str]) -> str | None:
    text = ", ".join(items)
    if len(text) <= ITEMS_CELL_LIMIT:
        return text or None
    shown = []
    size = 0
    for item in items:
        if size + len(item) + 2 > ITEMS_CELL_LIMIT - 60:
            break
        shown.append(item)
        size += len(item) + 2
    return f"{', '.join(shown)} ... and {len(items) - len(shown)} more (all are in findings.json)"


def _column_width(column: _Column, values: Iterable[object]) -> float:
    """Wide enough for the header and the longest value, within a cap so one long text cannot take the screen."""
    header = _display_width(column.header) + 2
    if column.width is not None:
        return column.width
    if column.kind == "wrap":
        return WRAP_WIDTH
    if column.kind == "date":
        return max(header, 12)
    if column.kind == "money":
        return max(header, 14)
    longest = max((_display_width(str(value)) for value in values if value is not None), default=0)
    return min(max(header, longest + 2, 8), TEXT_WIDTH_CAP)


def _display_width(text: str) -> int:
    # Chinese characters take two columns in Excel's default fonts.
    longest_line = max(text.split("\n"), key=len, default="")
    if longest_line.isascii():
        return len(longest_line)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in longest_line)
