"""Static pictures of Grafana dashboards: each panel's query result drawn as inline SVG (or
an HTML table) on Grafana's 24-column grid, one self-contained HTML page per dashboard.

Why not Grafana's own renderer: Grafana is not installed here (it runs as a container) and
its image renderer is a plugin with a browser of its own. These pages need only the standard
library; headless Chromium turns them into the README's PNGs. They draw the data of the real
panel queries simply, in Grafana's dark colours: a picture of what the dashboards show, not
a copy of Grafana's look.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from taxi_platform.settings import timezone
from taxi_platform_dev.bi.reader import Result

PAGE_WIDTH = 1280
MARGIN, GAP, ROW, TITLE, HEADER = 16, 8, 30, 30, 64
COLUMN = (PAGE_WIDTH - 2 * MARGIN) / 24
PALETTE = (
    *("#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c"),
    *("#5794f2", "#b877d9", "#fade2a", "#96d98d", "#ffb357"),
)
TEXT, MUTED, GRID = "#ccccdc", "#8e8e9e", "#2c3235"
STYLE = f"""
body {{ margin: 0; background: #111217; color: {TEXT}; font: 13px sans-serif; }}
header {{ position: absolute; left: {MARGIN}px; top: 10px; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }} header p {{ margin: 0; color: {MUTED}; }}
.panel {{ position: absolute; background: #181b1f; border: 1px solid {GRID};
  border-radius: 3px; overflow: hidden; box-sizing: border-box; }}
.panel h2 {{ font-size: 13px; margin: 0; padding: 7px 8px; height: {TITLE}px;
  box-sizing: border-box; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
table {{ border-collapse: collapse; width: 100%; font-size: 12px; }}
th, td {{ text-align: left; padding: 3px 8px; border-bottom: 1px solid {GRID};
  white-space: nowrap; }}
th {{ color: #6e9fff; }} .empty {{ color: {MUTED}; padding: 8px; }}
"""


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool | str | datetime):
        return None
    return float(value) if isinstance(value, int | float | Decimal) else None


def format_value(value: Any, unit: str = "short", decimals: int | None = None, tz=UTC) -> str:
    """A cell or stat value as Grafana would show it for the panel's unit."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"
    number = _number(value)
    if number is None:
        return "–" if value is None else str(value)
    if unit == "percentunit":
        return f"{number * 100:.{1 if decimals is None else decimals}f}%"
    if unit == "s":
        for size, name in ((86400, "d"), (3600, "h"), (60, "min")):
            if abs(number) >= size:
                return f"{number / size:.1f} {name}"
        return f"{number:.0f} s"
    if number.is_integer() and decimals is None:
        return f"{int(number):,}"
    return f"{number:,.{2 if decimals is None else decimals}f}"


def _time(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _text(x: float, y: float, text: str, size: int = 11, anchor: str = "start", fill=MUTED):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" '
        f'text-anchor="{anchor}">{html.escape(text)}</text>'
    )


def _rect(x: float, y: float, width: float, height: float, fill: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 1):.1f}" '
        f'height="{max(height, 1):.1f}" fill="{fill}"/>'
    )


def _svg(width: float, height: float, body: list[str]) -> str:
    return f'<svg width="{width:.0f}" height="{height:.0f}">{"".join(body)}</svg>'


def _legend(names: list[str], x: float, y: float) -> list[str]:
    items, offset = [], x
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        items += [_rect(offset, y - 9, 12, 4, color), _text(offset + 16, y, name)]
        offset += 28 + 7 * len(name)
    return items


def _series(result: Result) -> tuple[list[datetime], dict[str, list[float | None]]]:
    """Time stamps and one value list per series, from wide or long (metric, value) rows."""
    if set(result.columns) == {"time", "metric", "value"}:
        times = sorted(set(result.column("time")))
        series: dict[str, list[float | None]] = {}
        positions = {t: n for n, t in enumerate(times)}
        for t, metric, value in zip(*map(result.column, ("time", "metric", "value")), strict=True):
            series.setdefault(metric, [None] * len(times))[positions[t]] = _number(value)
        return times, series
    names = [c for c in result.columns if c != "time"]
    return result.column("time"), {n: [_number(v) for v in result.column(n)] for n in names}


def _value_ticks(low: float, high: float, count: int = 4) -> tuple[list[float], int]:
    """Round tick values covering [low, high], and the decimals their step needs."""
    raw = ((high - low) or abs(high) or 1.0) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks = [math.floor(low / step) * step]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(ticks[-1] + step)
    return ticks, len(f"{step:.10f}".rstrip("0").split(".")[1])


def _time_ticks(t0: float, t1: float, tz) -> list[datetime]:
    """Whole local hours (or midnights) between t0 and t1, about six of them."""
    hours = (t1 - t0) / 3600
    step = next((h for h in (1, 2, 3, 6, 12, 24, 48, 168) if hours / h <= 7), 720)
    tick = datetime.fromtimestamp(t0, tz).replace(minute=0, second=0, microsecond=0)
    ticks = []
    while tick.timestamp() <= t1:
        on_step = tick.hour % step == 0 if step < 24 else tick.hour == 0
        if tick.timestamp() >= t0 and on_step and (step <= 24 or tick.day % (step // 24) == 0):
            ticks.append(tick)
        tick += timedelta(hours=1)
    return ticks


def _local(value: datetime, tz) -> datetime:
    """A naive timestamp is a date cast to one (`event_date::timestamp`): shown as it is."""
    return value if value.tzinfo is None else value.astimezone(tz)


def _daily(times: list[datetime], tz) -> bool:
    """Dates cast to timestamps (`stat_date::timestamptz`): midnights in the dashboard's
    zone, or naive ones; one per day."""
    return all(_local(t, tz).time() == datetime.min.time() for t in times)


def timeseries(result: Result, panel: dict, width: float, height: float, tz) -> str:
    """Lines on a time axis; bars, and daily series, on one slot per time stamp."""
    times, series = _series(result)
    defaults = panel["fieldConfig"]["defaults"]
    unit = defaults.get("unit", "short")
    values = [v for vs in series.values() for v in vs if v is not None]
    ticks, decimals = _value_ticks(min(0.0, *values), max(values))
    low, high = ticks[0], ticks[-1]
    left, right, top, bottom = 60, width - 12, 8, height - 40
    daily = _daily(times, tz)
    bars = defaults.get("custom", {}).get("drawStyle") == "bars"
    slots = bars or daily
    band = (right - left) / len(times)
    t0, t1 = _time(times[0]), _time(times[-1])

    def at(seconds: float) -> float:
        return left + 8 + (seconds - t0) / ((t1 - t0) or 1.0) * (right - left - 16)

    def x(n: int) -> float:
        return left + band * (n + 0.5) if slots else at(_time(times[n]))

    def y(v: float) -> float:
        return bottom - (v - low) / ((high - low) or 1) * (bottom - top)

    if unit == "percentunit":
        decimals = max(0, decimals - 2)
    body = []
    for tick in ticks:
        body += [
            f'<line x1="{left}" x2="{right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}"/>',
            _text(left - 6, y(tick) + 4, format_value(tick, unit, decimals), anchor="end"),
        ]
    if slots:
        every = math.ceil(len(times) / 12)
        fmt = "%m-%d" if daily else ("%m-%d %H:%M" if t1 - t0 > 86400 else "%H:%M")
        moments = [_local(t, tz) for t in times]
        labels = [(x(n), f"{moments[n]:{fmt}}") for n in range(0, len(times), every)]
    else:
        fmt = "%m-%d %H:%M" if t1 - t0 > 86400 else "%H:%M"
        labels = [(at(tick.timestamp()), f"{tick:{fmt}}") for tick in _time_ticks(t0, t1, tz)]
    body += [_text(px, bottom + 16, label, anchor="middle") for px, label in labels]
    bar = min(band * 0.8 / len(series), 36)
    for i, series_values in enumerate(series.values()):
        color = PALETTE[i % len(PALETTE)]
        points = [(x(n), y(v)) for n, v in enumerate(series_values) if v is not None]
        if bars:
            offset = (i - len(series) / 2) * bar
            body += [
                _rect(px + offset, min(py, y(0)), bar - 1, abs(y(0) - py), color)
                for px, py in points
            ]
            continue
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        body += [_rect(px - 3, py - 3, 6, 6, color) for px, py in points if len(points) < 10]
    body += _legend(list(series), left, height - 6)
    return _svg(width, height, body)


def heatmap(result: Result, panel: dict, width: float, height: float, tz) -> str:
    times, series = _series(result)
    values = [v for vs in series.values() for v in vs if v is not None]
    low, high = min(values), max(values)
    left, top, bottom = 170, 4, height - 22
    cell_w = (width - left - 8) / len(times)
    cell_h = (bottom - top) / len(series)
    body = []
    for row, (name, row_values) in enumerate(series.items()):
        cy = top + row * cell_h
        body.append(_text(left - 6, cy + cell_h / 2 + 4, name[:26], anchor="end", fill=TEXT))
        for col, value in enumerate(row_values):
            if value is None:
                continue
            share = (value - low) / ((high - low) or 1)
            color = f"rgb({40 + 215 * share:.0f},{30 + 120 * share:.0f},{20 + 10 * share:.0f})"
            body.append(_rect(left + col * cell_w, cy, cell_w - 1, cell_h - 1, color))
    step = max(1, len(times) // 12)
    for col in range(0, len(times), step):
        label = f"{times[col].astimezone(tz):%H:%M}"
        body.append(_text(left + (col + 0.5) * cell_w, height - 6, label, anchor="middle"))
    return _svg(width, height, body)


def barchart(result: Result, panel: dict, width: float, height: float, tz) -> str:
    label = panel["options"]["xField"]
    names = [c for c in result.columns if c != label]
    labels = result.column(label)
    values = {n: [_number(v) or 0.0 for v in result.column(n)] for n in names}
    high = max(max(vs) for vs in values.values()) or 1.0
    left, right, top, bottom = 170, width - 56, 4, height - 22
    band = min((bottom - top) / max(len(labels), 1), 16 + 12 * len(names))
    bar = band * 0.8 / len(names)
    body = []
    for row, name in enumerate(labels):
        y0 = top + row * band + band * 0.1
        body.append(_text(left - 6, y0 + band * 0.4 + 4, str(name)[:26], anchor="end", fill=TEXT))
        for i, series in enumerate(names):
            length = values[series][row] / high * (right - left)
            y = y0 + i * bar
            body.append(_rect(left, y, length, bar - 1, PALETTE[i % len(PALETTE)]))
            if bar >= 9:  # room for the value beside the bar
                text = format_value(values[series][row])
                body.append(_text(left + length + 4, y + bar * 0.5 + 4, text))
    body += _legend(names, 8, height - 6)
    return _svg(width, height, body)


def piechart(result: Result, panel: dict, width: float, height: float, tz) -> str:
    labels, numbers = result.column(result.columns[0]), result.column(result.columns[1])
    values = [_number(v) or 0.0 for v in numbers]
    total = sum(values) or 1.0
    radius = min(height / 2 - 8, width / 4)
    ring = radius * 0.78  # the stroke (0.44 r) is centred on it: outer edge at r
    cx, cy, angle, body = radius + 8, height / 2, -math.pi / 2, []
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        sweep = value / total * 2 * math.pi
        end = angle + sweep
        x0, y0 = cx + ring * math.cos(angle), cy + ring * math.sin(angle)
        x1, y1 = cx + ring * math.cos(end), cy + ring * math.sin(end)
        color = PALETTE[i % len(PALETTE)]
        stroke = f'fill="none" stroke="{color}" stroke-width="{radius * 0.44:.1f}"'
        body.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{ring:.1f}" {stroke}/>'
            if value >= total  # one slice: an arc from a point back to itself draws nothing
            else f'<path d="M{x0:.1f},{y0:.1f} A{ring:.1f},{ring:.1f} 0 '
            f'{int(sweep > math.pi)} 1 {x1:.1f},{y1:.1f}" {stroke}/>'
        )
        ly = 20 + i * 18
        body += [
            _rect(cx + radius + 30, ly - 9, 10, 10, color),
            _text(cx + radius + 46, ly, str(name)[:28], fill=TEXT),
            _text(width - 12, ly, f"{format_value(value)}  {value / total:.0%}", anchor="end"),
        ]
        angle = end
    return _svg(width, height, body)


def stat(result: Result, panel: dict, width: float, height: float, tz) -> str:
    defaults = panel["fieldConfig"]["defaults"]
    steps = defaults.get("thresholds", {}).get("steps", [])
    body, share = [], width / len(result.columns)
    for i, (name, value) in enumerate(zip(result.columns, result.rows[0], strict=True)):
        number = _number(value)
        color = "#8ab8ff"
        if defaults.get("color", {}).get("mode") == "thresholds" and number is not None:
            color = [s["color"] for s in steps if s["value"] is None or number >= s["value"]][-1]
            color = {"green": "#73bf69", "orange": "#ff9830", "red": "#f2495c"}.get(color, color)
        text = format_value(value, defaults.get("unit", "short"), defaults.get("decimals"), tz)
        size = min(height * 0.45, share / max(len(text), 3) * 1.6)
        cx = share * (i + 0.5)
        body += [
            _text(cx, height * 0.55, text, size=int(size), anchor="middle", fill=color),
            _text(cx, height * 0.55 + 18, name.replace("_", " "), anchor="middle"),
        ]
    return _svg(width, height, body)


def table(result: Result, panel: dict, width: float, height: float, tz) -> str:
    shown = result.rows[: max(1, int((height - 22) // 21))]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in result.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(format_value(v, tz=tz))}</td>" for v in row) + "</tr>"
        for row in shown
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


RENDERERS: dict[str, Callable[..., str]] = {
    "timeseries": timeseries,
    "heatmap": heatmap,
    "barchart": barchart,
    "piechart": piechart,
    "stat": stat,
    "table": table,
}


def render_page(dashboard: dict, results: dict[int, Result], subtitle: str) -> str:
    """The dashboard as one HTML page: every panel at its grid place, drawn from `results`
    (by panel id); a panel without rows says so, as Grafana's "No data" does."""
    # A dashboard without its own zone is shown in Grafana's default (GF_USERS_DEFAULT_TIMEZONE,
    # the business time zone wherever the platform starts Grafana).
    tz = ZoneInfo(dashboard.get("timezone") or timezone())
    sections, bottom = [], 0.0
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        left, top = MARGIN + grid["x"] * COLUMN, HEADER + grid["y"] * ROW
        width, height = grid["w"] * COLUMN - GAP, grid["h"] * ROW - GAP
        bottom = max(bottom, top + height)
        result = results.get(panel["id"])
        inner_w, inner_h = width - 18, height - TITLE - 10
        content = (
            RENDERERS[panel["type"]](result, panel, inner_w, inner_h, tz)
            if result and result.rows
            else '<div class="empty">No data</div>'
        )
        sections.append(
            f'<section class="panel" style="left:{left:.0f}px;top:{top:.0f}px;'
            f'width:{width:.0f}px;height:{height:.0f}px"><h2>{html.escape(panel["title"])}</h2>'
            f'<div style="padding:0 8px">{content}</div></section>'
        )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(dashboard['title'])}</title><style>{STYLE}</style></head>"
        f'<body style="height:{bottom + MARGIN:.0f}px"><header><h1>'
        f"{html.escape(dashboard['title'])}</h1><p>{html.escape(subtitle)}</p></header>"
        f"{''.join(sections)}</body></html>"
    )
