"""The ``--serve`` page in a real browser: headless Chromium loads it from a server on
127.0.0.1, shows the frames (a screenshot's centre has the colour that was streamed) and has
the legend and the FPS/latency in its DOM. Skipped where no Chromium is installed (Debian:
``apt-get install chromium``)."""

import os
import re
import shutil
import subprocess
import threading

import cv2
import numpy as np
import pytest

from edge_segnet.video import mjpeg_server


CHROMIUM = next((path for path in (shutil.which(name) for name in
                                   ("chromium", "chromium-browser")) if path), None)
# A browser is a system package pip cannot bring, so the README's two commands on a fresh
# machine skip this test, saying so; CI installs chromium and sets the variable below, so there
# a missing browser fails instead of skipping.
if CHROMIUM is None and os.environ.get("EDGE_SEGNET_REQUIRE_BROWSER"):
    raise RuntimeError("EDGE_SEGNET_REQUIRE_BROWSER is set but no chromium is on PATH "
                       "(apt-get install chromium)")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium or chromium-browser on PATH (the browser test needs "
                             "one: apt-get install chromium)")

WINDOW = (800, 600)
FRAME_BGR = (40, 180, 220)  # an orange no page colour is near
NAMES = ["Road", "Car", "Pedestrian"]
COLORS_RGB = [(128, 64, 128), (64, 0, 128), (64, 64, 0)]


@pytest.fixture
def serving():
    """A server with a legend and a latency, fed 640x480 frames at about 30 FPS."""
    server = mjpeg_server.MjpegServerSink(
        "127.0.0.1:0", legend=(NAMES, COLORS_RGB), status=lambda: {"latency_ms": 12.5})
    frame = np.empty((480, 640, 3), np.uint8)
    frame[:] = FRAME_BGR
    stop = threading.Event()

    def feed():
        while not stop.wait(0.03):
            server.write(frame)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        yield server
    finally:
        stop.set()
        feeder.join()
        server.close()


def _chromium(tmp_path, *arguments):
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run",
               # Stop loading after 15 s: without a frame the stream never finishes, and the
               # shot taken then shows what was there instead of hanging the test.
               "--timeout=15000",
               "--user-data-dir={}".format(tmp_path / "profile"),
               "--window-size={},{}".format(*WINDOW)] + list(arguments)
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout.decode("utf-8", errors="replace")


def test_the_page_shows_the_stream(serving, tmp_path):
    shot = tmp_path / "page.png"
    for _ in range(2):  # a second try if the shot came before the first frame
        _chromium(tmp_path, "--screenshot={}".format(shot), serving.url)
        image = cv2.imread(str(shot), cv2.IMREAD_COLOR)
        assert image is not None and image.shape[:2] == (WINDOW[1], WINDOW[0])
        centre = image[WINDOW[1] // 2 - 10:WINDOW[1] // 2 + 10,
                       WINDOW[0] // 2 - 10:WINDOW[0] // 2 + 10].reshape(-1, 3)
        if np.abs(centre.astype(int) - FRAME_BGR).max() <= 12:
            break
    else:
        raise AssertionError("the centre of the page is {}, not the streamed {} (BGR)".format(
            centre.mean(axis=0).round().tolist(), FRAME_BGR))


def test_the_dom_has_the_legend_and_the_live_status(serving, tmp_path):
    dom = _chromium(tmp_path, "--dump-dom", serving.url)
    assert '<img id="video" src="/stream.mjpg"' in dom
    for name, (r, g, b) in zip(NAMES, COLORS_RGB):
        assert '<span class="name">{}</span>'.format(name) in dom
        assert "rgb({},{},{})".format(r, g, b) in dom
    fps = re.search(r'<span id="fps">([^<]*)</span> FPS', dom)
    latency = re.search(r'<span id="latency">([^<]*)</span> ms', dom)
    assert fps and latency, dom
    # Filled by the page's first poll of /status when it answered before the dump was taken.
    if fps.group(1) != "-":
        assert float(fps.group(1)) > 0
    if latency.group(1) != "-":
        assert float(latency.group(1)) == 12.5
    state = re.search(r'<div id="state">([^<]*)</div>', dom)
    assert state and state.group(1) != "bad status", dom
