"""The demo's picture: the Spark job's Parquet output -> one self-contained HTML report.

Four views of what the job wrote to its output folder:
  airline delays over time  airline_minute/: average departure delay per 1-minute window, the
                            airlines with the most departures as lines
  top delayed routes        top_delayed_routes/: the ranking of the latest 15-minute window
  latest flight positions   flight_positions/: every flight still in the air, at its latest
                            position, on a world map with the producer's airports for orientation
  quarantine by reason      quarantine/: records per reason kind (the reason up to its first ':')

Why SVG written here and no charting library: the report must open anywhere with no network, so a
CDN script or web font is out, and a vendored library would be hundreds of KB of third-party code
to review and keep up to date for a few lines, dots and bars. The page has no script at all:
tooltips are SVG <title>s. Its Content-Security-Policy allows nothing but its own <style> (by
hash), so the browser itself refuses any fetch a later change might add.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from local.pipeline import NODE_BIN, node_env
from local.versions import PROJECT_ROOT

REFERENCE_DATA = PROJECT_ROOT / "producer" / "src" / "reference-data.ts"
"""The producer's airports and airlines: the one list, read through Node (producer_reference_data)."""

TOP_AIRLINES = 6
"""Airlines drawn as lines in the delay chart: the ones with the most departures."""

DELAY_BIN_MINUTES = 10
"""The delay chart's time step. An airline has about one departure a minute in the demo, so its
1-minute windows alone would draw mostly noise and gaps."""

LINE_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")
"""Okabe-Ito colours, told apart with any colour vision; one per airline line (TOP_AIRLINES)."""

MAP_WIDTH = 1200
"""Equirectangular world map, 360 degrees of longitude in this many SVG units, latitude to the same
scale, cropped to the 15-degree bands that hold the airports and flights."""


@dataclass(frozen=True)
class ReferenceData:
    """The producer's airports ({iata, city, latDeg, lonDeg, ...}) and airline names by IATA code."""

    airports: list[dict]
    airline_names: dict[str, str]


def producer_reference_data(timeout_s: float = 60) -> ReferenceData:
    """AIRPORTS and AIRLINES of producer/src/reference-data.ts, exported by Node 24 (which runs the
    TypeScript module as it is), so the report shows exactly the airports the simulator flies between."""
    script = (
        "const { AIRPORTS, AIRLINES } = await import(process.argv[1]);"
        "process.stdout.write(JSON.stringify({ airports: AIRPORTS, airlines: AIRLINES }));"
    )
    done = subprocess.run(
        [str(NODE_BIN / "node"), "--input-type=module", "--eval", script, REFERENCE_DATA.as_uri()],
        capture_output=True, text=True, timeout=timeout_s, env=node_env(), cwd=PROJECT_ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"could not read the producer's reference data {REFERENCE_DATA} with Node: {done.stderr[-2000:]}")
    data = json.loads(done.stdout)
    return ReferenceData(data["airports"], {a["iata"]: a["name"] for a in data["airlines"]})


# ---- data shaping: the job's rows -> what each view draws (pure pandas) ----------------------------

def read_output(output_dir: Path, folder: str, columns: list[str]) -> pd.DataFrame:
    """`columns` of one of the job's Parquet folders (<folder>/batch_id=<n>/), timestamps in UTC;
    empty when the job wrote none (quarantine/ exists only once a record was malformed)."""
    path = Path(output_dir) / folder
    if not any(path.rglob("*.parquet")):
        return pd.DataFrame(columns=columns)
    rows = pd.read_parquet(path, columns=columns)
    for column in rows.columns:
        if pd.api.types.is_datetime64_any_dtype(rows[column]):
            rows[column] = pd.to_datetime(rows[column], utc=True)
    return rows


def airline_delay_series(airline_minute: pd.DataFrame, top: int = TOP_AIRLINES, bin_minutes: int = DELAY_BIN_MINUTES) -> pd.DataFrame:
    """Average departure delay (minutes) per `bin_minutes` of event time (rows: bin start, UTC) and
    airline (columns), for the `top` airlines with the most departures (ties: by airline code),
    busiest first: the departure-weighted mean of the job's 1-minute windows in the bin; NaN where
    the airline had no departure."""
    departures = airline_minute.groupby("airline")["departures"].sum().sort_index()
    busiest = list(departures.sort_values(ascending=False, kind="stable").index[:top])
    rows = airline_minute[airline_minute["airline"].isin(busiest)]
    bins = rows.assign(
        bin=rows["window_start"].dt.floor(f"{bin_minutes}min"),
        delay_total=rows["avg_departure_delay_min"].fillna(0) * rows["departures"],
    ).groupby(["bin", "airline"])[["delay_total", "departures"]].sum()
    mean = bins["delay_total"] / bins["departures"].where(bins["departures"] > 0)
    return mean.unstack("airline").reindex(columns=busiest).rename_axis(index="window_start").sort_index().astype(float)


def latest_route_ranking(top_routes: pd.DataFrame) -> pd.DataFrame:
    """The rows of the latest window in top_delayed_routes/, by rank."""
    latest = top_routes[top_routes["window_start"] == top_routes["window_start"].max()]
    return latest.sort_values("rank").reset_index(drop=True)


def latest_positions(positions: pd.DataFrame) -> pd.DataFrame:
    """One row per flight that reported a position: its row with the greatest position_time
    (flight_positions/ holds a row per flight and 5-minute window, rewritten as it changes), with
    `active` taken from its row with the greatest last_event_time: False once the flight's latest
    event landed, arrived or cancelled it. Sorted by flight_id."""
    fixes = positions.dropna(subset=["position_time"]).sort_values(["flight_id", "position_time"], kind="stable")
    latest_fix = fixes.groupby("flight_id").tail(1).drop(columns="active")
    states = positions.sort_values(["flight_id", "last_event_time"], kind="stable").groupby("flight_id").tail(1)
    return latest_fix.merge(states[["flight_id", "active"]], on="flight_id").sort_values("flight_id").reset_index(drop=True)


def quarantine_by_kind(reasons: pd.Series) -> pd.Series:
    """Quarantined records per reason kind, the reason up to its first ':' (as the job's
    quarantined_records metric labels them), most first (ties: by kind)."""
    kinds = reasons.astype(str).str.split(":", n=1).str[0]
    return kinds.value_counts().sort_index().sort_values(ascending=False, kind="stable")


# ---- rendering: escaped HTML and SVG, no script -------------------------------------------------

def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def _utc(moment: pd.Timestamp) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _nice_step(span: float, ticks: int) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` ticks over `span`."""
    raw = max(span, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _delay_chart(series: pd.DataFrame, airline_names: dict[str, str]) -> str:
    width, height, left, right, top, bottom = 1200, 320, 56, 16, 12, 28
    times = (series.index - series.index[0]).total_seconds().to_numpy()
    values = series.to_numpy()
    low, high = min(0.0, float(series.min().min())), float(series.max().max())
    step = _nice_step(high - low, 6)
    low, high = math.floor(low / step) * step, max(math.ceil(high / step) * step, math.floor(low / step) * step + step)
    span_s = max(times[-1], 60.0)

    def x(seconds: float) -> float:
        return left + seconds / span_s * (width - left - right)

    def y(delay: float) -> float:
        return top + (high - delay) / (high - low) * (height - top - bottom)

    parts = [f'<svg id="delay-chart" viewBox="0 0 {width} {height}" role="img" aria-label="departure delay per airline over time">']
    value = low
    while value <= high + step / 2:
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:g}</text>')
        value += step
    span_min = span_s / 60
    tick_min = next((m for m in (1, 5, 10, 15, 30, 60, 120, 180, 360, 720) if span_min / m <= 8),
                    math.ceil(span_min / 8 / 1440) * 1440)
    tick_format = "%H:%M" if span_min <= 1440 else "%m-%d %H:%M"
    for moment in pd.date_range(series.index[0].ceil(f"{tick_min}min"), series.index[-1], freq=f"{tick_min}min"):
        tx = x((moment - series.index[0]).total_seconds())
        parts.append(f'<text class="axis" x="{tx:.1f}" y="{height - 8}" text-anchor="middle">{moment.strftime(tick_format)}</text>')
    for i, airline in enumerate(series.columns):
        points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, values[:, i]) if not math.isnan(v))
        label = f"{airline} {airline_names.get(airline, '')}".strip()
        parts.append(f'<polyline class="airline-line" stroke="{LINE_COLOURS[i % len(LINE_COLOURS)]}" points="{points}">'
                     f"<title>{_text(label)}</title></polyline>")
    parts.append("</svg>")
    legend = "".join(
        f'<li><svg width="14" height="4"><rect width="14" height="4" fill="{LINE_COLOURS[i % len(LINE_COLOURS)]}"/></svg>'
        f" {_text(airline)} {_text(airline_names.get(airline, ''))}</li>"
        for i, airline in enumerate(series.columns)
    )
    return "".join(parts) + f'<ul class="legend">{legend}</ul>'


def _bar(fraction: float, width: int = 160) -> str:
    return f'<svg class="bar" width="{width}" height="10"><rect width="{max(0.0, fraction) * width:.1f}" height="10"/></svg>'


def _routes_table(ranking: pd.DataFrame) -> str:
    worst = ranking["avg_departure_delay_min"].max()
    rows = "".join(
        f"<tr><td>{int(r.rank)}</td><td>{_text(r.origin)} → {_text(r.destination)}</td><td>{int(r.flights)}</td>"
        f"<td>{r.avg_departure_delay_min:.1f}</td><td>{_bar(r.avg_departure_delay_min / worst if worst > 0 else 0)}</td></tr>"
        for r in ranking.itertuples()
    )
    return ('<table id="routes-table"><thead><tr><th>#</th><th>route</th><th>flights</th><th>avg delay, min</th><th></th></tr>'
            f"</thead><tbody>{rows}</tbody></table>")


def _degrees(value: int, positive: str, negative: str) -> str:
    return f"{abs(value)}°{positive if value > 0 else negative if value < 0 else ''}"


def _positions_map(flights: pd.DataFrame, airports: list[dict]) -> str:
    scale = MAP_WIDTH / 360  # SVG units per degree
    lats = [a["latDeg"] for a in airports] + flights["lat_deg"].astype(float).tolist() or [90.0, -90.0]
    north, south = math.ceil(max(lats) / 15) * 15, math.floor(min(lats) / 15) * 15
    height = (north - south) * scale

    def xy(lat_deg: float, lon_deg: float) -> tuple[float, float]:
        return (lon_deg + 180) * scale, (north - lat_deg) * scale

    parts = [f'<svg id="positions-map" viewBox="0 0 {MAP_WIDTH} {height:.0f}" role="img" aria-label="latest flight positions">',
             f'<rect class="sea" width="{MAP_WIDTH}" height="{height:.0f}"/>']
    for lon in range(-150, 180, 30):
        gx = xy(0, lon)[0]
        parts.append(f'<line class="graticule" x1="{gx:.1f}" x2="{gx:.1f}" y1="0" y2="{height:.0f}"/>'
                     f'<text class="axis" x="{gx + 3:.1f}" y="{height - 4:.0f}">{_degrees(lon, "E", "W")}</text>')
    for lat in range(south + 15, north, 15):
        gy = xy(lat, 0)[1]
        parts.append(f'<line class="graticule" x1="0" x2="{MAP_WIDTH}" y1="{gy:.1f}" y2="{gy:.1f}"/>'
                     f'<text class="axis" x="4" y="{gy - 3:.1f}">{_degrees(lat, "N", "S")}</text>')
    for airport in airports:
        ax, ay = xy(airport["latDeg"], airport["lonDeg"])
        parts.append(f'<g class="airport"><title>{_text(airport["iata"])} {_text(airport["city"])}</title>'
                     f'<circle cx="{ax:.1f}" cy="{ay:.1f}" r="3"/>'
                     f'<text x="{ax + 4:.1f}" y="{ay - 3:.1f}">{_text(airport["iata"])}</text></g>')
    for f in flights.itertuples():
        fx, fy = xy(f.lat_deg, f.lon_deg)
        tip = (f"{f.airline}{f.flight_number} {f.origin} → {f.destination}, {f.altitude_ft:,.0f} ft, "
               f"{f.ground_speed_kt:,.0f} kt, {_utc(f.position_time)}")
        parts.append(f'<circle class="flight" cx="{fx:.1f}" cy="{fy:.1f}" r="2.5"><title>{_text(tip)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _quarantine_table(kinds: pd.Series) -> str:
    most = int(kinds.max())
    rows = "".join(f"<tr><td>{_text(kind)}</td><td>{int(n):,}</td><td>{_bar(n / most)}</td></tr>" for kind, n in kinds.items())
    return ('<table id="quarantine-table"><thead><tr><th>reason</th><th>records</th><th></th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; color: #222; margin: 0; background: #f6f7f9; }
main { max-width: 1200px; margin: 0 auto; padding: 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 0 0 4px; }
section { background: #fff; border: 1px solid #dde; border-radius: 6px; padding: 12px 14px; margin: 12px 0; }
.columns { display: grid; grid-template-columns: 3fr 2fr; gap: 12px; } .columns section { margin: 0; }
.caption, .empty { color: #556; margin: 0 0 8px; } svg { display: block; max-width: 100%; height: auto; }
.grid { stroke: #e3e5ea; } .axis { font-size: 11px; fill: #667; }
.airline-line { fill: none; stroke-width: 1.6; }
.legend { list-style: none; padding: 0; margin: 6px 0 0; display: flex; flex-wrap: wrap; gap: 4px 18px; }
.legend svg, .bar { display: inline-block; vertical-align: middle; } .bar rect { fill: #d55e00; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eef; }
.sea { fill: #eef4fa; } .graticule { stroke: #cdd9e6; stroke-width: 0.8; }
.airport circle { fill: #fff; stroke: #334; stroke-width: 1.2; } .airport text { font-size: 10px; fill: #334; }
.flight { fill: #0072b2; fill-opacity: 0.7; }
"""


def _section(section_id: str, title: str, caption: str, body: str) -> str:
    return f'<section id="{section_id}"><h2>{_text(title)}</h2><p class="caption">{_text(caption)}</p>{body}</section>'


def _empty(sentence: str) -> str:
    return f'<p class="empty">{_text(sentence)}</p>'


def delays_section(airline_minute: pd.DataFrame, airline_names: dict[str, str]) -> str:
    if not airline_minute["departures"].sum():
        return _section("delays", "Airline delays over time", "", _empty("The job closed no airline window with a departure."))
    series = airline_delay_series(airline_minute)
    caption = (f"Average departure delay, minutes, per {DELAY_BIN_MINUTES} minutes of event time, the {len(series.columns)} "
               f"airlines with the most departures, {_utc(series.index[0])} to {_utc(series.index[-1])}")
    return _section("delays", "Airline delays over time", caption, _delay_chart(series, airline_names))


def routes_section(top_routes: pd.DataFrame) -> str:
    if top_routes.empty:
        return _section("routes", "Top delayed routes", "", _empty("The job closed no route window."))
    ranking = latest_route_ranking(top_routes)
    caption = f"Highest average departure delay, 15-minute window from {_utc(ranking['window_start'][0])}"
    return _section("routes", "Top delayed routes", caption, _routes_table(ranking))


def positions_section(positions: pd.DataFrame, airports: list[dict]) -> str:
    flights = latest_positions(positions)
    in_air = flights[flights["active"].astype(bool)]
    latest = f", the latest at {_utc(in_air['position_time'].max())}" if not in_air.empty else ""
    caption = (f"{len(in_air):,} flights in the air at their latest reported position{latest} ({len(flights) - len(in_air):,} "
               "that landed, arrived or were cancelled are not drawn); circles with a code are the producer's airports")
    return _section("positions", "Latest flight positions", caption, _positions_map(in_air, airports))


def quarantine_section(reasons: pd.Series) -> str:
    kinds = quarantine_by_kind(reasons)
    caption = f"{int(kinds.sum()):,} records quarantined, by reason kind"
    body = _quarantine_table(kinds) if not kinds.empty else _empty("No record was quarantined: every record was a valid flight event.")
    return _section("quarantine", "Quarantine by reason", caption, body)


def render_report(
    airline_minute: pd.DataFrame,
    top_routes: pd.DataFrame,
    positions: pd.DataFrame,
    reasons: pd.Series,
    reference: ReferenceData,
    subtitle: str = "",
) -> str:
    """The report's HTML from the job's rows (as read_output reads them) and the producer's reference data."""
    style_hash = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-{style_hash}'\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Flight Data Analytics report</title><style>{STYLE}</style></head><body><main>"
        f'<h1>Flight Data Analytics</h1><p class="caption">{_text(subtitle)}</p>'
        f"{delays_section(airline_minute, reference.airline_names)}{positions_section(positions, reference.airports)}"
        f'<div class="columns">{routes_section(top_routes)}{quarantine_section(reasons)}</div></main></body></html>\n'
    )


def write_report(output_dir: Path, html_path: Path, subtitle: str = "", reference: ReferenceData | None = None) -> Path:
    """Read the job's output folder, write the report to `html_path`, and return that path."""
    html_text = render_report(
        read_output(output_dir, "airline_minute", ["window_start", "airline", "departures", "avg_departure_delay_min"]),
        read_output(output_dir, "top_delayed_routes",
                    ["window_start", "rank", "origin", "destination", "flights", "avg_departure_delay_min"]),
        read_output(output_dir, "flight_positions", [
            "flight_id", "airline", "flight_number", "origin", "destination", "last_event_time", "active",
            "position_time", "lat_deg", "lon_deg", "altitude_ft", "ground_speed_kt",
        ]),
        read_output(output_dir, "quarantine", ["reason"])["reason"],
        reference or producer_reference_data(),
        subtitle,
    )
    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(html_text, encoding="utf-8")
    return html_path
