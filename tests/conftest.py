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
