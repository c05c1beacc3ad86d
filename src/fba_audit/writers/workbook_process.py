"""claims.xlsx written in a process of its own, while the detectors run.

openpyxl's writing is Python that keeps a core busy for seconds on a big account. In a thread of the audit's own
process it competed with the detectors for the interpreter (a detector that took 0.16 s alone took 1.2 s beside it)
and what it had not done by the end of the run was added to the run's time. In its own process it takes a core,
not the interpreter: the detectors keep theirs, and the workbook costs wall time only where it outlasts them.

What crosses over: each detector's findings as an Arrow IPC file in a spool folder inside the output folder (the
same disk as the outputs; each file removed once read), the finished result without its loaded frames (coverage,
files, problems, ledger view; pickled, a file too) and the report rows the Evidence sheet shows, looked up in this
process, which holds the loaded reports, while the other one writes the first sheets. Messages naming those files go
over the writer's stdin and stdout. The writer saves into the spool folder; `finish` then moves the file into place
with the other outputs, as one set (`_common.replaced_together`).

A writer that fails, or dies (the memory killer, a signal), is an error of the run: `WorkbookWriterError` names what
happened, nothing is replaced, and the run exits 2; a full disk is the `OSError` it is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import shutil
import subprocess
import sys
import threading
import traceback
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import fba_audit

import polars as pl

from fba_audit.findings import FINDINGS_COLUMNS
from fba_audit.ledger.view import StaffEntry
from fba_audit.results import AuditResult
from fba_audit.writers._common import check_per_case
from fba_audit.writers.evidence import cited_lines, filed_ids, report_rows
from fba_audit.writers.i18n import texts_for

SPOOL_PREFIX = ".fba-audit-workbook-"
REPORT_ROWS_SCHEMA = {"file": pl.String, "line": pl.Int64, "text": pl.String}


class WorkbookWriterError(RuntimeError):
    """claims.xlsx could not be written: the message says why; `details` holds the writer's traceback, if any."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


class WorkbookProcess:
    """The claims workbook written by another process: `add(code, findings)` as each detector finishes (from any
    thread), `finish(result)` once the audit is done, then `saved_into(temporary)` to take the saved file."""

    def __init__(self, path: Path, *, lang: str = "en", per_case: int = 5,
                 detector_titles: Mapping[str, str] | None = None,
                 staff: Mapping[str, StaffEntry] | None = None) -> None:
        check_per_case(per_case)  # before the audit runs, not when the workbook is finished
        texts_for(lang)
        self.path = Path(path)
        self._options = {"lang": lang, "per_case": per_case, "detector_titles": dict(detector_titles or {}),
                         "staff": dict(staff or {})}
        self._spool: Path | None = None
        self._created: list[Path] = []  # folders made for the spool, removed again when nothing was written
        self._lock = threading.Lock()  # detectors finish on two threads; one message at a time on the pipe
        self._sent = 0
        self._lost: BaseException | None = None  # a message the writer never got: it has stopped
        self._finished = False
        self._process: subprocess.Popen | None = None
        self._channel: _Channel | None = None

    def _start(self) -> None:
        """Start the writer, with the first findings: its imports (polars, pandera, openpyxl, about a second of one
        core) then overlap the detectors, which leave part of the second core idle, rather than the loading of the
        reports, which keeps both busy (the load took 2.2 s longer with the writer started beside it)."""
        if self._process is not None:
            return
        # A program of its own, not multiprocessing: multiprocessing would run the caller's main script again in the
        # child (a library user's script without a __main__ guard starts over), and a daemonic worker process may
        # not start one at all. Its stdin and stdout carry the messages; its stderr is ours.
        package_root = str(Path(fba_audit.__file__).parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (package_root, os.environ.get("PYTHONPATH"))))}
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from fba_audit.writers.workbook_process import main; main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._channel = _Channel(self._process.stdout, self._process.stdin)
        self._send(("options", self._options))

    def _send(self, message: tuple) -> None:
        try:
            self._channel.send(message)
        except (OSError, ValueError) as exc:  # a writer that stopped: `saved_into` says why
            self._lost = self._lost or exc

    def add(self, code: str, findings: pl.DataFrame) -> None:
        """Hand over one detector's findings (`FINDINGS_COLUMNS`) for its sheet; never raises (`finish` does)."""
        with self._lock:
            if self._lost is not None:
                return
            try:
                self._start()
                part = self._spool_file(f"{self._sent}.arrow")
                _write_ipc(findings, part)
                self._send(("sheet", code, part))
                self._sent += 1
            except BaseException as exc:  # noqa: BLE001 - on a detector's thread: kept for finish to report
                self._lost = exc

    def finish(self, result: AuditResult) -> None:
        """Hand over the finished result; the writer writes the other sheets and saves while this returns. The
        report rows the Evidence sheet shows are looked up here meanwhile (polars, in this process)."""
        light = _without_frames(result)
        findings, rest = self._spool_file("result.arrow"), self._spool_file("result.pickle")
        with self._lock:
            try:
                self._start()
                _write_ipc(result.findings.select(FINDINGS_COLUMNS), findings)
                # A file too: the coverage lists every item not judged, more than a pipe holds without waiting.
                rest.write_bytes(pickle.dumps(light, protocol=pickle.HIGHEST_PROTOCOL))
            except OSError as exc:
                self._lost = self._lost or exc
            else:
                self._send(("result", rest, findings))
        if self._lost is not None:
            return  # saved_into reports why the writer stopped
        staff = {**self._options["staff"], **(result.ledger.staff if result.ledger is not None else {})}
        shown = report_rows(result.load, cited_lines(result.findings, filed_ids(staff)))
        rows = self._spool_file("report_rows.arrow")
        _write_ipc(pl.DataFrame([(file, line, text) for (file, line), text in shown.items()],
                                schema=REPORT_ROWS_SCHEMA, orient="row"), rows)
        self._send(("report_rows", rows, self._spool_file("claims.xlsx")))

    def saved_into(self, temporary: Path) -> None:
        """Wait for the writer, then move the saved workbook to `temporary` (for `atomic_write`)."""
        if self._lost is not None and not isinstance(self._lost, (BrokenPipeError, ValueError)):
            # Not the pipe (a writer that stopped says why below): this side could not hand the findings over,
            # e.g. a full disk, which the run reports like any other output it cannot write.
            if isinstance(self._lost, OSError):
                raise self._lost
            raise WorkbookWriterError(f"claims.xlsx could not be written: {type(self._lost).__name__}: {self._lost}")
        reply = self._reply()
        if reply[0] == "oserror":  # the writer's disk is this run's output folder: reported as such
            _, number, reason, filename = reply
            raise OSError(number, reason, filename)
        if reply[0] != "saved":
            _, message, details = reply
            raise WorkbookWriterError(f"claims.xlsx could not be written: {message}", details)
        Path(reply[1]).replace(temporary)
        self._finished = True

    def _reply(self) -> tuple:
        try:
            return self._channel.recv()
        except (EOFError, OSError, pickle.UnpicklingError):  # the writer ended without a word: said here
            code = self._process.wait()
            how = f"was killed by signal {-code}" if code < 0 else f"ended with status {code}"
            return ("failed", f"the process writing it {how} before it was saved (out of memory?); run again, with "
                              "fewer months of reports if it happens again.", "")

    def close(self) -> None:
        """Stop the writer if it still runs and remove the spool folder (and any folder made for it)."""
        if self._process is not None:
            self._send(("stop",))
            with contextlib.suppress(OSError):
                self._process.stdin.close()  # a writer waiting for a message reads the end of its input and stops
            try:
                # A writer stopped part-way gets a moment to close its sheets (openpyxl's spool files), no more.
                self._process.wait(timeout=None if self._finished else 2)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process.stdout.close()
        if self._spool is not None:
            shutil.rmtree(self._spool, ignore_errors=True)
        for folder in reversed(self._created):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty: a run that wrote its outputs keeps the folder

    def _spool_file(self, name: str) -> Path:
        if self._spool is None:
            out_dir = self.path.parent
            self._created = [folder for folder in reversed((out_dir, *out_dir.parents)) if not folder.exists()]
            spool = out_dir / f"{SPOOL_PREFIX}{uuid.uuid4().hex}.tmp"
            spool.mkdir(parents=True)
            self._spool = spool
        return self._spool / name


class WorkbookHere:
    """The claims workbook written in this process, when `finish` is done: for a small account, where another
    interpreter importing polars, pandera and openpyxl (about 0.5 s of CPU) would cost more than the workbook
    itself. The same calls as `WorkbookProcess`; errors are raised as they come."""

    def __init__(self, path: Path, *, lang: str = "en", per_case: int = 5,
                 detector_titles: Mapping[str, str] | None = None,
                 staff: Mapping[str, StaffEntry] | None = None) -> None:
        check_per_case(per_case)
        texts_for(lang)
        self.path = Path(path)
        self._options = {"lang": lang, "per_case": per_case, "detector_titles": dict(detector_titles or {}),
                         "staff": dict(staff or {})}
        self._lock = threading.Lock()
        self._added: list[tuple[str, pl.DataFrame]] = []
        self._result: AuditResult | None = None
        self._workbook = None

    def add(self, code: str, findings: pl.DataFrame) -> None:
        with self._lock:
            self._added.append((code, findings))

    def finish(self, result: AuditResult) -> None:
        self._result = result

    def saved_into(self, temporary: Path) -> None:
        from fba_audit.writers.excel import new_workbook

        result = self._result
        assert result is not None, "finish first"
        self._workbook = workbook = new_workbook(**self._options)
        for code, findings in self._added:
            workbook.detector_sheet(code, findings)
        staff = {**self._options["staff"], **(result.ledger.staff if result.ledger is not None else {})}
        shown = report_rows(result.load, cited_lines(result.findings, filed_ids(staff)))
        workbook.finish(result, lambda: shown)
        workbook.book.save(temporary)

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close_open_sheets()


def _without_frames(result: AuditResult) -> AuditResult:
    """`result` without its findings and loaded reports (the writer gets the findings as a file and needs no
    report), its marketplaces' parts too: what is left is small."""
    load = result.load
    if load is not None:
        load = dataclasses.replace(load, datasets={}, titles=load.titles.clear())
    return dataclasses.replace(result, findings=result.findings.clear(), load=load,
                               parts=[_without_frames(part) for part in result.parts])


class _Channel:
    """Messages (pickled tuples) between the run and the writer, over a pair of byte streams."""

    def __init__(self, incoming: BinaryIO, outgoing: BinaryIO) -> None:
        self.incoming, self.outgoing = incoming, outgoing

    def send(self, message: tuple) -> None:
        pickle.dump(message, self.outgoing, protocol=pickle.HIGHEST_PROTOCOL)
        self.outgoing.flush()

    def recv(self) -> tuple:
        return pickle.load(self.incoming)


def _serve(channel: _Channel) -> None:
    """The writer process: its options, a detector sheet per "sheet" message, then the rest for "result" and
    "report_rows"; it answers "saved" (or why not) and ends."""
    workbook = None
    try:
        from fba_audit.writers.excel import new_workbook

        _, options = channel.recv()
        workbook = new_workbook(**options)
        while True:
            message = channel.recv()
            if message[0] == "stop":
                return
            if message[0] == "sheet":
                _, code, part = message
                workbook.detector_sheet(code, _read_ipc(part, consume=True))
            elif message[0] == "result":
                _, rest, findings = message
                result = pickle.loads(rest.read_bytes())
                rest.unlink()
                result.findings = _read_ipc(findings, consume=True)
                saved: list[Path] = []

                def shown() -> dict[tuple[str, int], str]:
                    reply = channel.recv()
                    if reply[0] != "report_rows":
                        raise EOFError("the run stopped before the workbook was finished")
                    saved.append(reply[2])
                    rows = _read_ipc(reply[1], consume=True)
                    return {(file, line): text for file, line, text in rows.iter_rows()}

                workbook.finish(result, shown)
                workbook.book.save(saved[0])
                channel.send(("saved", saved[0]))
                return
    except EOFError:
        return  # the run ended (or stopped) without finishing the workbook: nothing to report to anyone
    except BaseException as exc:  # noqa: BLE001 - reported to the run, which exits 2
        with contextlib.suppress(OSError, ValueError):
            if isinstance(exc, OSError) and exc.errno is not None:
                channel.send(("oserror", exc.errno, exc.strerror, exc.filename))
            else:
                channel.send(("failed", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        if workbook is not None:
            workbook.close_open_sheets()


# Open files, not paths: polars cannot open a path whose folder name is not UTF-8 (an output folder can have one).
def _write_ipc(frame: pl.DataFrame, path: Path) -> None:
    with open(path, "wb") as out:
        frame.write_ipc(out)


def _read_ipc(path: Path, *, consume: bool = False) -> pl.DataFrame:
    """The frame in `path`; `consume` removes the file once read (the output folder's disk holds the spool)."""
    with open(path, "rb") as stream:
        frame = pl.read_ipc(stream)
    if consume:
        path.unlink()
    return frame



def main() -> None:
    """The writer's program. Messages come on stdin and go out on a copy of stdout; stdout itself goes to stderr,
    so that nothing a library prints can corrupt them."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(_Channel(sys.stdin.buffer, replies))
    replies.close()
    sys.stderr.flush()
    # Everything is saved and said: the interpreter's teardown of polars and openpyxl (a second on a busy machine)
    # would only keep the run waiting.
    os._exit(0)
