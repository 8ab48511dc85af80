"""The benchmark's report shows how fast the shared host was beside the wall-clock figures."""

from __future__ import annotations

from sync_bench import Outcome, extra_lines, host_probe


def test_host_probe_measures_a_loop() -> None:
    assert 0 < host_probe() < 60_000


def test_the_report_shows_each_probe_in_order() -> None:
    outcome = Outcome([], 0, 100, [], None, [], "machine", [("start", 101.4), ("end", 85.0)])
    assert extra_lines(outcome)[-1] == (
        "host speed (one fixed Python loop; lower is faster): start 101 ms, end 85 ms"
    )
    assert not any(
        "host speed" in line for line in extra_lines(Outcome([], 0, 100, [], None, [], "m"))
    )
