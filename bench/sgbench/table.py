"""Plain-text tables for the report, and the cells that go in them.

A cell is either a figure (already formatted) or "n/a (reason)". Figures
that miss the benchmark's goal carry a trailing "!" so a reader sees at a
glance where a profiler falls short; they are figures, not verdicts.
"""

from typing import Callable, List, Optional, Sequence


class NA:
    """A missing figure and why it is missing."""

    def __init__(self, reason: str):
        self.reason = " ".join(str(reason).split())

    def __str__(self):
        reason = self.reason if len(self.reason) <= 60 else self.reason[:57] + "..."
        return "n/a (%s)" % reason

    def as_json(self):
        return {"na": self.reason}


def cell(value, fmt: str = "{:.2f}", meets: Optional[Callable[[float], bool]] = None) -> str:
    """Format a number (or NA, or None) for a table."""
    if isinstance(value, NA):
        return str(value)
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    text = fmt.format(value)
    if meets is not None and not meets(value):
        text += " !"
    return text


def figure(value: float, fmt: str, suffix: str = "", meets: Optional[Callable[[float], bool]] = None) -> str:
    """A summary figure: number, unit or place, then the goal marker last."""
    text = fmt.format(value) + suffix
    if meets is not None and not meets(value):
        text += " !"
    return text


def render(headers: Sequence[str], rows: List[Sequence[str]], title: str = "") -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(str(value)))
    lines = []
    if title:
        lines.append(title)
    lines.append("  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(str(v).ljust(widths[i]) for i, v in enumerate(row)).rstrip())
    return "\n".join(lines)


def header(title: str, goal: str, how: str = "") -> str:
    bar = "=" * 78
    text = "%s\n%s\nGoal: %s" % (bar, title, goal)
    if how:
        text += "\n" + how
    return text + "\n" + bar


def jsonable(value):
    """Turn NA (and nested containers of it) into JSON-friendly values."""
    if isinstance(value, NA):
        return value.as_json()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
