"""The HTML report in a real headless Chromium (Debian package ``chromium``): it renders without a
console error and a screenshot is taken.

Console messages reach Chromium's log with ``--enable-logging=stderr --v=0`` as
``...:CONSOLE(line)] "text", source: URL (line)``; SVG attribute errors ("<rect> attribute height:
A negative value is not valid") land there too. Missing chromium fails the test under ``CI``
(``.ci/setup.d/30-chromium.sh`` installs it) and skips it elsewhere, naming the package.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.usefixtures("warm_demo")  # the demo starts cached (conftest)

CONSOLE = re.compile(r":CONSOLE\(\d+\)\]|Uncaught |:CONSOLE:|console\.(error|warn)")


@pytest.fixture
def chromium() -> str:
    found = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
    if found:
        return found
    message = "chromium not installed (Debian package chromium; .ci/setup.d/30-chromium.sh installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def open_page(browser: str, page: Path, shot: Path, profile: Path, width: int = 900,
              height: int = 2400) -> list[str]:
    """Render ``page`` headless, screenshot it to ``shot``; return the console lines of the log."""
    argv = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
            f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", f"--screenshot={shot}",
            f"--window-size={width},{height}", page.resolve().as_uri()]
    # Its own session: on a hang the whole browser (renderer and GPU helpers) is stopped by the group id.
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _out, log = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("chromium did not finish the screenshot within 90 s")
    return [line for line in log.splitlines() if CONSOLE.search(line)]


def png_ink(path: Path) -> tuple[int, int, float]:
    """(width, height, share of filtered image bytes that are neither 0 nor 255): a blank page is ~0."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return width, height, sum(1 for b in raw if b not in (0, 255)) / len(raw)


def test_the_weekly_html_report_renders_in_chromium_without_console_errors(run, chromium, tmp_path) -> None:
    page = tmp_path / "r.html"
    result = run("--demo", "report", "--period", "week", "--format", "html", "-o", str(page))
    assert result.exit_code == 0, result.stderr
    shot = tmp_path / "report.png"
    console = open_page(chromium, page, shot, tmp_path / "profile")
    assert console == [], "console messages:\n" + "\n".join(console)
    assert shot.exists(), "no screenshot"
    width, height, ink = png_ink(shot)
    assert (width, height) == (900, 2400)
    assert ink > 0.01, f"the screenshot looks blank ({ink:.4%} of its bytes carry content)"


def test_a_narrow_window_renders_the_page_too(run, chromium, tmp_path) -> None:
    page = tmp_path / "r.html"
    assert run("--demo", "report", "--format", "html", "-o", str(page)).exit_code == 0
    shot = tmp_path / "narrow.png"
    assert open_page(chromium, page, shot, tmp_path / "profile", width=420, height=1600) == []
    assert png_ink(shot)[2] > 0.01


def test_the_console_check_sees_an_error_when_there_is_one(chromium, tmp_path) -> None:
    """The guard of the tests above: a page that logs an error and has a broken SVG is caught."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><p>x</p><svg width="10" height="10"><rect height="-1"/></svg>'
                    '<script>console.error("boom")</script></body></html>')
    console = open_page(chromium, page, tmp_path / "bad.png", tmp_path / "profile")
    assert any("boom" in line for line in console), console
    assert any("negative value" in line for line in console), console
