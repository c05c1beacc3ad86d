"""Files that are not Amazon's download any more: workbooks, and reports re-saved by a spreadsheet program.

A seller opens a report in Excel and saves it again. Excel then writes long ids in scientific notation
(`1.23457E+11`: the id is lost, not just re-formatted), dates in the locale's short form (`3/2/2017`), and in
many European locales `;` between the fields. Amazon writes none of these: flat files are tab-delimited with
ISO 8601 dates, Seller Central's CSV downloads comma-delimited (docs/report-formats.md, "Delivery and
encodings"). Row by row such a file is a list of rejected values with no hint of the cause, and its ids, where
they parse, may name other orders. So the file is recognised as re-saved, said once, and not audited: only the original download
gives Amazon's values.

A workbook (.xlsx, .xls, .ods) dropped in the folder is recognised by its signature (a zip holding
`[Content_Types].xml` / `xl/`, the OLE2 compound file header, the OpenDocument mimetype) instead of being
decoded as text.
"""

from __future__ import annotations

import re

from fba_audit.reports.kinds import DATE, INT, MONEY, TIMESTAMP, Col

_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")  # Microsoft compound file: .xls (Excel 97-2003)
_ZIP = b"PK\x03\x04"

# "1.23457E+11", "2.40E+10", "1E+15": how a spreadsheet writes a number too long for its cell.
SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[Ee]\+\d+$")
# "3/2/2017", "03/02/17 18:16", "3/2/2017 6:16:34 PM": a short date in a column where Amazon writes ISO 8601.
SHORT_DATE = re.compile(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?( ?[AaPp][Mm])?)?$")


def workbook_kind(head: bytes) -> str | None:
    """What kind of spreadsheet workbook the file is, from its first bytes; None when it is not one."""
    if head.startswith(_OLE2):
        return "an Excel 97-2003 workbook (.xls)"
    if head.startswith(_ZIP):
        if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head[:200]:
            return "an OpenDocument spreadsheet (.ods)"
        if b"[Content_Types].xml" in head or b"xl/" in head:
            return "an Excel workbook (.xlsx)"
        return "a zip archive whose name does not end in .zip"
    return None


def workbook_hint(kind: str) -> str:
    if kind.startswith("a zip"):
        return "Rename it to end in .zip, so that fba-audit reads the reports inside."
    return ("Put Amazon's original download of the report (.txt or .csv, as Seller Central gives it) in the folder "
            "instead: fba-audit reads reports as Amazon writes them, and a workbook has lost Amazon's exact "
            "values.")


def sign_pattern(column: Col) -> str | None:
    """The regex of values a spreadsheet program writes in `column` and Amazon does not (None: no such form).
    Short dates count only where Amazon writes ISO 8601 (the ledger's own form is MM/DD/YYYY)."""
    if column.type in (INT, MONEY):
        return SCIENTIFIC.pattern
    if column.type == TIMESTAMP or (column.type == DATE and not any("/" in f for f in column.formats)):
        return SHORT_DATE.pattern
    return None


def is_id_column(name: str) -> bool:
    """Columns of long numeric ids (settlement, order item, reimbursement, reference ids), which a spreadsheet
    program shortens to scientific notation."""
    return name.endswith("_id") or name in ("order_item_code",)
