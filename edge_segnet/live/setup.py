"""Turning ``run``'s options into a segmenter, a source, a painter and sinks, checking them
all before the first frame."""

import math
import time

from edge_segnet.errors import UsageError
from edge_segnet.live import loop
from edge_segnet.live.loop import RunOptions
from edge_segnet.models import shipped
from edge_segnet.runtime import open_segmenter
from edge_segnet.video import sinks as sinks_module
from edge_segnet.video import sources
from edge_segnet.video.mjpeg_server import MjpegServerSink, parse_address
from edge_segnet.viz import overlay


class RunSetup(object):
    def __init__(self):
        self.segmenter = self.source = self.painter = self.options = None
        self.source_name = None
        self.sinks, self.outputs, self.messages = [], [], []


def _ignore_ids(names, ignore_class):
    ids = []
    lowered = [name.lower() for name in names]
    for item in ignore_class:
        if str(item).isdigit():
            if int(item) >= len(names):
                raise UsageError("--ignore-class {} is not a class of the model: it has {} "
                                 "class{} (ids 0..{})".format(
                                     int(item), len(names), "" if len(names) == 1 else "es",
                                     len(names) - 1), hint="give an id or a name")
            ids.append(int(item))
        elif item.lower() in lowered:
            ids.append(lowered.index(item.lower()))
        else:
            raise UsageError("--ignore-class {!r} is not a class of the model ({})".format(
                item, ", ".join(names)))
    return ids


IMAGE_FORMATS = {"jpg": ".jpg", "png": ".png"}


def _image_extension(image_format):
    if image_format not in IMAGE_FORMATS:
        raise UsageError("--image-format must be jpg or png; got {!r}".format(image_format))
    return IMAGE_FORMATS[image_format]


def _finite(value):
    return isinstance(value, (int, float)) and math.isfinite(value)


def _check_mode(size, fps):
    """--width/--height/--fps: positive, finite numbers (a camera mode)."""
    height, width = size
    if (height is None) != (width is None):
        raise UsageError("give --width and --height together")
    for option, value in (("--width", width), ("--height", height)):
        if value is not None and value < 1:
            raise UsageError("{} must be at least 1 pixel; got {}".format(option, value))
    if fps is not None and not (_finite(fps) and fps > 0):
        raise UsageError("--fps must be a frame rate above 0, e.g. 30; got {}".format(fps))


def _hud(setup):
    state = {"last": time.perf_counter(), "fps": 0.0}
    segmenter = setup.segmenter

    def decorate(image):
        now = time.perf_counter()
        elapsed, state["last"] = now - state["last"], now
        if elapsed > 0:
            state["fps"] = 0.9 * state["fps"] + 0.1 / elapsed if state["fps"] else 1.0 / elapsed
        overlay.draw_hud(image, "{:.1f} FPS  {:.1f} ms  {}".format(
            state["fps"], segmenter.last_timings_ms.get("inference", 0.0), segmenter.describe()))
    return decorate


def build_run(camera=None, source=None, model=None, size=(None, None), fps=None,
              visualize="overlay", alpha=0.5, label_filter="nearest", legend=False, hud=False,
              ignore_class=(), output=None, images=None, labels_dir=None, color_masks=False,
              serve=None, headless=False, max_frames=None, duration=None, realtime=False,
              threads=None, environ=None, backend="auto", image_format="jpg"):
    setup = RunSetup()
    if camera is not None and source is not None:
        raise UsageError("give --camera or --source, not both")
    for option, value in (("--camera", camera), ("--source", source)):
        if value is not None and not value.strip():
            raise UsageError("{} is empty; give {}".format(
                option, "a camera: /dev/video0, 0 or csi://0" if option == "--camera" else
                "synthetic, a camera, a stream or a file"))
    _check_mode(size, fps)
    _image_extension(image_format)
    if not _finite(alpha) or not 0.0 <= alpha <= 1.0:
        raise UsageError("--alpha must be between 0 and 1; got {}".format(alpha))
    if max_frames is not None and max_frames < 1:
        raise UsageError("--max-frames must be at least 1; got {}".format(max_frames))
    if duration is not None and not duration > 0:
        raise UsageError("--duration must be more than 0 seconds; got {}".format(duration))
    if threads is not None and threads < 1:
        raise UsageError("--threads must be at least 1; got {}".format(threads))
    uri = camera if camera is not None else source if source is not None else sources.SYNTHETIC
    sources.parse_source(uri)  # a malformed URI is refused before the model is loaded
    if serve:
        parse_address(serve)  # a malformed address is refused before the model is loaded
    if uri == sources.SYNTHETIC and max_frames is None and duration is None and (
            output or images or labels_dir):
        raise UsageError("the synthetic source never ends: give --max-frames or --duration")
    if model is None:
        name = shipped.SYNTHETIC if uri == sources.SYNTHETIC else shipped.DEFAULT
        setup.messages.append("model: {} ({}; --model to choose another)".format(
            name, shipped.DESCRIPTIONS[name]))
    model = shipped.resolve(model, synthetic_source=uri == sources.SYNTHETIC)
    setup.segmenter = open_segmenter(model, backend=backend,
                                     threads=threads,
                                     log=lambda line: setup.messages.append(line))
    labels = setup.segmenter.info.labels
    ignore = _ignore_ids(labels.names, ignore_class)
    setup.painter = overlay.Painter(labels.colors_bgr, visualize, alpha, label_filter, ignore)
    setup.source = sources.open_source(uri, size=size if size[0] else None, fps=fps,
                                       decoder_threads=loop.decoder_threads(setup.segmenter))
    setup.source_name = uri
    try:
        if output:
            video = sinks_module.VideoFileSink(output, setup.source.fps)
            setup.sinks.append(video)
            setup.messages.extend(video.messages)
            setup.outputs.append(output)
        if images:
            setup.sinks.append(sinks_module.ImageSequenceSink(images, _image_extension(
                image_format)))
            setup.outputs.append(images)
        if labels_dir:
            setup.sinks.append(sinks_module.LabelSink(
                labels_dir, labels.colors_bgr if color_masks else None))
            setup.outputs.append(labels_dir)
        if serve:
            # The page's latency is the HUD's: the network's own time for the latest frame.
            server = MjpegServerSink(
                serve, legend=(labels.names, labels.colors_rgb, ignore),
                status=lambda: {"latency_ms": setup.segmenter.last_timings_ms.get("inference")})
            setup.sinks.append(server)
            setup.messages.append("serving {}".format(server.url))
        if not headless and sinks_module.WindowSink.display_available(environ):
            setup.sinks.append(sinks_module.WindowSink())
        if not setup.sinks:
            # Segmenting into nothing is a timing run: fine when asked for, a surprise otherwise.
            setup.messages.append(
                "no output: {}; frames are segmented and timed only (add -o FILE.mp4, "
                "--images DIR, --labels DIR or --serve HOST:PORT)".format(
                    "--headless" if headless else "no display here"))
    except Exception:
        setup.source.close()
        for sink in setup.sinks:
            sink.close()
        raise
    decorations = []
    if legend:
        decorations.append(lambda image: overlay.draw_legend(image, labels.names,
                                                            labels.colors_bgr, ignore))
    if hud:
        decorations.append(_hud(setup))
    decorate = (lambda image: [step(image) for step in decorations]) if decorations else None
    setup.options = RunOptions(max_frames=max_frames, duration=duration, realtime=realtime,
                               hud=decorate)
    return setup
