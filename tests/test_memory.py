"""The `fba-audit` command sets polars' allocator options before polars is imported, and never overrides the
user's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_the_allocator_returns_freed_memory_after_100_ms_from_one_arena_when_set_before_polars() -> None:
    # polars puts its own options first; jemalloc reads the string in order, so ours, last, are the ones in force.
    assert _probe(_environment()) == (
        "True dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:100,muzzy_decay_ms:0,narenas:1")
    assert ALLOCATOR_OPTIONS == "dirty_decay_ms:100,muzzy_decay_ms:0,narenas:1"


def test_the_users_own_allocator_options_win() -> None:
    own = _environment(**{ALLOCATOR_ENV: "narenas:1"})
    assert _probe(own) == "True dirty_decay_ms:500,muzzy_decay_ms:1000,narenas:1"


def test_polars_defaults_inherited_from_a_parent_process_are_not_taken_for_the_users() -> None:
    # A Python program that imported polars and then starts `fba-audit` passes on what polars wrote.
    inherited = _environment(**{ALLOCATOR_ENV: "dirty_decay_ms:500,muzzy_decay_ms:1000"})
    assert _probe(inherited) == (
        "True dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:100,muzzy_decay_ms:0,narenas:1")


def test_nothing_is_set_once_polars_is_imported() -> None:
    code = "import polars; " + _PROBE
    assert _probe(_environment(), code) == "False dirty_decay_ms:500,muzzy_decay_ms:1000"


def test_the_command_runs_through_the_entry_point_that_sets_it() -> None:
    result = subprocess.run([sys.executable, "-m", "fba_audit", "--help"], capture_output=True, text=True,
                            env=_environment(), check=True)
    assert "Usage: fba-audit" in result.stdout


_SIZED = ("import os; from fba_audit import _memory; first = _memory.configure_allocator(); "
          "second = _memory.configure_allocator({size}); import polars; print(first, second, os.environ.get('{env}'))")


def test_an_account_of_4_gb_or_more_keeps_freed_pages_3_s_even_after_the_default_was_set() -> None:
    # `python -m fba_audit` sets the default first; `run` then chooses again by the size of the reports folder.
    code = _SIZED.replace("{size}", str(4 * 1024**3))
    assert _probe(_environment(), code) == (
        "True True dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:3000,muzzy_decay_ms:0,narenas:1")
    code = _SIZED.replace("{size}", str(4 * 1024**3 - 1))
    assert _probe(_environment(), code) == (
        "True True dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:100,muzzy_decay_ms:0,narenas:1")


def test_a_large_account_does_not_override_the_users_own_options() -> None:
    code = _SIZED.replace("{size}", str(5 * 1024**3))
    assert _probe(_environment(**{ALLOCATOR_ENV: "dirty_decay_ms:100,muzzy_decay_ms:0"}), code) == (
        "True True dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:100,muzzy_decay_ms:0")


def test_the_run_command_chooses_by_the_size_of_the_reports_folder(tmp_path) -> None:
    from fba_audit._memory import reports_size

    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_bytes(b"x" * 1000)
    (tmp_path / "sub" / "b.zip").write_bytes(b"y" * 234)
    assert reports_size(tmp_path) == 1234
    # The threshold lowered to 1 byte in the child: `run` must choose before anything imports polars.
    code = ("import os, sys; from fba_audit import _memory; _memory.LARGE_INPUT_BYTES = 1; "
            "from typer.testing import CliRunner; from fba_audit.cli import app; "
            "assert 'polars' not in sys.modules; "
            "result = CliRunner().invoke(app, ['run', sys.argv[2], '--out', sys.argv[1], '--as-of', '2026-11-22']); "
            "print(result.exit_code, os.environ.get('{env}'))")
    result = subprocess.run([sys.executable, "-c", code.format(env=ALLOCATOR_ENV), str(tmp_path / "out"),
                             str(Path(__file__).parents[1] / "sample_reports")],
                            env=_environment(), capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == (
        "0 dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:3000,muzzy_decay_ms:0,narenas:1")
