"""Turning ``run``'s options into a segmenter, a source, a painter and sinks, checking them
all before the first frame."""

import time

from edge_segnet.errors import UsageError
from edge_segnet.models import shipped
from edge_segnet.runner import RunOptions
from edge_segnet.runtime import open_segmenter
from edge_segnet.video import sinks as sinks_module
from edge_segnet.video import sources
from edge_segnet.video.mjpeg_server import MjpegServerSink
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
            ids.append(int(item))
        elif item.lower() in lowered:
            ids.append(lowered.index(item.lower()))
        else:
            raise UsageError("--ignore-class {!r} is not a class of the model ({})".format(
                item, ", ".join(names)))
    return ids


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
              threads=None, environ=None, backend="auto"):
    setup = RunSetup()
    if camera and source:
        raise UsageError("give --camera or --source, not both")
    if max_frames is not None and max_frames < 1:
        raise UsageError("--max-frames must be at least 1; got {}".format(max_frames))
    if duration is not None and not duration > 0:
        raise UsageError("--duration must be more than 0 seconds; got {}".format(duration))
    if (size[0] is None) != (size[1] is None):
        raise UsageError("give --width and --height together")
    uri = camera or source or sources.SYNTHETIC
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
    setup.source = sources.open_source(uri, size=size if size[0] else None, fps=fps)
    setup.source_name = uri
    try:
        if output:
            video = sinks_module.VideoFileSink(output, setup.source.fps)
            setup.sinks.append(video)
            setup.messages.extend(video.messages)
            setup.outputs.append(output)
        if images:
            setup.sinks.append(sinks_module.ImageSequenceSink(images))
            setup.outputs.append(images)
        if labels_dir:
            setup.sinks.append(sinks_module.LabelSink(
                labels_dir, labels.colors_bgr if color_masks else None))
            setup.outputs.append(labels_dir)
        if serve:
            server = MjpegServerSink(serve)
            setup.sinks.append(server)
            setup.messages.append("serving {}".format(server.url))
        if not headless and sinks_module.WindowSink.display_available(environ):
            setup.sinks.append(sinks_module.WindowSink())
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
