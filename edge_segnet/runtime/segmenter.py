"""The contract every backend fills: a BGR frame in, a label map at model resolution out."""

import abc
import time

import numpy as np

from edge_segnet import optional
from edge_segnet.errors import ModelError, UsageError
from edge_segnet.graph import heads
from edge_segnet.runtime import preprocess


class Segmentation(object):
    """One frame's result: ``labels`` (HxW int32, model resolution) and, when asked, ``logits``
    (1xCxHxW float32)."""

    __slots__ = ("labels", "logits")

    def __init__(self, labels, logits=None):
        self.labels = labels
        self.logits = logits


class Segmenter(abc.ABC):
    """Base of the backends. A backend, while loading its model, sets the attributes named in
    ``LOADED`` and at least one of ``labels_output``/``logits_output`` (``input_format`` and
    ``network_on_cpu`` where it differs from the default), then calls ``_loaded()``, which
    checks them; it implements ``_run(tensor, want_logits) -> (labels or None, logits or
    None)`` and ``run_tensor``. The pre- and post-processing around ``_run`` is shared here.

    ``last_timings_ms`` holds the stages of the latest ``infer`` call.
    """

    # What every backend knows once its model is loaded (``_loaded`` refuses a None).
    LOADED = ("model_path", "info", "input_size", "input_name", "backend_name", "precision")
    backend_name = None
    precision = "fp32"
    input_size = None
    input_name = None
    info = None
    # How the graph takes the frame (heads.FORMAT_*): normalised on the host, or the frame's
    # BGR values as they are when prepare put the normalisation into the graph.
    input_format = heads.FORMAT_NORMALIZED
    logits_output = None  # set by backends whose model gives logits
    labels_output = None
    model_path = None
    # Whether the network runs on the CPU's cores, which the run loop then shares with it.
    network_on_cpu = False

    def __init__(self):
        self.last_timings_ms = {}
        self._normalizer = None

    def _loaded(self):
        """End of a backend's loading: the contract is filled in, and the host-side
        normalisation is set up when the graph takes normalised input."""
        missing = [name for name in self.LOADED if getattr(self, name) is None]
        if not (self.labels_output or self.logits_output):
            missing.append("labels_output or logits_output")
        if missing:
            raise TypeError("{} did not set {}".format(type(self).__name__, ", ".join(missing)))
        if self.input_format == heads.FORMAT_NORMALIZED:
            self._normalizer = preprocess.Normalizer(self.info.mean, self.info.std,
                                                     self.info.color_order)

    def prepare_input(self, frame):
        """The network's input tensor for a BGR frame of any size."""
        return preprocess.to_tensor(frame, self.input_size, self.input_format,
                                    self._normalizer)

    def infer(self, frame, want_logits=False):
        """Pre-processing, the network and post-processing of one frame, each timed into
        ``last_timings_ms``."""
        start = time.perf_counter()
        tensor = self.prepare_input(frame)
        prepared = time.perf_counter()
        raw = self.run_prepared(tensor, want_logits)
        ran = time.perf_counter()
        result = self.segmentation(raw, want_logits)
        done = time.perf_counter()
        self.last_timings_ms = {
            "preprocess": (prepared - start) * 1e3,
            "inference": (ran - prepared) * 1e3,
            "postprocess": (done - ran) * 1e3,
        }
        return result

    def run_prepared(self, tensor, want_logits=False):
        """The network alone on ``prepare_input``'s tensor; its result goes to
        ``segmentation``, which may run on another thread (the run loop's output thread)."""
        start = time.perf_counter()
        raw = self._run(tensor, want_logits)
        self.last_timings_ms = {"inference": (time.perf_counter() - start) * 1e3}
        return raw

    def segmentation(self, raw, want_logits=False):
        """The Segmentation of one ``run_prepared`` result: the label map (arg-max of the
        logits when the graph has no arg-max head)."""
        labels, logits = raw
        if labels is None:
            labels = labels_from_logits(logits)
        else:
            labels = labels.reshape(self.input_size).astype(np.int32, copy=False)
        return Segmentation(labels, logits if want_logits else None)

    def _output_names(self, want_logits):
        """The outputs one call needs: the label map, and the logits when asked for or when
        the model gives no label map."""
        names = [self.labels_output] if self.labels_output else []
        if self.logits_output and (want_logits or not self.labels_output):
            names.append(self.logits_output)
        if want_logits and not self.logits_output:
            raise UsageError("{} outputs only labels; prepare it with --keep-logits to get "
                             "logits".format(self.model_path))
        return names

    @abc.abstractmethod
    def _run(self, tensor, want_logits):
        """(labels or None, logits or None) for one input tensor."""

    @abc.abstractmethod
    def run_tensor(self, tensor):
        """The network alone on ``prepare_input``'s tensor, its outputs left where the backend
        keeps them; returns None (benchmarks and profiles time it)."""

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def describe(self):
        return "{} {} {}x{}".format(self.backend_name, self.precision, *self.input_size)


def find_outputs(outputs, is_labels, is_logits, model_path, described, hint=None):
    """(label-map output or None, logits output or None) of a model: one integer map and/or
    one 4-D float tensor; anything else is ambiguous. ``described``: the outputs in words."""
    labels = [value for value in outputs if is_labels(value)]
    logits = [value for value in outputs if is_logits(value)]
    if len(labels) > 1 or len(logits) > 1 or not (labels or logits):
        raise ModelError("cannot tell which output of {} is the segmentation: {}".format(
            model_path, described), hint=hint)
    return (labels[0] if labels else None), (logits[0] if logits else None)


def labels_from_logits(logits):
    """Arg-max over classes of 1xCxHxW logits -> HxW int32 (first maximum wins on ties).

    One class plane at a time, each a contiguous pass: where a plane beats the best so far,
    its index is copied in. With OpenCV (float32 logits: cv2.compare, a masked cv2.copyTo,
    cv2.max) it takes 0.075 ms for 5 classes at 128x256, against 0.73 for np.argmax across
    planes and 0.50 for the same passes in numpy (np.copyto with ``where`` is slow): on the
    output thread of every frame, beside the network. NaN logits (a broken model: ``verify``
    reports them) give labels that differ from np.argmax's and between OpenCV builds."""
    planes = np.ascontiguousarray(logits[0])
    labels = np.zeros(planes.shape[1:], np.int32)
    if planes.shape[0] < 2:
        return labels
    best = planes[0].copy()
    cv2 = optional.try_import("cv2") if planes.dtype == np.float32 else None
    if cv2 is not None:
        for index in range(1, planes.shape[0]):
            greater = cv2.compare(planes[index], best, cv2.CMP_GT)
            cv2.copyTo(np.full(labels.shape, index, np.int32), greater, labels)
            cv2.max(best, planes[index], dst=best)
        return labels
    greater = np.empty(planes.shape[1:], bool)
    for index in range(1, planes.shape[0]):
        np.greater(planes[index], best, out=greater)
        np.copyto(labels, index, where=greater)
        np.maximum(best, planes[index], out=best)
    return labels
