"""Fault rules and the request log: the admin API's tools for reliability tests and benchmarks."""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FaultRule:
    """Fire on the nth..(nth+times-1)th API request matching method and path, counted from
    when the rule was added."""

    id: str
    method: str | None = None
    path: re.Pattern[str] | None = None
    nth: int = 1
    times: int = 1
    status: int | None = None
    retry_after: float | None = None
    message: str | None = None
    when: str = "before"  # before: not executed; after: executed and committed
    drop: bool = False  # close the connection without any response
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path counts for the rule."""
        if self.method is not None and self.method != method.upper():
            return False
        return self.path is None or self.path.search(path) is not None

    def describe(self) -> str:
        """A short label for the request log, e.g. 'fault-1: 503 before'."""
        what = "drop" if self.drop else str(self.status)
        return f"{self.id}: {what} {self.when}"


def parse_rule(rule_id: str, data: dict[str, Any]) -> FaultRule:
    """Validate the admin JSON for a rule; ValueError names the bad field."""
    known = {"method", "path", "nth", "times", "status", "retry_after", "message", "when", "drop"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
    method = data.get("method")
    if method is not None and (not isinstance(method, str) or not method.strip()):
        raise ValueError("method must be an HTTP method name or null")
    path_text = data.get("path")
    try:
        path = re.compile(path_text) if path_text is not None else None
    except (re.error, TypeError) as exc:
        raise ValueError(f"path is not a valid regex: {exc}") from exc
    nth = data.get("nth")
    times = data.get("times", 1)
    for name, value in (("nth", nth), ("times", times)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValueError(f"{name} must be an integer")
        if value is not None and value < 1:
            raise ValueError(f"{name} must be at least 1")
    status = data.get("status")
    if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
        raise ValueError("status must be an HTTP error status (400-599)")
    retry_after = data.get("retry_after")
    if retry_after is not None and (
        not isinstance(retry_after, (int, float)) or isinstance(retry_after, bool)
    ):
        raise ValueError("retry_after must be a number of seconds")
    when = data.get("when", "before")
    if when not in ("before", "after"):
        raise ValueError("when must be 'before' or 'after'")
    drop = data.get("drop", False)
    if not isinstance(drop, bool):
        raise ValueError("drop must be true or false")
    if status is None and not drop:
        raise ValueError("a fault needs a status or drop: true")
    message = data.get("message")
    if message is not None and not isinstance(message, str):
        raise ValueError("message must be a string")
    return FaultRule(
        id=rule_id,
        method=method.upper() if method else None,
        path=path,
        nth=nth or 1,
        times=times if times is not None else 1,
        status=status,
        retry_after=float(retry_after) if retry_after is not None else None,
        message=message,
        when=when,
        drop=drop,
    )


class FaultBook:
    """The active rules. Every API request is offered to every rule (so each counts its own
    matches); the first rule due to fire wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(self, data: dict[str, Any]) -> FaultRule:
        """Validate and add a rule; ValueError names the bad field."""
        with self._lock:
            rule = parse_rule(f"fault-{next(self._ids)}", data)
            self._rules.append(rule)
            return rule

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def take(self, method: str, path: str) -> FaultRule | None:
        """Count this request against every matching rule; return the one that fires, if any."""
        chosen: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                rule.seen += 1
                due = rule.seen >= rule.nth and rule.fired < rule.times
                if due and chosen is None:
                    rule.fired += 1
                    chosen = rule
            self._rules = [r for r in self._rules if r.fired < r.times]
        return chosen


@dataclass
class LogEntry:
    """One /api/v2 request as the admin log shows it."""

    seq: int
    method: str
    path: str
    query: str
    status: int
    request_bytes: int
    response_bytes: int
    ms: float
    fault: str | None = None


@dataclass
class RequestLog:
    """Every API request in arrival order of completion."""

    entries: list[LogEntry] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, **values: Any) -> None:
        """Append an entry; its seq is the next number."""
        with self._lock:
            self.entries.append(LogEntry(seq=next(self._seq), **values))

    def snapshot(self) -> list[dict[str, Any]]:
        """The entries as JSON-ready dicts."""
        with self._lock:
            return [asdict(e) for e in self.entries]

    def clear(self) -> None:
        """Forget every entry (seq keeps counting)."""
        with self._lock:
            self.entries.clear()
