from fba_audit.cli import app

app(prog_name="fba-audit")
