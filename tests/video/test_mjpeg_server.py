import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest

from edge_segnet.errors import OutputError, UsageError
from edge_segnet.video import mjpeg_server



def _read_parts(response, count):
    """Reads ``count`` JPEG parts of a multipart/x-mixed-replace response."""
    parts = []
    while len(parts) < count:
        line = response.readline()
        if not line:
            raise AssertionError("the stream ended after {} parts".format(len(parts)))
        if line.startswith(b"Content-Length:"):
            length = int(line.split(b":")[1])
            response.readline()
            parts.append(response.read(length))
    return parts


@contextlib.contextmanager
def _feeding(server, interval=0.02, shape=(24, 32, 3)):
    """Frames of changing grey into ``server`` from a thread, as the run's output thread."""
    stop = threading.Event()

    def feed():
        value = 0
        while not stop.is_set():
            server.write(np.full(shape, value % 250, np.uint8))
            value += 10
            stop.wait(interval)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        yield
    finally:
        stop.set()
        feeder.join()


def _until(condition, seconds=5.0, what="the condition"):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("{} did not hold within {} s".format(what, seconds))
        time.sleep(0.01)


def _get(port, path, version=" HTTP/1.0"):
    """A raw client: the socket after sending ``GET path``."""
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    client.sendall("GET {}{}\r\nHost: test\r\n\r\n".format(path, version).encode())
    return client


def _head(client):
    """(status code, bytes after the headers) of a raw client's response."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(4096)
        if not chunk:
            raise AssertionError("connection closed before the headers: {!r}".format(data))
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), rest


def _until_eof(client):
    """Everything the server sends until it closes (the socket's timeout catches a hang)."""
    data = b""
    while True:
        chunk = client.recv(65536)
        if not chunk:
            return data
        data += chunk


def _first_part(client, rest):
    while b"Content-Type: image/jpeg" not in rest:
        chunk = client.recv(65536)
        if not chunk:
            raise AssertionError("the stream ended before a frame")
        rest += chunk
    return rest


def test_a_real_http_client_reads_several_jpeg_frames():
    server = mjpeg_server.MjpegServerSink("127.0.0.1:0")
    try:
        with _feeding(server):
            page = urllib.request.urlopen(server.url, timeout=5).read()
            assert b"/stream.mjpg" in page
            response = urllib.request.urlopen(server.url + "stream.mjpg", timeout=5)
            assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace")
            parts = _read_parts(response, 3)
            frames = [cv2.imdecode(np.frombuffer(part, np.uint8), cv2.IMREAD_COLOR)
                      for part in parts]
            assert all(frame.shape == (24, 32, 3) for frame in frames)
            assert len({int(frame.mean()) for frame in frames}) > 1  # new frames, not one
            response.close()
    finally:
        server.close()


def test_a_client_before_the_first_frame_waits_for_it_without_a_traceback(capfd):
    server = mjpeg_server.MjpegServerSink("127.0.0.1:0")
    try:
        response = urllib.request.urlopen(server.url + "stream.mjpg", timeout=5)
        assert response.status == 200
        _until(lambda: server.status()["clients"] == 1, what="the client streaming")
        time.sleep(0.3)  # a while without frames: the client is kept, waiting
        assert server.status()["clients"] == 1
        with _feeding(server):
            parts = _read_parts(response, 2)
        assert all(cv2.imdecode(np.frombuffer(part, np.uint8), cv2.IMREAD_COLOR).shape ==
                   (24, 32, 3) for part in parts)
        response.close()
    finally:
        server.close()
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err == ""


def test_a_client_that_leaves_before_the_first_frame_frees_its_place():
    server = mjpeg_server.MjpegServerSink("127.0.0.1:0", timeout=30)
    try:
        client = _get(server.port, "/stream.mjpg")
        assert _head(client)[0] == 200
        _until(lambda: server.status()["clients"] == 1, what="the client streaming")
        client.close()
        _until(lambda: server.server.clients() == 0, what="the connection released")
    finally:
        server.close()


def test_the_port_is_free_again_right_after_a_run_that_served_a_client():
    first = mjpeg_server.MjpegServerSink("127.0.0.1:0")
    port = first.port
    with _feeding(first):
        response = urllib.request.urlopen(first.url + "stream.mjpg", timeout=5)
        _read_parts(response, 1)
        first.close()  # with the client still connected: the server's side waits in TIME_WAIT
    response.close()
    second = mjpeg_server.MjpegServerSink("127.0.0.1:{}".format(port))
    try:
        assert second.port == port
        assert b"/stream.mjpg" in urllib.request.urlopen(second.url, timeout=5).read()
    finally:
        second.close()


def test_clients_are_bounded_idle_ones_time_out_and_close_releases_everything():
    before = threading.active_count()
    limit = 32
    server = mjpeg_server.MjpegServerSink("127.0.0.1:0", max_clients=limit, timeout=1.0)
    idle, streams = [], []
    try:
        # Idle sockets (connected, no request) take places until their timeout.
        idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5)
                for _ in range(10)]
        _until(lambda: server.server.clients() == 10, what="10 idle connections accepted")
        streams = [_get(server.port, "/stream.mjpg") for _ in range(50)]
        heads = [_head(client) for client in streams]
        codes = [code for code, _ in heads]
        assert codes.count(200) == limit - 10 and codes.count(503) == 50 - (limit - 10)
        # Never more threads than places, and the accept loop answers the 503s itself...
        assert threading.active_count() <= before + limit + 3
        # ... and once their headers are sent the streams take no thread: what is left are the
        # idle sockets' (until their timeout), the accept loop, the encoder and the fan-out.
        _until(lambda: threading.active_count() <= before + 10 + 3, what="13 threads")
        for client, (code, rest) in zip(streams, heads):
            if code == 503:
                assert b"too many viewers" in rest + _until_eof(client)  # then closed
        with _feeding(server, interval=0.05):
            assert threading.active_count() <= before + 10 + 4
            for client, (code, rest) in zip(streams, heads):
                if code == 200:
                    _first_part(client, rest)
        for client in idle:  # released by the server's timeout, nothing sent
            assert _until_eof(client) == b""
        _until(lambda: server.server.clients() == limit - 10, what="idle clients released")
        late = _get(server.port, "/stream.mjpg")
        streams.append(late)
        assert _head(late)[0] == 200  # a freed place is taken again
    finally:
        server.close()
        for client in idle + streams:
            client.close()
    assert threading.active_count() == before  # close() joined every thread it had
    assert server.server.clients() == 0


def test_close_ends_every_connection_at_once():
    before = threading.active_count()
    server = mjpeg_server.MjpegServerSink("127.0.0.1:0", timeout=30)  # no help from it
    clients = [_get(server.port, "/stream.mjpg") for _ in range(5)]
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(3)]
    try:
        heads = [_head(client) for client in clients]
        with _feeding(server):
            for client, (_, rest) in zip(clients, heads):
                _first_part(client, rest)
        _until(lambda: server.server.clients() == 8, what="8 connections")
        server.close()
        for client in clients + idle:
            _until_eof(client)  # the socket's 5 s timeout fails the test if one stays open
        assert threading.active_count() == before
    finally:
        server.close()
        for client in clients + idle:
            client.close()


def test_each_frame_is_encoded_once_whatever_the_number_of_clients():
    server = mjpeg_server.MjpegServerSink("127.0.0.1:0")
    calls = []
    real = server._cv2

    class Counting(object):
        IMWRITE_JPEG_QUALITY = real.IMWRITE_JPEG_QUALITY

        @staticmethod
        def imencode(*args):
            calls.append(1)
            return real.imencode(*args)

    server._cv2 = Counting
    clients = [_get(server.port, "/stream.mjpg") for _ in range(5)]
    try:
        heads = [_head(client) for client in clients]
        _until(lambda: server.status()["clients"] == 5, what="5 clients streaming")
        server.write(np.zeros((24, 32, 3), np.uint8))
        for client, (_, rest) in zip(clients, heads):
            _first_part(client, rest)
        assert len(calls) == 1
    finally:
        server.close()
        for client in clients:
            client.close()


def test_a_client_that_stops_reading_is_dropped_without_holding_up_the_others():
    server = mjpeg_server.MjpegServerSink("127.0.0.1:0", timeout=1.0)
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.settimeout(5)
    stuck.connect(("127.0.0.1", server.port))
    stuck.sendall(b"GET /stream.mjpg HTTP/1.0\r\n\r\n")
    try:
        # Noise compresses badly: each JPEG is far bigger than the stuck client's buffers.
        noise = np.random.RandomState(0).randint(0, 256, (240, 320, 3), np.uint8)
        stop = threading.Event()

        def feed():
            for index in range(1000):
                if stop.wait(0.02):
                    return
                server.write(np.roll(noise, index, axis=1))

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        try:
            _until(lambda: server.status()["clients"] == 1, what="the stuck client streaming")
            response = urllib.request.urlopen(server.url + "stream.mjpg", timeout=5)
            assert len(_read_parts(response, 5)) == 5
            # The stuck one's send times out (1 s): it is dropped, the reader goes on.
            _until(lambda: server.status()["clients"] == 1, what="the stuck client dropped")
            assert len(_read_parts(response, 3)) == 3
            response.close()
        finally:
            stop.set()
            feeder.join()
    finally:
        server.close()
        stuck.close()


def test_an_http09_request_line_is_answered_at_once():
    server = mjpeg_server.MjpegServerSink("127.0.0.1:0", timeout=30)  # no help from it
    try:
        client = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        client.sendall(b"GET /\r\n")
        answer = _until_eof(client)  # the 5 s socket timeout fails the test on a hang
        client.close()
        assert answer.startswith(b"HTTP/1.0 505 ")
        assert b"HTTP/0.9" in answer
        assert b"/stream.mjpg" in urllib.request.urlopen(server.url, timeout=5).read()
    finally:
        server.close()


def test_the_page_shows_the_legend_and_the_live_status():
    names = ["Road", "Car<1>", "Void"]
    colors = np.array([[128, 64, 128], [64, 0, 128], [0, 0, 0]], np.uint8)
    server = mjpeg_server.MjpegServerSink(
        "127.0.0.1:0", legend=(names, colors, [2]), status=lambda: {"latency_ms": 12.5})
    try:
        page = urllib.request.urlopen(server.url, timeout=5).read().decode()
        assert 'id="legend"' in page and 'id="fps"' in page and 'id="latency"' in page
        assert "Road" in page and "rgb(128,64,128)" in page
        assert "Car&lt;1&gt;" in page and "Car<1>" not in page  # escaped
        assert "Void" not in page  # an ignored class is not listed
        assert "/status" in page
        status = json.loads(urllib.request.urlopen(server.url + "status", timeout=5).read())
        assert status["frames"] == 0 and status["fps"] is None
        assert status["latency_ms"] == 12.5
        for _ in range(3):
            server.write(np.zeros((8, 8, 3), np.uint8))
            time.sleep(0.01)
        status = json.loads(urllib.request.urlopen(server.url + "status", timeout=5).read())
        assert status["frames"] == 3 and status["fps"] > 0
        server.set_status(fps=7.5, latency_ms=40)
        server.set_legend(["sky"], [(1, 2, 3)])
        status = json.loads(urllib.request.urlopen(server.url + "status", timeout=5).read())
        assert status["fps"] == 7.5 and status["latency_ms"] == 12.5  # the callable wins
        assert "rgb(1,2,3)" in urllib.request.urlopen(server.url, timeout=5).read().decode()
    finally:
        server.close()


def test_a_failing_handler_is_one_line_never_a_traceback(capfd, logged):
    server = mjpeg_server.MjpegServerSink("127.0.0.1:0")

    def broken():
        raise RuntimeError("page exploded")

    server.page = broken
    try:
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(server.url, timeout=5).read()
        assert urllib.request.urlopen(server.url + "status", timeout=5).status == 200
    finally:
        server.close()
    # Nothing on stderr of its own (the CLI prints the package's log); one logged line.
    assert "Traceback" not in capfd.readouterr().err
    failures = [line for line in logged if line.startswith("--serve: a client")]
    assert len(failures) == 1 and "RuntimeError: page exploded" in failures[0]


def test_unknown_paths_are_404():
    server = mjpeg_server.MjpegServerSink("127.0.0.1:0")
    try:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(server.url + "nothing", timeout=5)
        assert error.value.code == 404
    finally:
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


def test_the_stream_carries_at_most_max_fps_however_fast_the_run_writes():
    """Every streamed frame is a copy and a JPEG encode taken from the run's cores: a run
    writing at 200 FPS is streamed at the cap, on average, not above it."""
    server = mjpeg_server.MjpegServerSink("127.0.0.1:0", max_fps=20)
    client = _get(server.port, "/stream.mjpg")
    try:
        _head(client)
        _until(lambda: server.status()["clients"] == 1, what="a client streaming")
        frame = np.zeros((24, 32, 3), np.uint8)
        start, before = time.perf_counter(), server._frame_sequence
        while time.perf_counter() - start < 1.0:
            server.write(frame)
            time.sleep(0.005)
        handed = server._frame_sequence - before
        assert 15 <= handed <= 22, handed
    finally:
        server.close()
        client.close()


def test_a_stream_rate_of_zero_is_refused():
    with pytest.raises(UsageError, match="max_fps above 0"):
        mjpeg_server.MjpegServerSink("127.0.0.1:0", max_fps=0)


def test_an_ipv6_address_is_served_on_ipv6():
    """[::1]:PORT was refused as "unknown host": the server bound an IPv4 socket."""
    server = mjpeg_server.MjpegServerSink("[::1]:0")
    try:
        assert server.url.startswith("http://[::1]:")
        with _feeding(server):
            assert b"/stream.mjpg" in urllib.request.urlopen(server.url, timeout=5).read()
    finally:
        server.close()
