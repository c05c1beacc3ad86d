"""fba-audit: find the money Amazon owes FBA sellers in Seller Central report exports."""

import sys

# Checked on import, before any module that uses 3.11 syntax or library features is loaded: someone running the
# code from a checkout (PYTHONPATH=src) with an older Python gets this sentence, not a SyntaxError deep inside.
if sys.version_info < (3, 11):
    raise ImportError(
        "fba-audit needs Python 3.11 or newer; this is Python "
        + ".".join(str(part) for part in sys.version_info[:3])
        + ". Install Python 3.11+ and create the virtual environment with it, e.g. python3.11 -m venv .venv"
    )

__version__ = "0.1.0"
