"""Shared pytest options: `--update-golden` rewrites the detector goldens (tests/fixtures/detectors/*/*/expected.csv)
instead of comparing against them; review the result with `git diff` before committing."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite expected.csv of every detector case that runs, then review with git diff",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True)
def _ledger_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test's runs record into a ledger of its own, never the user's real one (the default location)."""
    monkeypatch.setenv("FBA_AUDIT_LEDGER", str(tmp_path_factory.mktemp("ledger") / "ledger.sqlite3"))


@pytest.fixture(autouse=True)
def _parse_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test's runs keep their parse cache (fba_audit.reports.cache) in a folder of their own, never the
    user's: a test sees the cache of its own runs only."""
    monkeypatch.setenv("FBA_AUDIT_CACHE", str(tmp_path_factory.mktemp("parse-cache")))
