"""The `fba-audit` command sets polars' allocator options before polars is imported, and never overrides the
user's own."""

from __future__ import annotations

import os
import subprocess
import sys

from fba_audit._memory import ALLOCATOR_ENV, ALLOCATOR_OPTIONS

_PROBE = ("import os; from fba_audit._memory import configure_allocator; applied = configure_allocator(); "
          "import polars; print(applied, os.environ.get('{env}'))")


def _probe(env: dict[str, str], code: str = _PROBE) -> str:
    result = subprocess.run([sys.executable, "-c", code.format(env=ALLOCATOR_ENV)], env=env, capture_output=True,
                            text=True, check=True)
    return result.stdout.strip()


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != ALLOCATOR_ENV}
    return env | extra


def test_the_allocator_returns_freed_memory_after_100_ms_when_set_before_polars() -> None:
    # polars puts its own options first; jemalloc reads the string in order, so ours, last, are the ones in force.
    assert _probe(_environment()) == "True dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:100,muzzy_decay_ms:0"
    assert ALLOCATOR_OPTIONS == "dirty_decay_ms:100,muzzy_decay_ms:0"


def test_the_users_own_allocator_options_win() -> None:
    own = _environment(**{ALLOCATOR_ENV: "narenas:1"})
    assert _probe(own) == "True dirty_decay_ms:500,muzzy_decay_ms:1000,narenas:1"


def test_polars_defaults_inherited_from_a_parent_process_are_not_taken_for_the_users() -> None:
    # A Python program that imported polars and then starts `fba-audit` passes on what polars wrote.
    inherited = _environment(**{ALLOCATOR_ENV: "dirty_decay_ms:500,muzzy_decay_ms:1000"})
    assert _probe(inherited) == "True dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:100,muzzy_decay_ms:0"


def test_nothing_is_set_once_polars_is_imported() -> None:
    code = "import polars; " + _PROBE
    assert _probe(_environment(), code) == "False dirty_decay_ms:500,muzzy_decay_ms:1000"


def test_the_command_runs_through_the_entry_point_that_sets_it() -> None:
    result = subprocess.run([sys.executable, "-m", "fba_audit", "--help"], capture_output=True, text=True,
                            env=_environment(), check=True)
    assert "Usage: fba-audit" in result.stdout
