"""``--serve HOST:PORT``: the overlay as an MJPEG stream and a small page to watch it, for a
headless board. Binds 127.0.0.1 unless told otherwise; every client gets the newest frame.

The run's ``write(frame)`` only keeps a copy of the frame (nothing at all while nobody
watches). One encoder thread turns the newest frame into JPEG once, and one fan-out thread
sends it to every viewer over non-blocking sockets: a viewer gets the newest JPEG whenever it
has taken the previous one, so a slow viewer skips frames instead of queueing them, and no
viewer costs the run a thread or a wait. Connections are bounded (``max_clients``; the ones
over it get a 503), every socket has a timeout (a viewer that takes nothing for that long is
dropped), and ``close()`` ends every connection at once.

``/`` is a page with the stream, the class legend and the live FPS and latency, which it polls
from ``/status`` (JSON).

Every thread of the server is the run loop's, and gives way to the network as the loop's own
do (platform.threads): viewers get the cores the network leaves idle."""

import errno
import html
import http.server
import ipaddress
import json
import logging
import re
import selectors
import socket
import socketserver
import sys
import threading
import time

from edge_segnet import optional
from edge_segnet.errors import OutputError, UsageError
from edge_segnet.platform import threads
from edge_segnet.video.sinks import Sink

_log = logging.getLogger(__name__)

BOUNDARY = "edgesegnetframe"
DEFAULT_MAX_CLIENTS = 32
DEFAULT_TIMEOUT_S = 10.0
# Frames per second the stream carries at most. A browser shows 30 smoothly, and every frame
# streamed is a 720p copy and a JPEG encode taken from the cores the run needs: with 50 viewers
# of a 60 FPS run, encoding every frame cost 11 % of the run's FPS (tools/bench_serve_run.py).
STREAM_FPS = 30.0
# Disconnects a viewer makes all the time: never worth a line.
_ORDINARY = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout)
_REJECT_BODY = b"edge-segnet: too many viewers, try again later\n"
_REJECT = (b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
           b"Retry-After: 5\r\nConnection: close\r\nContent-Length: " +
           str(len(_REJECT_BODY)).encode() + b"\r\n\r\n" + _REJECT_BODY)
_LINGER_S = 1.0  # how long a rejected socket is drained before it is closed
_MAX_LINGERING = 256
_TICK_S = 0.1  # the accept and fan-out loops look at timeouts and close() this often

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>edge-segnet</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{margin:0; background:#111; color:#eee; font:14px sans-serif; display:flex;
       flex-wrap:wrap; align-items:flex-start}}
#video {{display:block; max-width:100%; background:#000}}
#side {{padding:8px 12px; min-width:12em}}
#status {{font-size:16px; margin-bottom:8px; white-space:nowrap}}
#state {{color:#aaa; font-size:12px}}
#legend {{list-style:none; margin:0; padding:0}}
#legend li {{margin:2px 0; white-space:nowrap}}
.swatch {{display:inline-block; width:14px; height:14px; margin-right:6px;
          vertical-align:middle; border:1px solid #555}}
</style></head>
<body>
<img id="video" src="/stream.mjpg" alt="live segmentation">
<div id="side">
<div id="status"><span id="fps">-</span> FPS &middot; <span id="latency">-</span> ms
<div id="state">connecting</div></div>
<ul id="legend">{legend}</ul>
</div>
<script>
(function () {{
  function text(id, value) {{ document.getElementById(id).textContent = value; }}
  function poll() {{
    var request = new XMLHttpRequest();
    request.open("GET", "/status", true);
    request.timeout = 2000;
    request.onload = function () {{
      try {{
        var s = JSON.parse(request.responseText);
        text("fps", s.fps == null ? "-" : s.fps.toFixed(1));
        text("latency", s.latency_ms == null ? "-" : s.latency_ms.toFixed(1));
        text("state", !s.frames ? "waiting for the first frame"
                      : s.last_frame_age_s > 2 ? "no new frame for " +
                          s.last_frame_age_s.toFixed(0) + " s"
                      : s.frames + " frames, " + s.clients + " viewer(s)");
      }} catch (error) {{ text("state", "bad status"); }}
    }};
    request.onerror = request.ontimeout = function () {{ text("state", "run ended"); }};
    request.send();
  }}
  poll();
  setInterval(poll, 1000);
}})();
</script>
</body></html>
"""


def parse_address(text):
    """``HOST:PORT``, ``:PORT`` or ``PORT`` -> (host, port); the host defaults to 127.0.0.1."""
    host, _, port = text.rpartition(":")
    # isdigit() takes '²' and other digits int() refuses: ASCII digits only.
    if not re.match(r"^[0-9]{1,5}$", port) or not 0 <= int(port) < 65536:  # 0: any free port
        raise UsageError("--serve must be HOST:PORT or PORT, e.g. 127.0.0.1:8080; got {!r}".format(
            text))
    host = host.strip("[]")  # [::1]:8080
    if host and re.match(r"^[0-9.]+$", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise UsageError("--serve {!r}: {} is not an IPv4 address (four numbers 0-255, e.g. "
                             "127.0.0.1 or 0.0.0.0 for every interface)".format(text, host))
    elif host and not re.match(r"^[A-Za-z0-9.:_-]+$", host):
        raise UsageError("--serve {!r}: {!r} is not a host name or address".format(text, host))
    return host or "127.0.0.1", int(port)


def _lowered(function, niceness):
    """``function`` run at the loop's priority, for a thread's target."""
    def run(*args):
        threads.lower_priority(niceness)
        return function(*args)
    return run


def _shut(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """A daemon thread per request while it is read and answered, up to ``max_clients``
    connections with the streams; the accept loop answers the others with a 503 itself (no
    thread) and drains them briefly so that they read it."""

    daemon_threads = True
    allow_reuse_address = True  # a restart binds at once, though the last run's sockets wait
    request_queue_size = 128

    def __init__(self, address, handler, max_clients, streams, niceness=None):
        self.max_clients = max_clients
        self.niceness = niceness
        self.streams = streams  # callable: how many viewers the fan-out thread holds
        self.closing = False
        self._lock = threading.Lock()
        self._active = {}  # socket -> the thread answering it
        self._handed_over = set()  # sockets the fan-out thread owns now
        self._lingering = []  # (socket, deadline) of rejected clients
        if ":" in address[0]:  # [::1]:8080 (parse_address took the brackets off)
            self.address_family = socket.AF_INET6
        http.server.HTTPServer.__init__(self, address, handler)

    def _held(self):
        # A stream's socket counts once: with its thread until it is handed over, then
        # (handed over and counted by the sink in one step) with the streams.
        return len(self._active) - len(self._handed_over) + self.streams()

    def clients(self):
        """The connections held: requests being answered and streams."""
        with self._lock:
            return self._held()

    def process_request(self, request, client_address):
        with self._lock:
            accept = not self.closing and self._held() < self.max_clients
            if accept:
                thread = threading.Thread(target=self.process_request_thread,
                                          args=(request, client_address),
                                          name="mjpeg-request", daemon=True)
                self._active[request] = thread
        if not accept:
            self._reject(request)
            return
        try:
            thread.start()
        except Exception:
            with self._lock:
                self._active.pop(request, None)
            raise

    def process_request_thread(self, request, client_address):
        threads.lower_priority(self.niceness)
        try:
            socketserver.ThreadingMixIn.process_request_thread(self, request, client_address)
        finally:
            with self._lock:
                self._active.pop(request, None)
                self._handed_over.discard(request)

    def hand_over(self, request, take):
        """Gives the request's socket to the fan-out thread if ``take()`` says it took it (it
        is not closed here then); ``take`` counts it among the streams under this lock."""
        with self._lock:
            if not take():
                return False
            self._handed_over.add(request)
            return True

    def shutdown_request(self, request):
        with self._lock:
            if request in self._handed_over:
                return
        http.server.HTTPServer.shutdown_request(self, request)

    def _reject(self, request):
        try:
            request.setblocking(False)
            request.send(_REJECT)  # small: it fits the socket's buffer, nothing waits
            request.shutdown(socket.SHUT_WR)
        except OSError:
            request.close()
            return
        # Closed with the request unread, the socket would answer with a reset that can
        # discard the 503 at the client: drain it a moment first.
        self._lingering.append((request, time.monotonic() + _LINGER_S))
        while len(self._lingering) > _MAX_LINGERING:
            self._lingering.pop(0)[0].close()

    def service_actions(self):
        """Called by the accept loop every tick: closes the drained rejects."""
        now, keep = time.monotonic(), []
        for sock, deadline in self._lingering:
            done = now >= deadline
            while not done:
                try:
                    done = sock.recv(4096) == b""
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    done = True
            if done:
                sock.close()
            else:
                keep.append((sock, deadline))
        self._lingering = keep

    def end_requests(self, deadline):
        """Ends the connections of the requests being answered and waits (until
        ``deadline``) for their threads."""
        with self._lock:
            self.closing = True
            active = list(self._active.items())
            handed_over = set(self._handed_over)
        for sock, _ in active:
            if sock not in handed_over:  # those are the fan-out thread's to close
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for _, thread in active:
            thread.join(max(0.0, deadline - time.monotonic()))
        for sock, _ in self._lingering:
            sock.close()
        self._lingering = []

    def handle_error(self, request, client_address):
        """One line at most, none for a viewer that went away (never a traceback)."""
        error = sys.exc_info()[1]
        if self.closing or isinstance(error, _ORDINARY):
            return
        _log.warning("--serve: a client ({}) failed: {}: {}".format(
            client_address[0] if client_address else "?", type(error).__name__, error))


class _Viewer(object):
    __slots__ = ("sock", "pending", "offset", "sequence", "since", "events")

    def __init__(self, sock, now):
        self.sock = sock
        self.pending = None  # memoryview of the part being sent
        self.offset = 0
        self.sequence = 0  # of the last JPEG taken
        self.since = now  # the last progress
        self.events = selectors.EVENT_READ


class MjpegServerSink(Sink):
    """The ``--serve`` sink. ``legend``: ``(names, colors_rgb[, hidden ids])`` for the page;
    ``status``: a callable returning a dict with ``latency_ms`` and/or ``fps``, called when the
    page polls (what it returns wins over ``set_status``); both can also be given later with
    ``set_legend`` and ``set_status``. The FPS is measured from ``write`` calls unless given.
    ``max_clients``: connections at a time (viewers, page and status requests);
    ``timeout``: seconds a socket may wait to be read from or written to; ``niceness``: the
    priority its threads drop to (platform.threads; None: unchanged)."""

    def __init__(self, address, quality=80, max_clients=DEFAULT_MAX_CLIENTS,
                 timeout=DEFAULT_TIMEOUT_S, legend=None, status=None,
                 max_fps=STREAM_FPS, niceness=threads.LOOP_NICENESS):
        self.host, self.port = parse_address(address)
        if max_clients < 1:
            raise UsageError("the MJPEG server needs max_clients >= 1; got {}".format(
                max_clients))
        if not timeout > 0:
            raise UsageError("the MJPEG server needs a timeout above 0 s; got {}".format(
                timeout))
        self._cv2 = optional.require("cv2", "--serve")
        if not max_fps > 0:
            raise UsageError("the MJPEG server needs max_fps above 0; got {}".format(max_fps))
        self.quality = quality
        self._frame_interval = 1.0 / max_fps
        self._next_frame_at = 0.0
        self.max_clients = max_clients
        self.timeout = timeout
        self._lock = threading.Lock()
        self._new_frame = threading.Condition(self._lock)  # the encoder waits on it
        self._frame, self._frame_sequence = None, 0
        self._part, self._jpeg_sequence = None, 0
        self._arrivals = []  # sockets for the fan-out thread to take
        self._viewers = 0  # arrivals and the fan-out thread's viewers
        self._closed = False
        self._fan_out_ended = False
        self._frames = 0
        self._last_write = None
        self._measured_fps = 0.0
        self._given = {}
        self._status_source = status
        self._legend = []
        if legend is not None:
            self.set_legend(*legend)
        self._wake_read, self._wake_write = socket.socketpair()
        for end in (self._wake_read, self._wake_write):
            end.setblocking(False)
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = self.timeout  # every socket read and write: idle clients are released

            def log_message(self, *args):
                pass

            def parse_request(self):
                line = self.raw_requestline.decode("iso-8859-1").rstrip("\r\n")
                words = line.split()
                if len(words) == 2:  # "GET /": HTTP/0.9 has no headers, don't wait for them
                    self.requestline = line
                    self.command, self.path = words
                    self.request_version = "HTTP/1.0"  # so that the error gets a status line
                    self.close_connection = True
                    self.send_error(505, "HTTP/0.9 is not supported",
                                    "Send a version, e.g. 'GET / HTTP/1.0'.")
                    return False
                return http.server.BaseHTTPRequestHandler.parse_request(self)

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path in ("/", "/index.html"):
                    self._send(200, "text/html; charset=utf-8", sink.page())
                elif path == "/status":
                    self._send(200, "application/json", json.dumps(sink.status()).encode())
                elif path == "/stream.mjpg":
                    self.send_response(200)
                    self.send_header("Content-Type",
                                     "multipart/x-mixed-replace; boundary=" + BOUNDARY)
                    self.send_header("Cache-Control", "no-cache, no-store")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.close_connection = True
                    sink._adopt(self.server, self.connection)
                else:
                    self.send_error(404)

            def _send(self, code, content_type, body):
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

        try:
            self.server = _Server((self.host, self.port), Handler, max_clients,
                                  lambda: self._viewers, niceness)
        except OSError as exc:
            self._wake_read.close()
            self._wake_write.close()
            if exc.errno in (errno.EADDRINUSE,):
                reason, hint = "port in use", "choose another port"
            elif exc.errno == errno.EADDRNOTAVAIL:
                reason, hint = ("{} is not an address of this machine".format(self.host),
                                "use 127.0.0.1, 0.0.0.0 or one of this machine's addresses")
            elif isinstance(exc, socket.gaierror):
                reason, hint = "unknown host {}".format(self.host), "give an IP address"
            elif exc.errno == errno.EACCES:
                reason, hint = "ports below 1024 need root", "choose a port above 1023"
            else:
                reason, hint = exc.strerror or str(exc), "choose another address or port"
            raise OutputError("--serve {}:{}: {}".format(self.host, self.port, reason),
                              hint=hint)
        self.port = self.server.server_address[1]
        self._threads = [threading.Thread(target=_lowered(self._encode_loop, niceness),
                                          name="mjpeg-encoder"),
                         threading.Thread(target=_lowered(self._fan_out_loop, niceness),
                                          name="mjpeg-fan-out"),
                         threading.Thread(target=_lowered(self.server.serve_forever, niceness),
                                          args=(_TICK_S,), name="mjpeg-accept")]
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    @property
    def url(self):
        return "http://{}:{}/".format("[{}]".format(self.host) if ":" in self.host else
                                      self.host, self.port)

    # -- what the page shows --------------------------------------------------------------

    def set_legend(self, names, colors_rgb, hidden=()):
        """The classes the page lists: names with their (r, g, b) colours; ``hidden`` ids
        (``--ignore-class``) are left out."""
        entries = []
        for index, (name, color) in enumerate(zip(names, colors_rgb)):
            if index not in hidden:
                entries.append((str(name), tuple(int(c) for c in list(color)[:3])))
        with self._lock:
            self._legend = entries

    def set_status(self, fps=None, latency_ms=None):
        """FPS and latency (ms) for the page; ``None`` leaves a value as it was."""
        with self._lock:
            if fps is not None:
                self._given["fps"] = float(fps)
            if latency_ms is not None:
                self._given["latency_ms"] = float(latency_ms)

    def status(self):
        """What ``/status`` answers."""
        with self._lock:
            age = None if self._last_write is None else time.perf_counter() - self._last_write
            result = {"frames": self._frames,
                      "fps": self._measured_fps if self._frames > 1 else None,
                      "latency_ms": None,
                      "last_frame_age_s": age,
                      "clients": self._viewers,
                      "max_clients": self.max_clients,
                      "closed": self._closed}
            result.update(self._given)
        if self._status_source is not None:
            try:
                extra = self._status_source() or {}
                result.update((key, float(value)) for key, value in extra.items()
                              if key in ("fps", "latency_ms") and value is not None)
            except Exception:
                pass  # the page is a convenience: never a failure of the run
        return result

    def page(self):
        with self._lock:
            legend = list(self._legend)
        items = "".join(
            "<li><span class=\"swatch\" style=\"background:rgb({},{},{})\"></span>"
            "<span class=\"name\">{}</span></li>".format(r, g, b, html.escape(name))
            for name, (r, g, b) in legend)
        return _PAGE.format(legend=items).encode("utf-8")

    # -- frames -----------------------------------------------------------------------------

    def write(self, frame):
        """Keeps a copy of the newest frame for the encoder (nothing while nobody watches, and
        at most ``max_fps`` a second); never encodes, never waits on a viewer."""
        now = time.perf_counter()
        with self._lock:
            if self._last_write is not None and now > self._last_write:
                rate = 1.0 / (now - self._last_write)
                self._measured_fps = (0.9 * self._measured_fps + 0.1 * rate
                                      if self._frames > 1 else rate)
            self._last_write = now
            self._frames += 1
            watched = self._viewers > 0
            due = now >= self._next_frame_at
            if watched and due:
                # From the due time, not from now: the stream keeps max_fps on average.
                self._next_frame_at = max(self._next_frame_at + self._frame_interval,
                                          now - self._frame_interval)
        if not (watched and due):
            return
        copy = frame.copy()  # the caller may reuse its buffer once write returns
        with self._lock:
            self._frame = copy
            self._frame_sequence += 1
            self._new_frame.notify()

    def _wake(self):
        try:
            self._wake_write.send(b"x")
        except OSError:  # full (it is awake already) or closed
            pass

    def _encode_loop(self):
        encoded_sequence = 0
        while True:
            with self._lock:
                while not self._closed and (self._frame_sequence == encoded_sequence
                                            or not self._viewers):
                    self._new_frame.wait()
                if self._closed:
                    return
                frame, encoded_sequence = self._frame, self._frame_sequence
                self._frame = None
            try:
                ok, encoded = self._cv2.imencode(".jpg", frame,
                                                 [self._cv2.IMWRITE_JPEG_QUALITY, self.quality])
            except Exception as exc:  # a frame OpenCV refuses: say so, keep serving
                _log.warning("--serve: cannot encode a frame as JPEG: {}".format(exc))
                ok = False
            if not ok:
                continue
            jpeg = encoded.tobytes()
            part = ("--{}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n".format(
                BOUNDARY, len(jpeg)).encode() + jpeg + b"\r\n")
            with self._lock:
                self._part = part
                self._jpeg_sequence += 1
            self._wake()

    def _adopt(self, server, connection):
        """A stream's socket, its headers sent, goes to the fan-out thread (after close(), it
        is closed with its request instead)."""
        def take():
            with self._lock:
                if self._closed or self._fan_out_ended:
                    return False
                self._arrivals.append(connection)
                self._viewers += 1
                self._new_frame.notify()  # the encoder waits for a viewer as well
                return True

        if server.hand_over(connection, take):
            self._wake()

    def _fan_out_loop(self):
        selector = selectors.DefaultSelector()
        selector.register(self._wake_read, selectors.EVENT_READ)
        viewers = {}  # socket -> _Viewer
        try:
            self._fan_out(selector, viewers)
        except Exception as exc:  # a bug here must not leave viewers hanging, nor a traceback
            _log.warning("--serve: streaming stopped: {}: {}".format(
                type(exc).__name__, exc))
        finally:
            with self._lock:
                self._fan_out_ended = True  # later streams are closed at once
                arrivals, self._arrivals = self._arrivals, []
                self._viewers -= len(arrivals)
            for viewer in list(viewers.values()):
                self._drop(selector, viewers, viewer)
            for sock in arrivals:
                _shut(sock)
            selector.close()

    def _drop(self, selector, viewers, viewer):
        selector.unregister(viewer.sock)
        del viewers[viewer.sock]
        _shut(viewer.sock)
        with self._lock:
            self._viewers -= 1

    @staticmethod
    def _send_some(viewer, now):
        """Sends what the socket takes now of the viewer's part; False: the viewer is gone."""
        try:
            sent = viewer.sock.send(viewer.pending[viewer.offset:])
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:  # gone or reset
            return False
        viewer.offset += sent
        viewer.since = now
        if viewer.offset == len(viewer.pending):
            viewer.pending = None
        return True

    def _fan_out(self, selector, viewers):
        """The fan-out thread's loop, until ``close()``."""
        while True:
            events = selector.select(_TICK_S)
            now = time.monotonic()
            with self._lock:
                closed = self._closed
                arrivals, self._arrivals = self._arrivals, []
                part, sequence = self._part, self._jpeg_sequence
            for sock in arrivals:
                sock.setblocking(False)
                viewers[sock] = _Viewer(sock, now)
                selector.register(sock, selectors.EVENT_READ)
            if closed:
                return
            for key, mask in events:
                if key.fileobj is self._wake_read:
                    try:
                        while self._wake_read.recv(4096):
                            pass
                    except OSError:
                        pass
                    continue
                viewer = viewers.get(key.fileobj)
                if viewer is None:
                    continue
                if mask & selectors.EVENT_READ:  # a viewer sends nothing but its leaving
                    try:
                        gone = viewer.sock.recv(4096) == b""
                    except (BlockingIOError, InterruptedError):
                        gone = False
                    except OSError:
                        gone = True
                    if gone:
                        self._drop(selector, viewers, viewer)
                        continue
                if mask & selectors.EVENT_WRITE and viewer.pending is not None:
                    if not self._send_some(viewer, now):
                        self._drop(selector, viewers, viewer)
            for viewer in list(viewers.values()):
                if viewer.pending is None and part is not None and viewer.sequence != sequence:
                    # It took the last one: the newest now (those between are skipped).
                    viewer.pending, viewer.offset = memoryview(part), 0
                    viewer.sequence, viewer.since = sequence, now
                    if not self._send_some(viewer, now):
                        self._drop(selector, viewers, viewer)
                        continue
                if viewer.pending is not None and now - viewer.since > self.timeout:
                    # It takes nothing: gone without a word, or far too slow.
                    self._drop(selector, viewers, viewer)
                    continue
                events_wanted = selectors.EVENT_READ | (
                    selectors.EVENT_WRITE if viewer.pending is not None else 0)
                if events_wanted != viewer.events:
                    selector.modify(viewer.sock, events_wanted)
                    viewer.events = events_wanted

    def close(self):
        """Stops serving: every connection ends, and the threads are gone when this returns
        (one stuck past 2 s would be left: they are daemon threads)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._new_frame.notify_all()
        self._wake()
        deadline = time.monotonic() + 2.0
        self.server.shutdown()
        self.server.end_requests(deadline)
        self.server.server_close()
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._wake_read.close()
        self._wake_write.close()
