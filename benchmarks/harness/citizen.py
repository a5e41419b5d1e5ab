"""A simulated citizen: a browser with its own cookie jar and keep-alive connection, and the suggestion form
filled in as a person would (GET the page, read the CSRF token and hidden fields, POST, expect 302 to a receipt).

Only the standard library, so a load generator built on it costs little CPU of its own.
"""

from __future__ import annotations

import html
import http.client
import random
import re
import time
import urllib.parse
from http.cookies import CookieError, SimpleCookie

from benchmarks.harness.processes import HOST

FORM_PATH = "/suggest/"
RECEIPT = re.compile(r"/suggest/receipt/(\d{16})/")
_INPUT = re.compile(r"<input\b[^>]*>", re.I)
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')
_SELECT = re.compile(r'<select\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>', re.S)
_OPTION_VALUE = re.compile(r'<option\b[^>]*\bvalue="([^"]*)"')


class Browser:
    """One simulated citizen: a keep-alive connection and a cookie jar of its own."""

    def __init__(self, port: int, timeout: float):
        self.origin = f"http://{HOST}:{port}"
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, str, bytes]:
        headers = {"User-Agent": "hamandishi-bench", "Accept": "text/html", "Accept-Language": "fa"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if body is not None:
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                # The server closed an idle keep-alive connection before reading this request; a browser
                # retries on a new one. Safe for the POST too: nothing was processed, and the form carries
                # an idempotency key.
                if not (reused and attempt == 1):
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            try:
                jar = SimpleCookie(header)
            except CookieError:
                continue
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return response.status, response.getheader("Location", ""), content

    def close(self) -> None:
        self.conn.close()


def form_fields(page: str) -> dict[str, str]:
    """What a browser sends without the person typing: hidden inputs (CSRF token, form clock, idempotency key)
    and the name of the submit button."""
    fields = {}
    for tag in _INPUT.findall(page):
        attrs = dict(_ATTR.findall(tag))
        if attrs.get("type") in ("hidden", "submit") and "name" in attrs:
            fields[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return fields


def select_options(page: str) -> dict[str, list[str]]:
    return {name: [v for v in _OPTION_VALUE.findall(body) if v] for name, body in _SELECT.findall(page)}


def filled_form(page: str, rng: random.Random, texts, options: dict, *, contact_share: float = 0.0) -> dict:
    """The form of `page` as a citizen fills it: a text, a role, a province and a topic; contact details with a
    chance of `contact_share`; the honeypot left empty as people leave it."""
    if not options:
        options.update(select_options(page))
    title, body = rng.choice(texts)
    data = {
        **form_fields(page),
        "role": rng.choice(options["role"]),
        "province": rng.choice(options["province"]),
        "topic": rng.choice(options["topic"]),
        "title": title,
        "body": body,
        "name": "",
        "email": "",
        "phone": "",
        "website": "",
    }
    if contact_share and rng.random() < contact_share:
        data.update(
            name="شهروند آزمایشی",
            email=f"citizen{rng.randrange(10**6)}@example.com",
            phone=f"0912{rng.randrange(10**7):07d}",
            consent="on",
        )
    return data


class Tally:
    """One client's measurements; merged after the phase so the clients never share a lock."""

    def __init__(self):
        self.latency: dict[str, list[float]] = {}
        self.status: dict[str, dict[str, int]] = {}
        self.errors: list[str] = []
        self.codes: list[str] = []
        self.first_rejection = ""

    def record(self, kind: str, seconds: float, status: int | str) -> None:
        self.latency.setdefault(kind, []).append(seconds)
        counts = self.status.setdefault(kind, {})
        counts[str(status)] = counts.get(str(status), 0) + 1


def submit_once(browser: Browser, rng: random.Random, texts, tally: Tally, options: dict, opts: dict) -> None:
    """One submission, recorded in `tally` as "form" (GET), "submit" (POST: "accepted" or its status), "cycle"
    (both) and, with `opts["follow_receipt"]`, "receipt"; the tracking code joins `tally.codes`."""
    started = time.perf_counter()
    status, _, content = browser.request("GET", FORM_PATH)
    posted = time.perf_counter()
    tally.record("form", posted - started, status)
    if status != 200:
        return
    data = filled_form(content.decode(), rng, texts, options, contact_share=opts.get("contact_share", 0.0))
    if opts.get("fill_seconds"):
        time.sleep(opts["fill_seconds"])  # the person reads and types
    posted = time.perf_counter()
    status, location, content = browser.request("POST", FORM_PATH, urllib.parse.urlencode(data).encode())
    done = time.perf_counter()
    receipt = RECEIPT.search(location) if status == 302 else None
    tally.record("submit", done - posted, "accepted" if receipt else status)
    if receipt is None:
        if not tally.first_rejection:
            tally.first_rejection = f"{status} {location} {content[:600].decode(errors='replace')}"
        return
    tally.codes.append(receipt.group(1))
    tally.record("cycle", done - started, 200)
    if opts.get("follow_receipt"):
        status, _, _ = browser.request("GET", location)
        tally.record("receipt", time.perf_counter() - done, status)
