"""`make demo`'s HTML report, from a real run, opened in a real browser (headless Chromium, the
Debian package `chromium`): it renders with no script error, fetches nothing but itself, and its
four views hold what the job wrote.

The browser is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages
ending in NUL, the browser reads fd 3 and writes fd 4), which reports every uncaught exception,
console error, Content-Security-Policy violation and request of the page, with no extra library.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import select
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from local.report import TOP_AIRLINES, producer_reference_data
from test_report import HOSTILE, hostile_report

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGE_TIMEOUT_S = 60

DOM_FACTS = """JSON.stringify({
  sections: [...document.querySelectorAll('main section')].map((s) => s.id),
  airlineLines: [...document.querySelectorAll('#delay-chart polyline.airline-line')]
    .map((line) => line.getAttribute('points').split(' ').length),
  routeRows: [...document.querySelectorAll('#routes-table tbody tr')].map((r) => r.cells[1].textContent),
  flightDots: document.querySelectorAll('#positions-map circle.flight').length,
  airports: document.querySelectorAll('#positions-map g.airport').length,
  quarantineRows: document.querySelectorAll('#quarantine-table tbody tr').length,
  quarantineText: document.querySelector('#quarantine')?.textContent ?? '',
  mapWidthPx: document.querySelector('#positions-map')?.getBoundingClientRect().width ?? 0,
})"""
"""What the test reads back from the rendered page (after layout: the map's width is measured)."""


@dataclass
class PageLoad:
    """What the browser saw while it loaded a page: problems (exceptions, console errors, CSP
    violations, as text), the URLs the page requested, and DOM_FACTS evaluated after the load event."""

    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)


class DevToolsPipe:
    """One headless Chromium, driven over --remote-debugging-pipe, every read bounded by a deadline."""

    def __init__(self, user_data_dir: Path, timeout_s: float):
        if not Path(CHROMIUM).exists():
            pytest.fail(f"{CHROMIUM} not found: the report test needs the Debian package chromium (apt-get install chromium)")
        self.deadline = time.monotonic() + timeout_s
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()
        # Moved above fd 10 first, so that placing them at 3 and 4 in the child cannot overwrite one with the other.
        child_r, child_w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser_r, from_browser_w))
        os.close(to_browser_r), os.close(from_browser_w)

        def pipe_at_3_and_4() -> None:
            os.dup2(child_r, 3), os.dup2(child_w, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
             f"--user-data-dir={user_data_dir}", "--window-size=1280,1600"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=pipe_at_3_and_4, close_fds=False, start_new_session=True,
        )
        os.close(child_r), os.close(child_w)
        self.buffer, self.next_id, self.events = b"", 0, []

    def close(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the browser's own process group (start_new_session)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        os.close(self.to_browser), os.close(self.from_browser)

    def _message(self) -> dict:
        while b"\0" not in self.buffer:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.from_browser], [], [], remaining)[0]:
                raise TimeoutError(f"Chromium did not answer within the test's {PAGE_TIMEOUT_S} s")
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError(f"Chromium closed the DevTools pipe (exit code {self.process.poll()})")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and return its result; events that arrive meanwhile are kept in self.events."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"DevTools {method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> None:
        while not any(e.get("method") == method and e.get("sessionId") == session for e in self.events):
            self.events.append(self._message())


def load_page(url: str, user_data_dir: Path) -> PageLoad:
    browser = DevToolsPipe(user_data_dir, PAGE_TIMEOUT_S)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            browser.call(f"{domain}.enable", session=session)
        browser.call("Page.navigate", {"url": url}, session=session)
        browser.wait_for("Page.loadEventFired", session)
        facts = browser.call("Runtime.evaluate", {"expression": DOM_FACTS, "returnByValue": True}, session=session)
        if "exceptionDetails" in facts:
            raise RuntimeError(f"reading the page's DOM failed: {facts['exceptionDetails']}")
        page = PageLoad(facts=json.loads(facts["result"]["value"]))
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                page.problems.append(f"exception: {details.get('exception', {}).get('description') or details['text']}")
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "warning", "assert"):
                page.problems.append(f"console.{params['type']}: {[a.get('value', a.get('description')) for a in params['args']]}")
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                page.problems.append(f"{params['entry']['source']} {params['entry']['level']}: {params['entry']['text']}")
            elif method == "Network.requestWillBeSent":
                page.requests.append(params["request"]["url"])
        return page
    finally:
        browser.close()


def test_the_browser_check_sees_script_errors_and_fetches(tmp_path):
    """The check itself: a page that throws, logs an error and fetches must be caught doing so."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\"></head>"
        "<body><img src=\"http://192.0.2.1/tracker.png\"><main><section id=\"s\"></section></main></body></html>",
        encoding="utf-8",
    )
    page = load_page(bad.as_uri(), tmp_path / "profile")
    assert any("Content Security Policy" in p for p in page.problems), page.problems
    assert page.requests == [bad.as_uri(), "http://192.0.2.1/tracker.png"]
    assert page.facts["sections"] == ["s"]
    script = tmp_path / "script.html"
    script.write_text("<!DOCTYPE html><script>console.error('logged'); undefinedFunction();</script>", encoding="utf-8")
    problems = load_page(script.as_uri(), tmp_path / "profile2").problems
    assert any("undefinedFunction" in p for p in problems) and any("logged" in p for p in problems), problems


def test_a_report_with_markup_in_its_data_and_quarantined_records_renders_it_as_text(tmp_path):
    # GIVEN a report whose every text field holds a script tag (test_report.hostile_report)
    report_path = tmp_path / "report.html"
    report_path.write_text(hostile_report(), encoding="utf-8")
    # WHEN a real browser opens it
    page = load_page(report_path.as_uri(), tmp_path / "profile")
    # THEN no script ran (none would be allowed to) and the markup shows as text, in the quarantine table too
    assert page.problems == [] and page.requests == [report_path.as_uri()]
    assert page.facts["quarantineRows"] == 1 and HOSTILE in page.facts["quarantineText"]
    assert page.facts["routeRows"] == [f"{HOSTILE} → {HOSTILE}"]
    assert page.facts["flightDots"] == 1 and page.facts["airports"] == 1


def expected_flights_in_the_air(output: Path) -> int:
    """Independently of local/report.py: flights whose latest event (greatest last_event_time) left
    them active and that reported a position at some point."""
    rows = pd.read_parquet(output / "flight_positions")
    state = rows.loc[rows.groupby("flight_id")["last_event_time"].idxmax()]
    with_fix = set(rows.loc[rows["position_time"].notna(), "flight_id"])
    return sum(1 for flight, active in zip(state["flight_id"], state["active"]) if active and flight in with_fix)


def test_the_demo_report_renders_without_errors_or_fetches_and_shows_the_job_output(demo_run, tmp_path):
    # GIVEN the report `make demo` wrote, at the path it printed
    assert demo_run.exit_code == 0, demo_run.out[-3000:]
    printed = re.search(r"^== report: (\S+) ", demo_run.out, re.MULTILINE)
    assert printed, "the demo did not print its report's path"
    report_path = Path(printed.group(1))
    assert report_path == demo_run.state_dir / "report.html" and report_path.is_file()
    output = demo_run.state_dir / "output"
    # WHEN a real browser opens it
    page = load_page(report_path.as_uri(), tmp_path / "profile")
    # THEN nothing went wrong and nothing but the file itself was requested
    assert page.problems == []
    assert page.requests == [report_path.as_uri()]
    facts = page.facts
    assert facts["sections"] == ["delays", "positions", "routes", "quarantine"]
    # AND the delay chart draws the busiest airlines, each over several bins
    airlines_with_departures = pd.read_parquet(output / "airline_minute").query("departures > 0")["airline"].nunique()
    assert len(facts["airlineLines"]) == min(TOP_AIRLINES, airlines_with_departures) > 0
    assert all(points >= 2 for points in facts["airlineLines"]), facts["airlineLines"]
    # AND the routes table is the latest window's ranking
    routes = pd.read_parquet(output / "top_delayed_routes")
    latest = routes[routes["window_start"] == routes["window_start"].max()].sort_values("rank")
    assert facts["routeRows"] == [f"{o} → {d}" for o, d in zip(latest["origin"], latest["destination"])]
    # AND the map has a dot per flight in the air, the producer's airports, and is laid out full width
    assert facts["flightDots"] == expected_flights_in_the_air(output) > 0
    assert facts["airports"] == len(producer_reference_data().airports)
    assert facts["mapWidthPx"] > 1000
    # AND the demo's events are all valid, so the quarantine view says there was nothing to quarantine
    assert "quarantined=0 " in demo_run.out
    assert facts["quarantineRows"] == 0 and "No record was quarantined" in facts["quarantineText"]
