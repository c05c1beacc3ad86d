"""What a new user meets before the first run: the licence, and a clear sentence on a too-old Python.

On Python 3.10, pip 23.0.1 answered `pip install .` with some 400 polars versions and never said that 3.11 is
needed (issue 22, item 10): the build backend and the package's import now say it first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
TOO_OLD = "fba-audit needs Python 3.11 or newer; this is Python 3.10.13."

# Runs `code` in a fresh interpreter that reports itself as Python 3.10.13.
AS_PYTHON_310 = "import sys; sys.version_info = (3, 10, 13, 'final', 0); "


def as_python_310(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", AS_PYTHON_310 + code], capture_output=True, text=True,
                          cwd=ROOT, check=False)


def test_the_build_backend_names_the_python_needed_before_pip_resolves_anything() -> None:
    done = as_python_310("import runpy; runpy.run_path('_build/fba_audit_build.py')")
    assert done.returncode == 1
    assert done.stderr.startswith(TOO_OLD)
    assert "python3.11 -m venv .venv" in done.stderr


def test_pyproject_uses_the_checking_backend_and_declares_the_python_needed() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["build-system"]["build-backend"] == "fba_audit_build"
    assert project["build-system"]["backend-path"] == ["_build"]
    assert project["project"]["requires-python"] == ">=3.11"


def test_importing_the_package_on_an_old_python_says_what_is_needed() -> None:
    done = as_python_310("sys.path.insert(0, 'src'); import fba_audit")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ImportError: " + TOO_OLD + " Install Python 3.11+ and create the virtual environment with it, "
        "e.g. python3.11 -m venv .venv")


def test_the_build_backend_is_setuptools_on_a_supported_python() -> None:
    done = subprocess.run([sys.executable, "-c", "import runpy; hooks = runpy.run_path('_build/fba_audit_build.py');"
                           "print(hooks['build_wheel'].__module__)"], capture_output=True, text=True, cwd=ROOT,
                          check=True)
    assert done.stdout.strip() == "setuptools.build_meta"


def test_the_licence_is_the_mit_text_the_readme_names() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License\n\nCopyright (c) 2026 the fba-audit authors\n")
    assert "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND" in licence
    assert "## Licence\n\nMIT: see [LICENSE](LICENSE)." in (ROOT / "README.md").read_text(encoding="utf-8")
