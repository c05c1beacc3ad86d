"""The outputs of a monthly run: the claims workbook for staff, and JSON and CSV for programs.

File names are fixed here, never taken from report content, so nothing is written outside `out_dir`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fba_audit.results import AuditResult
from fba_audit.writers.csv_out import write_csv
from fba_audit.writers.excel import write_workbook
from fba_audit.writers.json_out import write_json

WORKBOOK_NAME = "claims.xlsx"
JSON_NAME = "findings.json"
CSV_NAME = "findings.csv"

__all__ = ["write_all", "write_csv", "write_json", "write_workbook"]


def write_all(
    result: AuditResult,
    out_dir: Path,
    *,
    lang: str = "en",
    per_case: int = 5,
    detector_titles: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write claims.xlsx, findings.json and findings.csv into `out_dir` (created if missing).

    Returns the written paths keyed by format: "xlsx", "json", "csv". Each file is replaced atomically.
    """
    out_dir = Path(out_dir)
    return {
        "xlsx": write_workbook(
            result, out_dir / WORKBOOK_NAME, lang=lang, per_case=per_case, detector_titles=detector_titles
        ),
        "json": write_json(result, out_dir / JSON_NAME),
        "csv": write_csv(result, out_dir / CSV_NAME),
    }
