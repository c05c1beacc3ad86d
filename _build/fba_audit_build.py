"""The build backend: setuptools', behind a check of the Python version.

pip does not stop on the project's own `requires-python` before it resolves the dependencies: on Python 3.10,
`pip install .` (pip 23.0.1) prints "Could not find a version that satisfies the requirement polars<3,>=2.1"
followed by some 400 polars versions, and never says that Python 3.11 is needed. pip runs this module first,
to prepare the metadata, so a too-old Python is named here, in words, before anything is downloaded.
"""

import sys

if sys.version_info < (3, 11):
    raise SystemExit(
        "fba-audit needs Python 3.11 or newer; this is Python "
        + ".".join(str(part) for part in sys.version_info[:3])
        + ". Install Python 3.11+ and create the virtual environment with it, e.g. python3.11 -m venv .venv"
    )

from setuptools.build_meta import (  # noqa: E402 - the standard backend's hooks, unchanged
    build_editable,
    build_sdist,
    build_wheel,
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

__all__ = ["build_editable", "build_sdist", "build_wheel", "get_requires_for_build_editable",
           "get_requires_for_build_sdist", "get_requires_for_build_wheel", "prepare_metadata_for_build_editable",
           "prepare_metadata_for_build_wheel"]
