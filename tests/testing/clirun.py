"""What one in-process `ctask-sync` run gives a test: exit code, stdout, stderr."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err
