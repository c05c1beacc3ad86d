"""The `fba-audit` command (and `python -m fba_audit`)."""

import sys

from fba_audit._memory import configure_allocator


def main() -> None:
    configure_allocator()  # before anything imports polars
    from fba_audit.cli import main as run_command_line

    sys.exit(run_command_line())


if __name__ == "__main__":
    main()
