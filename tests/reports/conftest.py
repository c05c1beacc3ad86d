"""The `load_fixtures` fixture: load fixtures from a fresh folder, so messages name the bare file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from loader_helpers import copy_into

from fba_audit.reports import LoadResult, load_folder


@pytest.fixture
def load_fixtures(tmp_path: Path) -> Callable[..., LoadResult]:
    """Load the named fixtures together from a fresh folder (messages then name the bare file)."""

    def load(*names: str | tuple[str, str]) -> LoadResult:
        folder = tmp_path / "reports"
        copy_into(folder, *names)
        return load_folder(folder)

    return load

