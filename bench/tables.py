"""Markdown tables and cells of the report (bench/report.py, bench/report_shards.py)."""

from __future__ import annotations

import math


def num(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


class Table:
    """A markdown table, with a "before" column when an earlier run is at hand."""

    def __init__(self, columns: list[str], align: str, before: bool) -> None:
        self.before = before
        if before:
            columns = [*columns, "before"]
            align += "r"
        rules = {"l": "---", "r": "---:"}
        self.lines = [
            "| " + " | ".join(columns) + " |",
            "| " + " | ".join(rules[a] for a in align) + " |",
        ]

    def add(self, *cells: str, was: str = "") -> None:
        values = [*cells, was] if self.before else list(cells)
        self.lines.append("| " + " | ".join(values) + " |")
