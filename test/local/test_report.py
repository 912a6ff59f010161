"""The demo report's data shaping and rendering (local/report.py), on small frames shaped like the
job's Parquet output. The report rendered from a real run, in a real browser: test_report_browser.py."""
from __future__ import annotations

import base64
import hashlib
import math
import re

import pandas as pd
from local import report
from local.report import (
    ReferenceData,
    airline_delay_series,
    latest_positions,
    latest_route_ranking,
    producer_reference_data,
    quarantine_by_kind,
    read_output,
    render_report,
)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def position_row(flight_id, window, last_event_time, event_type, position_time=None, lat=None, lon=None, **extra):
    return {
        "flight_id": flight_id, "airline": "BA", "flight_number": "123", "origin": "LHR", "destination": "JFK",
        "window_start": utc(window), "last_event_time": utc(last_event_time), "last_event_type": event_type,
        "active": event_type not in ("landed", "arrived", "cancelled"),
        "position_time": utc(position_time) if position_time else pd.NaT, "lat_deg": lat, "lon_deg": lon,
        "altitude_ft": 35000.0 if lat is not None else None, "ground_speed_kt": 480.0 if lat is not None else None,
        **extra,
    }


def test_latest_positions_take_each_flights_latest_fix_and_its_latest_state():
    # GIVEN rows per flight and 5-minute window, as the job writes them (a window row is rewritten as it changes)
    positions = pd.DataFrame([
        position_row("F1", "2026-01-01T06:00Z", "2026-01-01T06:03Z", "position", "2026-01-01T06:03Z", 50.0, -10.0),
        position_row("F1", "2026-01-01T06:05Z", "2026-01-01T06:06Z", "position", "2026-01-01T06:06Z", 51.0, -11.0),
        # a later window with no position at all: its state counts, its (missing) fix does not
        position_row("F1", "2026-01-01T06:10Z", "2026-01-01T06:11Z", "landed"),
        position_row("F2", "2026-01-01T06:00Z", "2026-01-01T06:02Z", "position", "2026-01-01T06:01Z", 10.0, 20.0),
        position_row("F2", "2026-01-01T06:00Z", "2026-01-01T06:04Z", "position", "2026-01-01T06:04Z", 11.0, 21.0),
        # a flight that never reported a position is not on the map
        position_row("F3", "2026-01-01T06:00Z", "2026-01-01T06:01Z", "departed"),
    ])
    # WHEN the report shapes them
    latest = latest_positions(positions.sample(frac=1, random_state=7))
    # THEN each flight with a fix has one row: its latest fix, and `active` from its latest event
    assert latest[["flight_id", "lat_deg", "lon_deg", "active"]].to_dict("records") == [
        {"flight_id": "F1", "lat_deg": 51.0, "lon_deg": -11.0, "active": False},
        {"flight_id": "F2", "lat_deg": 11.0, "lon_deg": 21.0, "active": True},
    ]
    assert list(latest["position_time"]) == [utc("2026-01-01T06:06Z"), utc("2026-01-01T06:04Z")]


def test_quarantine_kinds_are_the_reasons_up_to_their_first_colon_most_first():
    reasons = pd.Series([
        "invalid_json", "missing_required:flight_id", "missing_required:event_time", "invalid_json",
        "unsupported_schema_version:2", "event_time_ahead:PT5M", "invalid_json", "out_of_range:position.lat_deg",
    ])
    assert quarantine_by_kind(reasons).to_dict() == {
        "invalid_json": 3, "missing_required": 2, "event_time_ahead": 1, "out_of_range": 1, "unsupported_schema_version": 1,
    }
    assert list(quarantine_by_kind(reasons).index)[2:] == ["event_time_ahead", "out_of_range", "unsupported_schema_version"]
    assert quarantine_by_kind(pd.Series([], dtype=object)).empty


def airline_minute_row(minute: str, airline: str, departures: int, avg: float | None) -> dict:
    return {"window_start": utc(minute), "airline": airline, "departures": departures, "avg_departure_delay_min": avg}


def test_airline_delays_are_departure_weighted_per_bin_for_the_busiest_airlines():
    # GIVEN 1-minute windows of three airlines; CC departs least
    rows = pd.DataFrame([
        airline_minute_row("2026-01-01T06:00Z", "AA", 1, 10.0),
        airline_minute_row("2026-01-01T06:01Z", "AA", 3, 2.0),
        airline_minute_row("2026-01-01T06:02Z", "AA", 0, None),
        airline_minute_row("2026-01-01T06:10Z", "AA", 0, None),
        airline_minute_row("2026-01-01T06:00Z", "BB", 2, 5.0),
        airline_minute_row("2026-01-01T06:12Z", "BB", 2, 7.0),
        airline_minute_row("2026-01-01T06:00Z", "CC", 1, 99.0),
    ])
    # WHEN the two busiest are drawn per 10 minutes
    series = airline_delay_series(rows, top=2, bin_minutes=10)
    # THEN a bin's value is the mean over its departures, NaN where the airline had none, busiest first
    assert list(series.columns) == ["AA", "BB"]
    assert list(series.index) == [utc("2026-01-01T06:00Z"), utc("2026-01-01T06:10Z")]
    assert series.loc[utc("2026-01-01T06:00Z")].tolist() == [(10.0 + 3 * 2.0) / 4, 5.0]
    assert math.isnan(series.loc[utc("2026-01-01T06:10Z"), "AA"]) and series.loc[utc("2026-01-01T06:10Z"), "BB"] == 7.0


def test_busiest_airlines_tie_by_code():
    rows = pd.DataFrame([airline_minute_row("2026-01-01T06:00Z", code, 1, 1.0) for code in ("ZZ", "MM", "AA")])
    assert list(airline_delay_series(rows, top=2).columns) == ["AA", "MM"]


def route_row(window: str, rank: int, origin: str, avg: float) -> dict:
    return {"window_start": utc(window), "rank": rank, "origin": origin, "destination": "JFK", "flights": 1,
            "avg_departure_delay_min": avg}


def test_route_ranking_is_the_latest_windows_by_rank():
    rows = pd.DataFrame([
        route_row("2026-01-01T06:15Z", 2, "LHR", 30.0), route_row("2026-01-01T06:00Z", 1, "CDG", 90.0),
        route_row("2026-01-01T06:15Z", 1, "FRA", 45.0),
    ])
    ranking = latest_route_ranking(rows)
    assert ranking[["rank", "origin"]].to_dict("records") == [{"rank": 1, "origin": "FRA"}, {"rank": 2, "origin": "LHR"}]


def test_a_folder_the_job_did_not_write_reads_as_no_rows(tmp_path):
    rows = read_output(tmp_path, "quarantine", ["reason"])
    assert rows.empty and list(rows.columns) == ["reason"]


def test_airports_come_from_the_producers_reference_data():
    reference = producer_reference_data()
    lhr = next(a for a in reference.airports if a["iata"] == "LHR")
    assert (lhr["city"], lhr["latDeg"], lhr["lonDeg"]) == ("London", 51.47, -0.4543)
    assert reference.airline_names["BA"] == "British Airways"


HOSTILE = '<script>alert("x")</script>&'


def hostile_report() -> str:
    """A report whose every text field holds markup: the rows and reference data are data, never HTML."""
    reference = ReferenceData([{"iata": HOSTILE, "city": HOSTILE, "latDeg": 10.0, "lonDeg": 20.0}], {HOSTILE: HOSTILE})
    return render_report(
        pd.DataFrame([airline_minute_row(minute, HOSTILE, 2, 5.0) for minute in ("2026-01-01T06:00Z", "2026-01-01T06:20Z")]),
        pd.DataFrame([{**route_row("2026-01-01T06:00Z", 1, HOSTILE, 9.0), "destination": HOSTILE}]),
        pd.DataFrame([position_row("F1", "2026-01-01T06:00Z", "2026-01-01T06:01Z", "position", "2026-01-01T06:01Z", 1.0, 2.0,
                                   **{"airline": HOSTILE, "origin": HOSTILE})]),
        pd.Series([f"{HOSTILE}:x"]),
        reference,
        subtitle=HOSTILE,
    )


def test_every_text_is_escaped():
    page = hostile_report()
    assert "<script" not in page and 'alert("x")' not in page
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;") >= 7


def test_the_page_allows_no_fetch_and_only_its_own_style():
    page = hostile_report()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    style_hash = base64.b64encode(hashlib.sha256(report.STYLE.encode()).digest()).decode()
    assert policy == f"default-src 'none'; style-src 'sha256-{style_hash}'"
    assert f"<style>{report.STYLE}</style>" in page
    assert not re.search(r"\b(src|href)=", page), "the report must not load anything"


def test_a_report_of_an_empty_output_says_so_in_every_section(tmp_path):
    page = report.write_report(tmp_path / "output", tmp_path / "report.html",
                               reference=ReferenceData([], {})).read_text(encoding="utf-8")
    assert "The job closed no airline window with a departure" in page and "The job closed no route window" in page
    assert "0 flights in the air" in page and "No record was quarantined" in page


def test_a_delay_chart_of_constant_delays_over_days_still_has_an_axis():
    reference = ReferenceData([], {})
    rows = pd.DataFrame([airline_minute_row(minute, "AA", 1, 0.0) for minute in ("2026-01-01T06:00Z", "2026-01-03T18:00Z")])
    section = report.delays_section(rows, reference.airline_names)
    assert section.count('class="grid"') >= 2 and "01-02 00:00" in section
