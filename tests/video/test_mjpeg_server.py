import socket
import urllib.request

import numpy as np
import pytest

from edge_segnet.errors import OutputError, UsageError
from edge_segnet.video import mjpeg_server


def _read_parts(response, count):
    """Reads ``count`` JPEG parts of a multipart/x-mixed-replace response."""
    parts = []
    while len(parts) < count:
        line = response.readline()
        if line.startswith(b"Content-Length:"):
            length = int(line.split(b":")[1])
            response.readline()
            parts.append(response.read(length))
    return parts


def test_a_real_http_client_reads_several_jpeg_frames():
    import threading
    import time

    import cv2

    server = mjpeg_server.MjpegServerSink("127.0.0.1:0")
    stop = threading.Event()

    def feed():
        value = 0
        while not stop.is_set():
            server.write(np.full((24, 32, 3), value % 250, np.uint8))
            value += 10
            time.sleep(0.02)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        page = urllib.request.urlopen(server.url, timeout=5).read()
        assert b"/stream.mjpg" in page
        response = urllib.request.urlopen(server.url + "stream.mjpg", timeout=5)
        assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace")
        parts = _read_parts(response, 3)
        frames = [cv2.imdecode(np.frombuffer(part, np.uint8), cv2.IMREAD_COLOR)
                  for part in parts]
        assert all(frame.shape == (24, 32, 3) for frame in frames)
        assert len({int(frame.mean()) for frame in frames}) > 1  # new frames, not one repeated
        response.close()
    finally:
        stop.set()
        feeder.join()
        server.close()


def test_a_port_in_use_is_one_clear_line():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(OutputError, match=r"--serve 127.0.0.1:{}: port in use".format(port)):
            mjpeg_server.MjpegServerSink("127.0.0.1:{}".format(port))
    finally:
        holder.close()


@pytest.mark.parametrize("text, address", [("8080", ("127.0.0.1", 8080)),
                                           (":9000", ("127.0.0.1", 9000)),
                                           ("0.0.0.0:80", ("0.0.0.0", 80))])
def test_addresses_default_to_loopback(text, address):
    assert mjpeg_server.parse_address(text) == address


def test_bad_addresses_are_usage_errors():
    with pytest.raises(UsageError, match="--serve must be HOST:PORT"):
        mjpeg_server.parse_address("localhost:http")
