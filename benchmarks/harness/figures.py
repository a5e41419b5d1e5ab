"""Figures: percentiles, a readable table for people, and the same figures as JSON for machines (`--json PATH`).

A benchmark prints its tables and ends with `report(figures, args.json)`: a two-column table of every figure
(nested keys joined with dots), and, when asked, the figures written to PATH as one JSON document.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures to PATH as JSON")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: a value that was measured, never one interpolated between two."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def percentile_ms(values: Sequence[float], fraction: float) -> float:
    """`percentile` of durations in seconds, in milliseconds."""
    return percentile(values, fraction) * 1000


def _cell(value) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "-"}[value]
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(item) for item in value) or "-"
    if isinstance(value, dict):
        cells = (str(item) if str(key).endswith("pid") else _cell(item) for key, item in value.items())
        return ", ".join(f"{key} {cell}" for key, cell in zip(value, cells, strict=True)) or "-"
    return str(value)


def table(rows: Iterable[dict], columns: Sequence[str] | None = None, *, title: str = "") -> str:
    """Rows of figures as aligned text: text columns to the left, numbers to the right."""
    rows = list(rows)
    columns = list(columns or dict.fromkeys(key for row in rows for key in row))
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    numeric = [all(isinstance(row.get(c), int | float) or row.get(c) is None for row in rows) for c in columns]
    widths = [max([len(column), *(len(line[i]) for line in cells)]) for i, column in enumerate(columns)]

    def line(values):
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True))

    out = [title] if title else []
    out += [line(columns), line(["-" * w for w in widths]), *(line(values) for values in cells)]
    return "\n".join(text.rstrip() for text in out)


def flatten(figures: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        # A dict of dicts, or a long dict, reads better a row per entry; a short flat one fits in one cell.
        if isinstance(value, dict) and value and (all(isinstance(v, dict) for v in value.values()) or len(value) > 4):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for index, item in enumerate(value):
                flat.update(flatten(item, f"{name}[{index}]."))
        else:
            flat[name] = value
    return flat


def write_json(figures, path: Path | None) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"figures written to {path}")


def report(figures: dict, json_path: Path | None = None, *, title: str = "figures") -> None:
    """Print every figure as a `figure | value` table and write them to `json_path` as JSON when given."""
    # Process ids are names, not quantities: no thousands separator.
    rows = [
        {"figure": name, "value": str(value) if name.endswith("pid") else _cell(value)}
        for name, value in flatten(figures).items()
    ]
    print()
    print(table(rows, ["figure", "value"], title=title))
    write_json(figures, json_path)
