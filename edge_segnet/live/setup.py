"""Turning ``run``'s options into a segmenter, a source, a painter and sinks, checking them
all before the first frame."""

import time

from edge_segnet.errors import UsageError
from edge_segnet.eval.evaluate import check_finite_weights
from edge_segnet.live import loop
from edge_segnet.models import shipped
from edge_segnet.runtime import open_segmenter
from edge_segnet.video import sinks as sinks_module
from edge_segnet.video import sources
from edge_segnet.video.mjpeg_server import MjpegServerSink
from edge_segnet.viz import overlay


class RunSetup(object):
    def __init__(self):
        self.segmenter = self.source = self.painter = self.options = self.decorate = None
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


def build_run(options, environ=None):
    """The segmenter, source, painter, sinks and messages of a run of ``options`` (a
    RunOptions); what is opened is closed again when a later part fails."""
    setup = RunSetup()
    setup.options = options
    uri, model = options.uri, options.model
    if model is None:
        name = shipped.SYNTHETIC if uri == sources.SYNTHETIC else shipped.DEFAULT
        setup.messages.append("model: {} ({}; --model to choose another)".format(
            name, shipped.DESCRIPTIONS[name]))
    model = shipped.resolve(model, synthetic_source=uri == sources.SYNTHETIC)
    check_finite_weights(model)
    setup.segmenter = open_segmenter(model, backend=options.backend, threads=options.threads)
    labels = setup.segmenter.info.labels
    ignore = _ignore_ids(labels.names, options.ignore_class)
    setup.painter = overlay.Painter(labels.colors_bgr, options.visualize, options.alpha,
                                    options.label_filter, ignore)
    setup.source = sources.open_source(uri, size=options.size if options.size[0] else None,
                                       fps=options.fps,
                                       decoder_threads=loop.decoder_threads(setup.segmenter))
    setup.source_name = uri
    try:
        if options.output:
            video = sinks_module.VideoFileSink(options.output, setup.source.fps)
            setup.sinks.append(video)
            setup.messages.extend(video.messages)
            setup.outputs.append(options.output)
        if options.images:
            setup.sinks.append(sinks_module.ImageSequenceSink(
                options.images, options.image_extension, overwrite=options.overwrite))
            setup.outputs.append(options.images)
        if options.labels_dir:
            setup.sinks.append(sinks_module.LabelSink(
                options.labels_dir, labels.colors_bgr if options.color_masks else None,
                overwrite=options.overwrite))
            setup.outputs.append(options.labels_dir)
        if options.serve:
            # The page's latency is the HUD's: the network's own time for the latest frame.
            server = MjpegServerSink(
                options.serve, legend=(labels.names, labels.colors_rgb, ignore),
                status=lambda: {"latency_ms": setup.segmenter.last_timings_ms.get("inference")})
            setup.sinks.append(server)
            setup.messages.append("serving {}".format(server.url))
        if not options.headless and sinks_module.WindowSink.display_available(environ):
            setup.sinks.append(sinks_module.WindowSink())
        if not setup.sinks:
            # Segmenting into nothing is a timing run: fine when asked for, a surprise otherwise.
            setup.messages.append(
                "no output: {}; frames are segmented and timed only (add -o FILE.mp4, "
                "--images DIR, --labels DIR or --serve HOST:PORT)".format(
                    "--headless" if options.headless else "no display here"))
    except Exception:
        setup.source.close()
        for sink in setup.sinks:
            sink.close()
        raise
    decorations = []
    if options.legend:
        decorations.append(lambda image: overlay.draw_legend(image, labels.names,
                                                            labels.colors_bgr, ignore))
    if options.hud:
        decorations.append(_hud(setup))
    setup.decorate = (lambda image: [step(image) for step in decorations]) \
        if decorations else None
    return setup
