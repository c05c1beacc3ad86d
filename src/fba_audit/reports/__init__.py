"""Reading Seller Central exports: report kinds (kinds.py), datasets (datasets.py) and the loader."""

from fba_audit.reports.datasets import DATASET_MODELS, empty_dataset
from fba_audit.reports.kinds import DATASET_DOWNLOADS, KINDS_BY_KEY, REPORT_KINDS, ReportKind
from fba_audit.reports.loader import load_folder, load_reports
from fba_audit.reports.model import FileSummary, LoadResult, Problem

__all__ = [
    "DATASET_DOWNLOADS", "DATASET_MODELS", "KINDS_BY_KEY", "REPORT_KINDS", "FileSummary", "LoadResult", "Problem",
    "ReportKind", "empty_dataset", "load_folder", "load_reports",
]
