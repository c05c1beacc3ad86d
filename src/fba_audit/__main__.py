"""The `fba-audit` command (and `python -m fba_audit`)."""

from fba_audit._memory import configure_allocator


def main() -> None:
    configure_allocator()  # before anything imports polars
    from fba_audit.cli import app

    app(prog_name="fba-audit")


if __name__ == "__main__":
    main()
