"""``--serve HOST:PORT``: the overlay as an MJPEG stream and a small page to watch it, for a
headless board. Binds 127.0.0.1 unless told otherwise; every client gets the newest frame."""

import http.server
import socket
import socketserver
import threading

from edge_segnet import optional
from edge_segnet.errors import OutputError, UsageError

BOUNDARY = "edgesegnetframe"
PAGE = (b"<!doctype html><html><head><title>edge-segnet</title></head>"
        b"<body style='margin:0;background:#111'><img src='/stream.mjpg' "
        b"style='max-width:100%'></body></html>")


def parse_address(text):
    """``HOST:PORT``, ``:PORT`` or ``PORT`` -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 <= int(port) < 65536:  # 0: any free port
        raise UsageError("--serve must be HOST:PORT or PORT, e.g. 127.0.0.1:8080; got {!r}".format(
            text))
    return host or "127.0.0.1", int(port)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = False


class MjpegServerSink(object):
    def __init__(self, address, quality=80):
        self.host, self.port = parse_address(address)
        self._cv2 = optional.require("cv2", "--serve")
        self.quality = quality
        self._jpeg = None
        self._sequence = 0
        self._condition = threading.Condition()
        self._closed = False
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path in ("/", "/index.html"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(PAGE)))
                    self.end_headers()
                    self.wfile.write(PAGE)
                elif self.path.startswith("/stream.mjpg"):
                    self.send_response(200)
                    self.send_header("Content-Type",
                                     "multipart/x-mixed-replace; boundary=" + BOUNDARY)
                    self.send_header("Cache-Control", "no-cache")
                    self.end_headers()
                    sink._stream_to(self.wfile)
                else:
                    self.send_error(404)

        try:
            self.server = _Server((self.host, self.port), Handler)
        except OSError as exc:
            raise OutputError("--serve {}:{}: {}".format(
                self.host, self.port, "port in use" if exc.errno in (98, 48) else exc.strerror),
                hint="choose another port")
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return "http://{}:{}/".format(self.host, self.port)

    def _stream_to(self, output):
        seen = -1
        while True:
            with self._condition:
                while self._sequence == seen and not self._closed:
                    self._condition.wait(1.0)
                if self._closed:
                    return
                jpeg, seen = self._jpeg, self._sequence
            try:
                output.write("--{}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n"
                             .format(BOUNDARY, len(jpeg)).encode() + jpeg + b"\r\n")
                output.flush()
            except (BrokenPipeError, ConnectionResetError, socket.error):
                return

    def write(self, frame):
        ok, encoded = self._cv2.imencode(".jpg", frame,
                                         [self._cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            return
        with self._condition:
            self._jpeg = encoded.tobytes()
            self._sequence += 1
            self._condition.notify_all()

    def close(self):
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self.server.shutdown()
        self.server.server_close()
