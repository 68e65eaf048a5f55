"""PNG charts for the lead office: village activities per month, indicator progress against target."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from locales.textcut import shorten

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "MAX_BARS", "IndicatorBar", "activity_chart", "chart_indicators", "indicator_bars", "indicator_chart",
    "percent_of_target", "progress",
]

MAX_BARS = 25  # rows an indicator chart stays readable with on a phone
_COLORS = ["#0068ff", "#f59f00", "#2f9e44", "#e03131", "#7048e8", "#1098ad", "#d6336c", "#5c940d"]


@dataclass(frozen=True)
class IndicatorBar:
    label: str
    percent_of_target: float  # 0..150 (capped for drawing)
    status: str  # on_track | at_risk | off_track | no_data


def percent_of_target(ind: Any) -> float | None:
    """An indicator row's latest value as a share of its target (yes/no: 100 or 0); None without data."""
    if ind.target_op == "bool":
        return None if ind.latest_achieved is None else (100.0 if ind.latest_achieved else 0.0)
    if ind.latest_value is not None and ind.target_value:
        return round(100.0 * ind.latest_value / ind.target_value, 1)
    return None


def progress(ind: Any) -> float | None:
    """How far an indicator row is towards its target, in percent (100 = met; None without data).

    The ratio of value to target, turned round for "at most" targets (a lower value is better there):
    ≤5 with 2 reported is 250 %, with 10 reported 50 %. Yes/no targets: 100 or 0."""
    if ind.target_op in ("<", "<=") and ind.latest_value is not None and ind.target_value is not None:
        if ind.latest_value <= 0:
            return 100.0 if ind.target_value <= 0 else 1000.0
        return round(100.0 * ind.target_value / ind.latest_value, 1)
    return percent_of_target(ind)


def chart_indicators(indicators: list[Any], limit: int = MAX_BARS) -> list[Any]:
    """The indicator rows a chart draws: those with data first, worst first (lowest ``progress``), then
    those without data (plan order) only while room remains."""
    with_data = [(p, n, i) for n, i in enumerate(indicators) if (p := progress(i)) is not None]
    empty = [i for i in indicators if progress(i) is None]
    ranked = [i for _p, _n, i in sorted(with_data, key=lambda t: (t[0], t[1]))]
    return (ranked + empty)[:max(limit, 0)]


def indicator_bars(indicators: list[Any], limit: int = MAX_BARS) -> list[IndicatorBar]:
    """Bars for ``indicator_chart`` from export indicator rows (handlers.exports.data.IndicatorRow), chosen
    and ordered by ``chart_indicators``."""
    return [IndicatorBar(f"{i.code}. {i.name}", progress(i) or 0.0, i.status)
            for i in chart_indicators(indicators, limit)]


def _pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, imported on the first chart (~40 MB: not at start-up)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def activity_chart(title: str, periods: list[str], series: dict[str, list[int]]) -> bytes:
    """Grouped bars: one group per period label, one bar per activity label."""
    fig, ax = _pyplot().subplots(figsize=(8, 4.2))
    n = max(len(series), 1)
    width = 0.8 / n
    for i, (label, values) in enumerate(series.items()):
        xs = [p + i * width - 0.4 + width / 2 for p in range(len(periods))]
        ax.bar(xs, values, width, label=label, color=_COLORS[i % len(_COLORS)])
    ax.set_xticks(range(len(periods)), periods)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    if series:
        ax.legend(fontsize=8, ncols=2, frameon=False)
    return _png(fig)


def indicator_chart(title: str, bars: list[IndicatorBar], xlabel: str = "% of target") -> bytes:
    """Horizontal bars of latest value as a share of target; a line at 100 %."""
    colors = {"on_track": "#2f9e44", "at_risk": "#f59f00", "off_track": "#e03131", "no_data": "#adb5bd"}
    fig, ax = _pyplot().subplots(figsize=(8, 0.45 * max(len(bars), 3) + 1.2))
    ys = list(range(len(bars)))[::-1]
    ax.barh(ys, [min(b.percent_of_target, 150) for b in bars], color=[colors.get(b.status, "#adb5bd") for b in bars])
    ax.set_yticks(ys, [shorten(b.label, 45) for b in bars], fontsize=8)
    ax.axvline(100, color="#343a40", linewidth=1, linestyle="--")
    ax.set_xlim(0, 150)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)
