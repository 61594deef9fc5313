"""Messages per day by status group, laid out as a small stacked-bar SVG (server-rendered)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 1000
HEIGHT = 150
TOP = 12  # room for the highest bar's total
BOTTOM = 20  # room for the day labels
LEFT = 30  # room for the axis figures


@dataclass(frozen=True)
class Bar:
    """One segment of a day's bar: the messages of one status group."""

    x: float
    y: float
    width: float
    height: float
    group: str
    label: str
    count: int
    day: date


@dataclass(frozen=True)
class DayColumn:
    day: date
    total: int
    x_middle: float
    bars: tuple[Bar, ...]
    show_label: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    base_y: float
    top_y: float
    left: int
    maximum: int
    columns: tuple[DayColumn, ...]
    legend: tuple[tuple[str, str, int], ...]  # (group, label, total over the period)

    @property
    def empty(self) -> bool:
        return self.maximum == 0


def chart_build(
    *,
    days: Sequence[date],
    counts: Mapping[date, Mapping[str, int]],
    groups: Sequence[tuple[str, str]],
) -> Chart:
    """Lay out one stacked bar per day; `groups` are (value, label) from bottom to top."""
    maximum = max((sum(counts.get(day, {}).values()) for day in days), default=0)
    plot_height = HEIGHT - TOP - BOTTOM
    base_y = HEIGHT - BOTTOM
    step = (WIDTH - LEFT) / max(len(days), 1)
    bar_width = step * 0.7
    columns = []
    for index, day in enumerate(days):
        x = LEFT + index * step + (step - bar_width) / 2
        y = float(base_y)
        bars = []
        for group, label in groups:
            count = counts.get(day, {}).get(group, 0)
            if not count:
                continue
            height = plot_height * count / maximum
            y -= height
            bars.append(Bar(x, y, bar_width, height, group, label, count, day))
        columns.append(
            DayColumn(
                day=day,
                total=sum(counts.get(day, {}).values()),
                x_middle=x + bar_width / 2,
                bars=tuple(bars),
                # Every other day, counted from today, so the labels never overlap.
                show_label=(len(days) - 1 - index) % 2 == 0,
            )
        )
    legend = tuple(
        (group, label, sum(counts.get(day, {}).get(group, 0) for day in days))
        for group, label in groups
    )
    return Chart(WIDTH, HEIGHT, base_y, TOP, LEFT, maximum, tuple(columns), legend)
