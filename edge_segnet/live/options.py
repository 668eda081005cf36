"""``run``'s options in one object, checked on construction where they can be alone (as
``engine.plan.BuildOptions`` is): a malformed option is refused before a model is loaded."""

import math

from edge_segnet.errors import UsageError
from edge_segnet.platform import threads as threads_module
from edge_segnet.video import sinks, sources
from edge_segnet.video.mjpeg_server import parse_address

IMAGE_FORMATS = {"jpg": ".jpg", "png": ".png"}


def _finite(value):
    return isinstance(value, (int, float)) and math.isfinite(value)


def image_extension(image_format):
    if image_format not in IMAGE_FORMATS:
        raise UsageError("--image-format must be jpg or png; got {!r}".format(image_format))
    return IMAGE_FORMATS[image_format]


def check_mode(size, fps):
    """--width/--height/--fps: positive, finite numbers (a camera mode)."""
    height, width = size
    if (height is None) != (width is None):
        raise UsageError("give --width and --height together")
    for option, value in (("--width", width), ("--height", height)):
        if value is not None and value < 1:
            raise UsageError("{} must be at least 1 pixel; got {}".format(option, value))
    if fps is not None and not (_finite(fps) and fps > 0):
        raise UsageError("--fps must be a frame rate above 0, e.g. 30; got {}".format(fps))


class RunOptions(object):
    """The options of ``edge-segnet run`` (``size`` is (height, width) of a camera mode).

    ``opencv_threads``: OpenCV's threads during the run (None: leave OpenCV's own). One by
    default: OpenCV's work (decoding, resizing, drawing) already runs beside the network on
    the capture and output threads, and a pool of its own on every core would fight ONNX
    Runtime's threads for them (tools/bench_run.py --compare-opencv-threads measures it).

    ``overwrite``: write --images/--labels into a folder that already holds files (refused
    otherwise: an earlier run's frames would mix with this one's).

    ``loop_niceness``: the nice value the loop's own threads drop to (None: the network's
    priority; tools/bench_run.py --compare-equal-priority measures it)."""

    def __init__(self, camera=None, source=None, model=None, size=(None, None), fps=None,
                 visualize="overlay", alpha=0.5, label_filter="nearest", legend=False,
                 hud=False, ignore_class=(), output=None, images=None, labels_dir=None,
                 color_masks=False, serve=None, headless=False, max_frames=None,
                 duration=None, realtime=False, threads=None, backend="auto",
                 image_format="jpg", overwrite=False, opencv_threads=1,
                 loop_niceness=threads_module.LOOP_NICENESS):
        if camera is not None and source is not None:
            raise UsageError("give --camera or --source, not both")
        for option, value in (("--camera", camera), ("--source", source)):
            if value is not None and not value.strip():
                raise UsageError("{} is empty; give {}".format(
                    option, "a camera: /dev/video0, 0 or csi://0" if option == "--camera" else
                    "synthetic, a camera, a stream or a file"))
        check_mode(size, fps)
        self.image_extension = image_extension(image_format)
        if not _finite(alpha) or not 0.0 <= alpha <= 1.0:
            raise UsageError("--alpha must be between 0 and 1; got {}".format(alpha))
        if max_frames is not None and max_frames < 1:
            raise UsageError("--max-frames must be at least 1; got {}".format(max_frames))
        if duration is not None and not duration > 0:
            raise UsageError("--duration must be more than 0 seconds; got {}".format(
                duration))
        if threads is not None and threads < 1:
            raise UsageError("--threads must be at least 1; got {}".format(threads))
        self.uri = camera if camera is not None else source if source is not None else \
            sources.SYNTHETIC
        sources.parse_source(self.uri)  # a malformed URI is refused before the model is loaded
        if serve:
            parse_address(serve)  # a malformed address is refused before the model is loaded
        if self.uri == sources.SYNTHETIC and max_frames is None and duration is None and (
                output or images or labels_dir):
            raise UsageError("the synthetic source never ends: give --max-frames or --duration")
        for option, folder in (("--images", images), ("--labels", labels_dir)):
            if folder:  # before the model is loaded; the sink checks again when it opens
                sinks.make_frame_folder(folder, option, overwrite, create=False)
        self.camera, self.source, self.model = camera, source, model
        self.overwrite = overwrite
        self.size, self.fps = tuple(size), fps
        self.visualize, self.alpha, self.label_filter = visualize, alpha, label_filter
        self.legend, self.hud, self.ignore_class = legend, hud, tuple(ignore_class)
        self.output, self.images, self.labels_dir = output, images, labels_dir
        self.color_masks, self.serve, self.headless = color_masks, serve, headless
        self.max_frames, self.duration, self.realtime = max_frames, duration, realtime
        self.threads, self.backend, self.image_format = threads, backend, image_format
        self.opencv_threads, self.loop_niceness = opencv_threads, loop_niceness
