"""Bounded problem reports of file imports: the first problems in memory, every problem in a CSV file on disk.

A file of a million bad rows must not become a million-entry list in memory nor a response of hundreds of
megabytes. An import hands each problem, in file order, to a `ProblemReport`: it keeps the first `keep`
problems and a count per (code, column), and writes every problem to `<id>.csv` in the report directory
(UTF-8 with a BOM, so spreadsheet programs show Chinese text). Its owner is recorded beside it in `<id>.json`;
`GET /api/v1/imports/{id}/report.csv` streams the file to that user or an admin. Reports are files, not rows:
they outlive a rolled-back import (a rejected all-or-nothing file is still worth reading) and cost the
database nothing. `delete_expired_reports` removes old ones (run it daily, e.g. from cron or the worker).

Every text is clipped (reason, key) so one problem line stays small even when a cell holds 100 KB of junk.
"""

from __future__ import annotations

import csv
import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar

from forecourt.core.clock import utcnow

SHOWN_PROBLEMS = 100
MAX_REASON = 400
MAX_KEY = 40
REPORT_URL = "/api/v1/imports/{id}/report.csv"
_ID = re.compile(r"[0-9a-f]{32}")
T = TypeVar("T")


@dataclass(frozen=True)
class ReportedProblem:
    line: int  # 0: the file as a whole
    column: str | None
    key: str | None  # what the row is about (VIN, program code, campaign code), clipped
    code: str  # stable kind of problem, e.g. unknown_code, required, duplicate
    reason: str


@dataclass(frozen=True)
class ProblemCount:
    code: str
    column: str | None
    count: int


@dataclass(frozen=True)
class ProblemSummary:
    """What an answer carries: the first problems in file order, counts, and where the full report is."""

    first: list[ReportedProblem]
    counts: list[ProblemCount]  # most frequent first
    problems: int
    rejected: int  # distinct lines with a problem
    report_id: str | None = None  # None when there was no problem, or no report file was asked for

    @property
    def truncated(self) -> bool:
        return self.problems > len(self.first)

    @property
    def report_url(self) -> str | None:
        return REPORT_URL.format(id=self.report_id) if self.report_id else None


def clip(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


@dataclass
class ProblemReport:
    """Collects problems in file order (lines never decrease); with a `directory`, also writes them to disk."""

    key_name: str = "key"
    keep: int = SHOWN_PROBLEMS
    directory: Path | None = None  # a report named by a new id, with its owner, for the download route
    path: Path | None = None  # or a file of the caller's choosing (the CLI's --report), written even if empty
    owner_id: int | None = None
    kind: str = "import"
    report_id: str | None = None
    first: list[ReportedProblem] = field(default_factory=list)
    counts: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    problems: int = 0
    rejected: int = 0
    _last_line: int | None = None
    _handle: IO[str] | None = None
    _writer: Any = None

    def add(self, line: int, column: str | None, key: str | None, code: str, reason: str) -> None:
        problem = ReportedProblem(line, column, clip(key, MAX_KEY), code, clip(reason, MAX_REASON) or "")
        self.problems += 1
        self.counts[(code, column)] += 1
        if line != self._last_line:
            self.rejected += 1
            self._last_line = line
        if len(self.first) < self.keep:
            self.first.append(problem)
        if self.directory is not None or self.path is not None:
            self._open().writerow(
                [problem.line or "", problem.column or "", problem.key or "", problem.code, problem.reason]
            )

    def _open(self) -> Any:
        if self._writer is None:
            path = self.path
            if path is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                self.report_id = secrets.token_hex(16)
                meta = {"owner_id": self.owner_id, "kind": self.kind, "created_at": utcnow().isoformat()}
                (self.directory / f"{self.report_id}.json").write_text(json.dumps(meta), encoding="utf-8")
                path = self.directory / f"{self.report_id}.csv"
            self._handle = path.open("w", newline="", encoding="utf-8-sig")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(["line", "column", self.key_name, "code", "reason"])
        return self._writer

    def close(self) -> ProblemSummary:
        """Finish the file (if any) and summarise."""
        if self.path is not None:
            self._open()
        if self._handle is not None:
            self._handle.close()
            self._handle, self._writer = None, None
        counts = [ProblemCount(code, column, n) for (code, column), n in self.counts.most_common()]
        return ProblemSummary(list(self.first), counts, self.problems, self.rejected, self.report_id)

    def discard(self) -> None:
        """Drop the id-keyed file: the import it described did not happen (the file itself was unusable)."""
        if self._handle is not None:
            self._handle.close()
            self._handle, self._writer = None, None
        if self.report_id and self.directory is not None:
            for suffix in (".csv", ".json"):
                (self.directory / f"{self.report_id}{suffix}").unlink(missing_ok=True)
        self.report_id = None


def bounded_problem_extra(
    problems: Sequence[T], describe: Callable[[T], dict[str, Any]], kind: Callable[[T], tuple[str, str | None]]
) -> dict[str, Any]:
    """The `extra` of a 422 that rejects a whole file (all or nothing): the first problems, how many there are,
    and counts per (code, column), instead of a list as long as the file."""
    counts = Counter(kind(p) for p in problems)
    return {
        "problems": [describe(p) for p in problems[:SHOWN_PROBLEMS]],
        "problem_count": len(problems),
        "problems_truncated": len(problems) > SHOWN_PROBLEMS,
        "problem_counts": [{"code": c, "column": col, "count": n} for (c, col), n in counts.most_common()],
    }


def report_path(directory: Path, report_id: str, user_id: int, is_admin: bool) -> Path | None:
    """The report's CSV when it exists and the user may read it (its owner, or an admin); else None, so a
    report of someone else answers exactly like one that does not exist."""
    if not _ID.fullmatch(report_id):
        return None
    path, meta_path = directory / f"{report_id}.csv", directory / f"{report_id}.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not path.is_file() or not (is_admin or meta.get("owner_id") == user_id):
        return None
    return path


def delete_expired_reports(directory: Path, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete reports (CSV and owner file) last written before `now - older_than`; returns how many went."""
    if not directory.is_dir():
        return 0
    cutoff = ((now or utcnow()) - older_than).timestamp()
    deleted = 0
    for meta in directory.glob("*.json"):
        if not _ID.fullmatch(meta.stem):
            continue
        try:
            if meta.stat().st_mtime >= cutoff:
                continue
            (directory / f"{meta.stem}.csv").unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
        except OSError:
            continue  # another process removed it first
        deleted += 1
    return deleted
