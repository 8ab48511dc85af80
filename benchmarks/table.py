"""Plain-text tables for the terminal (and Markdown for docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Sequence

from scenarios import Scenario, ScenarioResult
from targets import Target

HEADERS = ("scenario", "tool", "reads", "writes", "bytes up", "wall s")


def human_bytes(value: float) -> str:
    """1234567 -> '1.2 MB' (decimal units, as the targets are stated)."""
    for unit in ("B", "KB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _ratio(base: float, ours: float) -> str:
    if ours == 0:
        return "-" if base == 0 else "inf"
    return f"{base / ours:.1f}x"


def scenario_rows(
    plan: Sequence[Scenario], results: Sequence[ScenarioResult], baseline: str, ours: str
) -> list[tuple[str, ...]]:
    """Rows per scenario: one per tool, then the ratio baseline / ctask-sync."""
    rows: list[tuple[str, ...]] = []
    by_key = {(r.scenario, r.tool): r for r in results}
    for scenario in plan:
        pair = [by_key.get((scenario.key, tool)) for tool in (baseline, ours)]
        for result in pair:
            if result is not None:
                t = result.traffic
                rows.append(
                    (
                        scenario.title,
                        result.tool,
                        str(t.reads),
                        str(t.writes),
                        human_bytes(t.bytes_up),
                        f"{result.run.wall_seconds:.2f}",
                    )
                )
        base, mine = pair
        if base is not None and mine is not None:
            rows.append(
                (
                    scenario.title,
                    "ratio",
                    _ratio(base.traffic.reads, mine.traffic.reads),
                    _ratio(base.traffic.writes, mine.traffic.writes),
                    _ratio(base.traffic.bytes_up, mine.traffic.bytes_up),
                    _ratio(base.run.wall_seconds, mine.run.wall_seconds),
                )
            )
    return rows


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right_from: int = 2) -> str:
    """Columns padded to width; the first `right_from` left-aligned, the rest right-aligned."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = []
    for index, row in enumerate([headers, *rows]):
        cells = [
            cell.ljust(w) if i < right_from else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The same table as GitHub Markdown."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def target_rows(targets: Sequence[Target]) -> list[tuple[str, ...]]:
    """Rows for the targets table: status, name, measured, limit."""
    status = {True: "PASS", False: "MISS", None: "info"}
    return [(status[t.ok], t.name, t.measured, t.limit) for t in targets]


TARGET_HEADERS = ("status", "target", "measured", "limit")
TARGET_RIGHT_FROM = 4  # targets table: all text, left-aligned
