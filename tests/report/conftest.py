"""Fixtures for the report tests: a headless Chromium and a real run to report on.

The browser is Debian's ``chromium`` package. When ``/usr/bin/chromium`` is missing and
the tests run as root on Debian (CI containers), the session fixture installs it with
apt-get, bounded in time; anywhere else the browser tests skip with the reason.
No browser is ever downloaded from elsewhere (playwright would fetch its own).

Screenshots are kept in ``tests/report/artifacts/`` (it holds a ``.gitignore`` of
``*``, so git never sees them) for CI to upload and people to look at.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_TIMEOUT_S = 600
# A page load in a cold container on two shared cores can take several seconds.
BROWSER_TIMEOUT_S = 120


def _find_chromium() -> Path | None:
    if CHROMIUM.exists():
        return CHROMIUM
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def _install_chromium() -> str:
    """Install Debian's chromium with apt-get; return "" on success, else why not."""
    if not Path("/etc/debian_version").exists() or shutil.which("apt-get") is None:
        return "chromium is not installed and this is not Debian (apt-get install chromium)"
    if os.geteuid() != 0:
        return "chromium is not installed; run `apt-get install chromium` as root"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    deadline = time.monotonic() + INSTALL_TIMEOUT_S
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    ):
        left = deadline - time.monotonic()
        try:
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=max(left, 1), check=False
            )
        except subprocess.TimeoutExpired:
            return f"installing chromium took more than {INSTALL_TIMEOUT_S} s"
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return f"`{' '.join(command)}` failed: {' / '.join(tail)}"
    return ""


@dataclass(slots=True)
class PageLoad:
    """What loading one page produced, as the DevTools protocol reported it."""

    url: str
    console: list[str] = field(default_factory=list)  # console.* calls: "type: text"
    exceptions: list[str] = field(default_factory=list)  # uncaught script errors
    log: list[str] = field(default_factory=list)  # browser log: failed loads, CSP, ...
    requests: list[str] = field(default_factory=list)  # every URL the page requested
    failed: list[str] = field(default_factory=list)  # network.loadingFailed

    @property
    def errors(self) -> list[str]:
        """Console errors and warnings, exceptions, error log entries, failed loads."""
        return [
            *(c for c in self.console if c.startswith(("error", "warning", "assert"))),
            *self.exceptions,
            *self.log,
            *self.failed,
        ]


def _high_fd(fd: int) -> int:
    """Return a non-inheritable copy of `fd` numbered 10 or more; close `fd`."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class DevTools:
    """A headless Chromium driven over ``--remote-debugging-pipe`` (no extra packages).

    The pipe protocol is JSON messages separated by NUL bytes: commands on the
    browser's fd 3, replies and events on its fd 4. One page target is attached in
    flattened mode, so its commands carry a ``sessionId``.
    """

    def __init__(self, executable: Path, profile: Path) -> None:
        # The browser reads commands on fd 3 and writes on fd 4. Move the pipe ends
        # above 9 first so that putting them on 3 and 4 in the child clobbers nothing.
        to_browser_read, self._to_browser = (_high_fd(fd) for fd in os.pipe())
        self._from_browser, from_browser_write = (_high_fd(fd) for fd in os.pipe())

        def wire() -> None:  # runs in the child, before exec
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        self.process = subprocess.Popen(
            [str(executable), *browser_flags(profile), "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,  # keep 3 and 4; our other fds are non-inheritable (PEP 446)
            preexec_fn=wire,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        attached = self.call("Target.attachToTarget", targetId=target, flatten=True)
        self.session = attached["sessionId"]

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_browser, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self._messages.put(json.loads(message))
        self._messages.put(None)

    def call(self, method: str, *, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its reply; events seen meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + BROWSER_TIMEOUT_S
        while True:
            reply = self._messages.get(timeout=max(deadline - time.monotonic(), 0.1))
            if reply is None:
                raise RuntimeError(f"chromium closed the pipe during {method}")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        return self.call(method, session=self.session, **params)

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + BROWSER_TIMEOUT_S
        while not any(e.get("method") == event for e in self.events):
            message = self._messages.get(timeout=max(deadline - time.monotonic(), 0.1))
            if message is None:
                raise RuntimeError(f"chromium closed the pipe waiting for {event}")
            self.events.append(message)

    def drain(self, seconds: float) -> None:
        """Collect events for a moment (late console messages, failed loads)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = self._messages.get(timeout=left)
            except queue.Empty:
                return
            if message is None:
                return
            self.events.append(message)

    def load(self, url: str, *, width: int = 1280, height: int = 2000) -> PageLoad:
        """Open `url` with console, log and network recorded; wait for the load event."""
        self.events.clear()
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.page(f"{domain}.enable")
        self.page(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.page("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.drain(0.5)
        load = PageLoad(url=url)
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]
                )
                load.console.append(f"{params['type']}: {text}")
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                load.exceptions.append(
                    details.get("exception", {}).get("description") or details.get("text", "")
                )
            elif method == "Log.entryAdded":
                entry = params["entry"]
                load.log.append(f"{entry['level']}: {entry['text']} {entry.get('url', '')}")
            elif method == "Network.requestWillBeSent":
                load.requests.append(params["request"]["url"])
            elif method == "Network.loadingFailed":
                load.failed.append(f"failed load: {params.get('errorText')}")
        return load

    def evaluate(self, expression: str) -> Any:
        """Evaluate a JavaScript expression in the page and return its JSON value."""
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, *, selector: str | None = None) -> Path:
        """Save a PNG of the viewport, or of the element `selector` scrolled into view."""
        params: dict[str, Any] = {"format": "png"}
        if selector:
            box = self.evaluate(
                f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                " e.scrollIntoView(); const r = e.getBoundingClientRect();"
                " return [r.x + scrollX, r.y + scrollY, r.width, Math.min(r.height, 2000)]; })()"
            )
            x, y, width, height = box
            params["clip"] = {"x": x, "y": y, "width": width, "height": height, "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.page("Page.captureScreenshot", **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call("Browser.close")
        with contextlib.suppress(OSError):
            os.close(self._to_browser)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(OSError):
            os.close(self._from_browser)


def browser_flags(profile: Path) -> list[str]:
    """Headless flags: no sandbox (root in a container), nothing fetched in the background."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
    ]


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Path of Debian's chromium, installed with apt-get when missing (root only)."""
    executable = _find_chromium()
    if executable is None:
        why = _install_chromium()
        executable = _find_chromium()
        if executable is None:
            pytest.skip(why or "chromium is still missing after apt-get install")
    return executable


@pytest.fixture
def browser(chromium_path: Path, tmp_path: Path) -> Iterator[DevTools]:
    """A fresh headless Chromium with its own profile, closed after the test."""
    devtools = DevTools(chromium_path, tmp_path / "profile")
    try:
        yield devtools
    finally:
        devtools.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots kept after the run (ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    ignore = ARTIFACTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return ARTIFACTS


SITES = {
    "news.example.com": (
        "Home | World | Politics | Business | Tech | Sport",
        "Sign up for our daily briefing newsletter",
        "Copyright 2015 Example Media Group. All rights reserved.",
    ),
    "mirror.example.net": (
        "Mirror Net: latest | popular | opinion",
        "Follow Mirror Net on social media for more stories",
        "(c) Mirror Net 2015 - terms - privacy - contact",
    ),
}
BRIEFS = (
    "The city council approved a new bridge over the river after a long debate about costs, "
    "traffic and the fate of the old ferry that has crossed there since the war.",
    "A cold front will bring heavy rain to the coast through the weekend, forecasters said, "
    "with flood warnings in place for the lower valley until Monday evening.",
    "The national library extends its opening hours for the exam season, and students can "
    "now book reading-room desks online up to a week ahead of time.",
    "Shares in the regional airline rose sharply after it reported a return to profit, "
    "helped by cheaper fuel and more passengers on its routes to the islands.",
)
# A page whose text carries markup, inside long sentences so that no cleaning stage drops
# it: the report must show it as text, never run or load it.
HOSTILE = (
    "This forum post quotes the snippet <script>window.__pwned = 1</script> that the old "
    "editor inserted into every reply, and users were asked to report where they saw it.\n\n"
    'A second reply pasted the tag <img src="x.png" onerror="window.__pwned = 2"> to show '
    "how images broke in the preview, which the moderators kept as a record of the bug.\n\n"
    "The last reply closed the table early with </td></tr></table><h1>INJECTED HEADING</h1> "
    "and the thread was locked after the maintainers fixed the escaping in the editor."
)


def corpus_rows(article: str) -> list[dict[str, str]]:
    """Return JSONL rows: the seed article re-posted on two sites, briefs, a hostile pair.

    Every page of a site carries its nav, promo and footer lines, which
    ``site_boilerplate`` learns (4 pages each). Each site re-posts the article twice with
    a word or two edited: with the seed and its re-post they make one near-duplicate
    cluster. Two near-identical pages of markup test that the report escapes text.
    """
    edits = [("Thursday", "Friday"), ("Moscow", "the Kremlin"), ("Syria", "Syria's"), ("", "")]
    rows = []
    for number, (domain, (nav, promo, footer)) in enumerate(SITES.items()):
        pages = []
        for copy in range(2):
            old, new = edits[number * 2 + copy]
            pages.append(
                (f"wire-{number * 2 + copy}", article.replace(old, new, 1) if old else article)
            )
        pages += [(f"brief-{number}-{i}", BRIEFS[number * 2 + i]) for i in range(2)]
        for doc_id, body in pages:
            rows.append(
                {
                    "id": doc_id,
                    "url": f"https://{domain}/{doc_id}",
                    "text": f"{nav}\n\n{body}\n\n{promo}\n\n{footer}",
                }
            )
    for number in range(2):
        rows.append(
            {
                "id": f"hostile-{number}",
                "url": "https://forum.example.org/thread/7",
                "text": HOSTILE + (" Thanks." if number else ""),
            }
        )
    return rows


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """seeds/ plus near-copies of its article on two sites and a hostile pair (JSONL)."""
    root = tmp_path_factory.mktemp("corpus")
    shutil.copytree(SEEDS, root / "seeds", ignore=shutil.ignore_patterns("*.md"))
    article = (SEEDS / "aljazeera-nato-turkey.txt").read_text(encoding="utf-8")
    with (root / "near-copies.jsonl").open("w", encoding="utf-8") as out:
        for row in corpus_rows(article):
            out.write(json.dumps(row) + "\n")
    return root


@pytest.fixture(scope="session")
def run_output(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Output folder of a default-pipeline run on the corpus, with its report."""
    from cleanse.api import run
    from cleanse.report import build_report

    output = tmp_path_factory.mktemp("run") / "out"
    run(
        [str(corpus / "seeds"), str(corpus / "near-copies.jsonl")],
        str(output),
        workers=1,
    )
    if not (output / "report.html").exists():
        build_report(output)
    yield output
