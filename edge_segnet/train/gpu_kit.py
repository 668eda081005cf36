"""Training from a CamVid pack (camvid_pack) on a machine lent for minutes: the decoded set kept
on the device, augmented there, stopped before a wall-clock budget, and checkpoints small
enough to carry back (FP16 weights where FP32 would not fit a part, parts of at most 15 MiB).

The recipe is the CPU loop's (loop.py): a held-out recording sequence left out of training and
scored after each epoch (or none, for the final run on all of train+val), class weights from
full-resolution label histograms (data.class_weights), random scale / crop / flip and
photometric jitter with data.py's ranges, weighted cross-entropy over the batch's pixels,
AdamW with loop.py's warm-up + cosine schedule. What differs: augmentation draws from one
generator per (seed, epoch) instead of per sample, and images are resized by
``F.interpolate`` (bilinear, centre-aligned like OpenCV's INTER_LINEAR) rather than OpenCV.

A run's outputs (``out_dir``): ``NAME.ckpt.json`` (a checkpoint's manifest: parts, sha256,
epoch, history) with its parts ``NAME-eEPOCH.pt.NNN``, ``NAME.log.json`` (per-epoch loss and
held-out figures, rewritten each epoch). ``to_loop_checkpoint`` turns a checkpoint into
loop.py's format, which tools/ship_camvid_model.py and train_segnet.py's resume read."""

import glob
import hashlib
import io
import json
import logging
import math
import os
import time

import numpy as np

from edge_segnet import fileio, inputs, labelmaps
from edge_segnet.errors import DataError, UsageError
from edge_segnet.eval.metrics import ConfusionMatrix
from edge_segnet.models import metadata, torch_export
from edge_segnet.models.torch_segnet import torch
from edge_segnet.train import camvid_pack, recipe
from edge_segnet.train import data as train_data
from edge_segnet.train.loop import TrainConfig, warmup_cosine, resolve_device

logger = logging.getLogger(__name__)

F = torch.nn.functional

CHECKPOINT_FORMAT = "edge-segnet-gpu-checkpoint"
PART_BYTES = camvid_pack.PART_BYTES
AMP_MODES = ("auto", "bf16", "fp16", "off")


class KitConfig(object):
    def __init__(self, pack, out_dir, arch="segnet-basic", width=None, kernel=None,
                 class_count=12, ignore_index=11, input_size=(128, 256), epochs=400,
                 batch_size=8, lr=2e-3, weight_decay=1e-4, weighting="median", seed=0,
                 holdout_sequences=("0006R0",), photometric=True, scale_range=(0.75, 1.25),
                 device="cuda", amp="auto", channels_last=None, threads=None,
                 budget_seconds=540.0, fit_budget=True, save_every=50, max_steps=None,
                 resume=None, name=None, weights_dtype="auto", part_bytes=PART_BYTES,
                 optimizer_limit_bytes=32 * 1024 * 1024, eval_batch=32, dropout=0.0,
                 zoom_out=False):
        # holdout_sequences empty: the final run on all of train+val, nothing scored.
        self.__dict__.update(locals())
        del self.__dict__["self"]

    def to_json(self):
        return dict(self.__dict__)


def loop_config(config, device_name=""):
    """The run as loop.py's TrainConfig JSON (what ship_camvid_model and resume read), with
    what only this trainer has beside it."""
    loop = TrainConfig(
        data=config.pack, arch=config.arch, width=config.width, kernel=config.kernel,
        class_count=config.class_count, ignore_index=config.ignore_index,
        input_size=tuple(config.input_size), epochs=config.epochs,
        batch_size=config.batch_size, lr=config.lr, weight_decay=config.weight_decay,
        weighting=config.weighting, seed=config.seed, threads=config.threads,
        checkpoint=None, max_steps=config.max_steps, device=config.device,
        channels_last=bool(config.channels_last), train_split="train+val",
        holdout_sequences=tuple(config.holdout_sequences or ()),
        photometric=config.photometric, dropout=config.dropout,
        zoom_out=config.zoom_out).to_json()
    loop.update(world_size=1, trainer="tools/train_gpu.py", amp=config.amp,
                scale_range=list(config.scale_range), hardware=device_name,
                label_resize=labelmaps.METHOD)
    return loop


# --- the data on the device -------------------------------------------------------------


class _Histograms(object):
    """What data.class_weights reads, from a pack's full-resolution histograms."""

    def __init__(self, pack, indices, class_count, ignore_index):
        self.pack, self.indices = pack, list(indices)
        self.class_count, self.ignore_index = class_count, ignore_index

    def __len__(self):
        return len(self.indices)

    def label_histogram(self, index):
        return self.pack.histogram(self.indices[index], self.class_count, self.ignore_index)


_INDICES = {}


def _label_indices(source, target, device):
    """labelmaps' source indices as a tensor on ``device``, kept: a copy from the host per
    batch would wait for the device each time (a pageable copy synchronises the stream)."""
    key = (int(source), int(target), str(device))
    indices = _INDICES.get(key)
    if indices is None:
        indices = torch.from_numpy(labelmaps.source_indices(source, target).copy()).to(device)
        if len(_INDICES) < 4096:
            _INDICES[key] = indices
    return indices


def resize_labels(labels, height, width):
    """Label maps (..., H, W) resized centre-aligned, exactly as labelmaps.resize_labels:
    the same integer source indices, gathered on the tensor's device (torch's 'nearest' takes
    floor(i * scale), the top-left pixel; 'nearest-exact' is centre-aligned but in floats)."""
    if tuple(labels.shape[-2:]) == (height, width):
        return labels
    rows = _label_indices(labels.shape[-2], height, labels.device)
    columns = _label_indices(labels.shape[-1], width, labels.device)
    return labels[..., rows[:, None], columns]


def resize_images(images, height, width):
    """uint8 or float images (N, 3, H, W) resized bilinearly, centre-aligned, rounded to whole
    levels as OpenCV's uint8 resize is; float out."""
    images = images.float()
    if tuple(images.shape[-2:]) == (height, width):
        return images
    return F.interpolate(images, size=(height, width), mode="bilinear",
                         align_corners=False).round_().clamp_(0, 255)


def _to_device_images(bgr, device):
    """N x H x W x 3 BGR uint8 (numpy) -> N x 3 x H x W RGB uint8 on ``device``."""
    return torch.from_numpy(np.ascontiguousarray(bgr[..., ::-1].transpose(0, 3, 1, 2))).to(
        device)


def _rgb_to_hsv(rgb):
    value, _ = rgb.max(1)
    low, _ = rgb.min(1)
    chroma = value - low
    saturation = torch.where(value > 0, chroma / value.clamp_min(1e-12), torch.zeros_like(value))
    red, green, blue = rgb.unbind(1)
    safe = chroma.clamp_min(1e-12)
    hue = torch.where(value == red, ((green - blue) / safe) % 6.0,
                      torch.where(value == green, (blue - red) / safe + 2.0,
                                  (red - green) / safe + 4.0))
    hue = torch.where(chroma > 0, hue / 6.0, torch.zeros_like(hue))
    return hue, saturation, value


def _hsv_to_rgb(hue, saturation, value):
    channels = []
    for n in (5.0, 3.0, 1.0):
        k = (n + hue * 6.0) % 6.0
        channels.append(value - value * saturation * torch.clamp(
            torch.minimum(k, 4.0 - k), 0.0, 1.0))
    return torch.stack(channels, 1)


def photometric_jitter(images, gamma, contrast, brightness, saturation, hue_shift):
    """data.photometric_jitter on a float batch (N, 3, H, W, 0..255 RGB) with per-image
    parameters (tensors of N): the same gamma / contrast / brightness table rounded to whole
    levels, then saturation scaled and hue turned (``hue_shift`` in OpenCV's 0..179 units)."""
    shape = (-1, 1, 1, 1)
    levels = (images / 255.0) ** gamma.view(shape)
    levels = (levels - 0.5) * contrast.view(shape) + 0.5 + brightness.view(shape)
    rgb = (levels * 255.0).round_().clamp_(0, 255) / 255.0
    hue, sat, value = _rgb_to_hsv(rgb)
    hue = (hue + hue_shift.view(-1, 1, 1) / 180.0) % 1.0
    sat = (sat * saturation.view(-1, 1, 1)).clamp_(0.0, 1.0)
    return _hsv_to_rgb(hue, sat, value) * 255.0


class EpochDraws(object):
    """One epoch's order and augmentation parameters, drawn from a generator seeded by
    (seed, epoch): a resumed run draws what an uninterrupted one would."""

    def __init__(self, count, seed, epoch, scale_range, photometric):
        generator = torch.Generator().manual_seed(int(seed) * 1000003 + int(epoch))

        def uniform(low, high):
            return low + (high - low) * torch.rand(count, generator=generator,
                                                   dtype=torch.float64)

        self.order = torch.randperm(count, generator=generator)
        self.scale = uniform(*scale_range)
        self.top = torch.rand(count, generator=generator, dtype=torch.float64)
        self.left = torch.rand(count, generator=generator, dtype=torch.float64)
        self.flip = torch.rand(count, generator=generator) < 0.5
        self.photometric = photometric
        if photometric:
            low, high = train_data.GAMMA_RANGE
            self.gamma = torch.exp(uniform(math.log(low), math.log(high))).float()
            self.contrast = uniform(*train_data.CONTRAST_RANGE).float()
            self.brightness = uniform(*train_data.BRIGHTNESS_RANGE).float()
            self.saturation = uniform(*train_data.SATURATION_RANGE).float()
            self.hue = torch.randint(-train_data.HUE_SHIFT, train_data.HUE_SHIFT + 1, (count,),
                                     generator=generator).float()
        self._jitter = {}

    def jitter(self, device):
        """(gamma, contrast, brightness, saturation, hue shift) on ``device``, copied once."""
        key = str(device)
        if key not in self._jitter:
            self._jitter[key] = [getattr(self, name).to(device) for name in (
                "gamma", "contrast", "brightness", "saturation", "hue")]
        return self._jitter[key]


class DeviceSet(object):
    """Training frames (uint8, at the source size) and held-out frames (at the input size) on
    the device; ``batch`` makes an augmented, normalised batch there."""

    def __init__(self, pack, train_indices, eval_indices, input_size, scale_range, class_count,
                 ignore_index, device, zoom_out=False):
        self.device = device
        self.zoom_out = bool(zoom_out)
        self.input_size = tuple(input_size)
        self.scale_range = tuple(scale_range)
        self.class_count, self.ignore_index = class_count, ignore_index
        height, width = self.input_size
        top = max(scale_range)
        self.source_size = (max(height, int(math.ceil(height * top))),
                            max(width, int(math.ceil(width * top))))
        self.images = _to_device_images(pack.images["train"][train_indices], device)
        self.labels = self._void(torch.from_numpy(pack.labels["train"][train_indices]).to(device))
        if tuple(self.images.shape[-2:]) != self.source_size:
            logger.info("pack holds {}x{}; resized on the device to {}x{}".format(
                *(tuple(self.images.shape[-2:]) + self.source_size)))
            self.images = resize_images(self.images, *self.source_size).to(torch.uint8)
            self.labels = resize_labels(self.labels, *self.source_size)
        # Held-out frames are scored at the pack's eval size, which may differ from the
        # training input: VGG16-SegNet trains at 256x512 and is deployed at 128x256.
        self.eval_images = self.eval_labels = None
        if len(eval_indices):
            self.eval_images = _to_device_images(pack.images["eval"][eval_indices], device)
            self.eval_labels = self._void(torch.from_numpy(
                pack.labels["eval"][eval_indices]).to(device))
        mean = torch.tensor(metadata.DEFAULT_MEAN, device=device).view(1, 3, 1, 1) * 255.0
        std = torch.tensor(metadata.DEFAULT_STD, device=device).view(1, 3, 1, 1) * 255.0
        self.mean, self.std = mean, std

    def _void(self, labels):
        labels = labels.long()
        labels[(labels < 0) | (labels >= self.class_count)] = self.ignore_index
        return labels.to(torch.uint8) if self.ignore_index < 256 else labels

    def __len__(self):
        return self.images.shape[0]

    def normalise(self, images):
        return (images.float() - self.mean) / self.std

    def batch(self, draws, positions):
        """(images, labels) of the frames at ``positions`` (a range) of ``draws.order``: scaled,
        cropped, flipped and jittered as data.SegmentationData._augment does."""
        images, labels = [], []
        for position in positions:
            index = int(draws.order[position])
            scale = float(draws.scale[position])
            top_draw, left_draw = float(draws.top[position]), float(draws.left[position])
            if self.zoom_out and scale < 1:
                image, label = self._shrunk_onto_canvas(index, scale, top_draw, left_draw)
            else:
                image, label = self._enlarged_crop(index, scale, top_draw, left_draw)
            if bool(draws.flip[position]):
                image, label = image.flip(-1), label.flip(-1)
            images.append(image)
            labels.append(label)
        images = torch.cat(images)
        if draws.photometric:
            chosen = slice(positions.start, positions.stop)
            images = photometric_jitter(images, *(values[chosen] for values in
                                                  draws.jitter(self.device)))
        return self.normalise(images), torch.stack(labels).long()

    def _enlarged_crop(self, index, scale, top_draw, left_draw):
        """The frame at ``scale`` of the input size (below 1 taken as 1), the drawn crop of it."""
        height, width = self.input_size
        source_h, source_w = self.source_size
        scaled_h = max(height, int(round(height * scale)))
        scaled_w = max(width, int(round(width * scale)))
        top = min(int(top_draw * (scaled_h - height + 1)), scaled_h - height)
        left = min(int(left_draw * (scaled_w - width + 1)), scaled_w - width)
        image = resize_images(self.images[index:index + 1], scaled_h, scaled_w)
        image = image[..., top:top + height, left:left + width]
        rows = _label_indices(source_h, scaled_h, self.device)[top:top + height]
        columns = _label_indices(source_w, scaled_w, self.device)[left:left + width]
        return image, self.labels[index][rows[:, None], columns]

    def _shrunk_onto_canvas(self, index, scale, top_draw, left_draw):
        """As data.SegmentationData's zoom-out: the whole frame at ``scale`` (< 1) of the input
        size, at the drawn place on a canvas bordered by the mean (zero once normalised) and
        void (no loss)."""
        height, width = self.input_size
        source_h, source_w = self.source_size
        scaled_h, scaled_w = max(1, int(round(height * scale))), max(1, int(round(width * scale)))
        top = min(int(top_draw * (height - scaled_h + 1)), height - scaled_h)
        left = min(int(left_draw * (width - scaled_w + 1)), width - scaled_w)
        image = self.mean.round().expand(1, 3, height, width).clone()
        image[..., top:top + scaled_h, left:left + scaled_w] = resize_images(
            self.images[index:index + 1], scaled_h, scaled_w)
        label = torch.full((height, width), self.ignore_index, dtype=self.labels.dtype,
                           device=self.device)
        rows = _label_indices(source_h, scaled_h, self.device)
        columns = _label_indices(source_w, scaled_w, self.device)
        label[top:top + scaled_h, left:left + scaled_w] = self.labels[index][rows[:, None],
                                                                             columns]
        return image, label


# --- checkpoints that travel ------------------------------------------------------------


def _sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def _cast_state(state, dtype):
    return {key: (value.to(dtype) if torch.is_tensor(value) and value.is_floating_point()
                  else value) for key, value in state.items()}


def _optimizer_state(optimizer, dtype):
    state = optimizer.state_dict()
    # bf16 keeps Adam's second moments (down to 1e-38) where FP16 would flush them to zero;
    # load_state_dict casts them back to the parameters' FP32. "step" stays as it is.
    state["state"] = {key: {name: (value.to(dtype) if name != "step" and torch.is_tensor(value)
                                   and value.is_floating_point() else value)
                            for name, value in entry.items()}
                      for key, entry in state["state"].items()}
    return state


def save_checkpoint(out_dir, name, model, optimizer, scheduler, epoch, history, config,
                    weights_dtype="auto", part_bytes=PART_BYTES,
                    optimizer_limit_bytes=32 * 1024 * 1024):
    """Write the run's state as parts of at most ``part_bytes`` and their manifest (written
    last, so a manifest always names complete parts); parts of earlier saves are removed."""
    weights = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    fp32_bytes = sum(v.numel() * 4 for v in weights.values() if v.is_floating_point())
    if weights_dtype == "auto":
        weights_dtype = "float32" if fp32_bytes <= part_bytes else "float16"
    if weights_dtype not in ("float32", "float16"):
        raise UsageError("weights dtype must be auto, float32 or float16")
    optimizer_state = None
    if fp32_bytes // 2 <= optimizer_limit_bytes:
        optimizer_state = _optimizer_state(optimizer, torch.bfloat16)
    state = {"format": CHECKPOINT_FORMAT, "weights_dtype": weights_dtype,
             "model": _cast_state(weights, getattr(torch, weights_dtype)),
             "optimizer": optimizer_state, "scheduler": scheduler.state_dict(), "epoch": epoch,
             "history": history, "config": config}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    parts = []
    for number, start in enumerate(range(0, len(data), part_bytes)):
        chunk = data[start:start + part_bytes]
        part_name = "{}-e{:04d}.pt.{:03d}".format(name, epoch, number)
        fileio.write_bytes_atomic(os.path.join(out_dir, part_name), chunk, what="checkpoint")
        parts.append({"file": part_name, "bytes": len(chunk), "sha256": _sha256_bytes(chunk)})
    manifest = {"format": CHECKPOINT_FORMAT, "epoch": epoch, "bytes": len(data),
                "weights_dtype": weights_dtype, "optimizer": optimizer_state is not None,
                "parts": parts, "config": config, "history": history}
    path = os.path.join(out_dir, name + ".ckpt.json")
    fileio.write_bytes_atomic(path, json.dumps(manifest, indent=1).encode(), what="manifest")
    keep = {part["file"] for part in parts}
    for stale in glob.glob(os.path.join(out_dir, "{}-e*.pt.*".format(glob.escape(name)))):
        if os.path.basename(stale) not in keep:
            os.remove(stale)
    logger.info("checkpoint: epoch {} in {} ({} part{}, {:.1f} MB; weights {}, optimizer "
                "{})".format(epoch, path, len(parts), "" if len(parts) == 1 else "s",
                             len(data) / 1e6, weights_dtype,
                             "bf16" if optimizer_state is not None else "left out"))
    return path


def load_checkpoint(manifest_path):
    """The state a ``save_checkpoint`` manifest names, weights back in FP32."""
    inputs.check_regular_file(manifest_path, "checkpoint manifest")  # a FIFO: never opened
    try:
        with open(manifest_path) as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as exc:
        raise DataError("cannot read checkpoint manifest {}: {}".format(manifest_path, exc))
    if manifest.get("format") != CHECKPOINT_FORMAT:
        raise DataError("{} is not a GPU-kit checkpoint manifest".format(manifest_path))
    folder = os.path.dirname(os.path.abspath(manifest_path))
    chunks = []
    for part in manifest["parts"]:
        path = os.path.join(folder, part["file"])
        try:
            inputs.check_regular_file(path, "checkpoint part")
            with open(path, "rb") as handle:
                chunk = handle.read()
        except OSError:
            raise DataError("checkpoint part {} is missing".format(path),
                            hint="copy every part named in {}".format(manifest_path))
        if _sha256_bytes(chunk) != part["sha256"]:
            raise DataError("checkpoint part {} does not match its sha256".format(path),
                            hint="the copy is damaged: copy it again")
        chunks.append(chunk)
    state = torch.load(io.BytesIO(b"".join(chunks)), map_location="cpu", weights_only=True)
    state["model"] = _cast_state(state["model"], torch.float32)
    return state


def to_loop_checkpoint(manifest_path, output):
    """Write the checkpoint as loop.py writes them (model, optimizer, scheduler, epoch,
    history, config; FP32): what tools/ship_camvid_model.py and train_segnet.py's resume read.
    Without optimizer moments in the parts (a model too big to carry them), a fresh AdamW's."""
    state = load_checkpoint(manifest_path)
    optimizer = state["optimizer"]
    if optimizer is None:
        config = state["config"]
        model = torch_export.build_model(config["arch"], config["class_count"],
                                         config.get("width"), config.get("kernel"))
        optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"],
                                      weight_decay=config["weight_decay"]).state_dict()
    else:
        optimizer["state"] = {key: {name: (value.float() if name != "step" and
                                           value.is_floating_point() else value)
                                    for name, value in entry.items()}
                              for key, entry in optimizer["state"].items()}
    loop_state = {"model": state["model"], "optimizer": optimizer,
                  "scheduler": state["scheduler"], "epoch": state["epoch"],
                  "history": state["history"], "config": state["config"]}
    with fileio.atomic_path(output, what="checkpoint") as temp_path:
        torch.save(loop_state, temp_path)
    return output


# --- the run ----------------------------------------------------------------------------


def _autocast(device, amp):
    if amp == "off":
        return None
    return torch.autocast(device_type=device.type,
                          dtype=torch.float16 if amp == "fp16" else torch.bfloat16)


def _forward(model, images, device, amp):
    """The model's logits, under autocast unless ``amp`` is off."""
    context = _autocast(device, amp)
    if context is None:
        return model(images)
    with context:
        return model(images)


def evaluate(model, data, batch, amp, device, channels_last):
    """The confusion matrix of ``model`` on the held-out frames (counted on the device)."""
    matrix = ConfusionMatrix(data.class_count, data.ignore_index)
    count = data.class_count
    counts = torch.zeros(count * count, dtype=torch.int64, device=device)
    model.eval()
    with torch.no_grad():
        for start in range(0, data.eval_images.shape[0], batch):
            images = data.normalise(data.eval_images[start:start + batch])
            if channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            logits = _forward(model, images, device, amp)
            truth = data.eval_labels[start:start + batch].long().reshape(-1)
            prediction = logits.argmax(1).reshape(-1)
            valid = (truth < count) & (truth != data.ignore_index)
            counts += torch.bincount(truth[valid] * count + prediction[valid],
                                     minlength=count * count)
    model.train()
    matrix.counts += counts.view(count, count).cpu().numpy()
    return matrix


def usable_amp(model, amp, device, input_size, channels_last):
    """``amp``, or "off" when a forward and backward pass under it fails on this device (an
    op without a kernel for the type): a run lent for minutes is not lost to it. The probe
    runs in eval mode, so batch-norm statistics are untouched."""
    if amp == "off":
        return amp
    images = torch.zeros((2, 3) + tuple(input_size), device=device)
    if channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    model.eval()
    try:
        with _autocast(device, amp):
            logits = model(images)
        logits.float().sum().backward()
    except RuntimeError as error:
        logger.warning("{} autocast fails on {} ({}); training in FP32".format(
            amp, device, str(error).strip().splitlines()[0] if str(error).strip() else
            type(error).__name__))
        amp = "off"
    finally:
        model.zero_grad(set_to_none=True)
        model.train()
    return amp


def _set_schedule_step(optimizer, scheduler, step):
    scheduler.last_epoch = step
    scheduler._last_lr = []
    for group, base, factor in zip(optimizer.param_groups, scheduler.base_lrs,
                                   scheduler.lr_lambdas):
        group["lr"] = base * factor(step)
        scheduler._last_lr.append(group["lr"])


def _write_log(out_dir, name, config, history, status):
    payload = {"status": status, "config": config, "history": history}
    fileio.write_bytes_atomic(os.path.join(out_dir, name + ".log.json"),
                              json.dumps(payload, indent=1).encode(), what="log")


def split_frames(pack, holdout_sequences):
    """(training frame indices, held-out frame indices) of the pack."""
    holdout = set(holdout_sequences or ())
    sequences = {frame["sequence"] for frame in pack.frames}
    missing = sorted(holdout - sequences)
    if missing:
        raise DataError("sequence {} is not in the pack (it has {})".format(
            ", ".join(missing), ", ".join(sorted(sequences))))
    train = [i for i, frame in enumerate(pack.frames) if frame["sequence"] not in holdout]
    held = [i for i, frame in enumerate(pack.frames) if frame["sequence"] in holdout]
    if not train:
        raise DataError("no frame left to train on")
    return train, held


def train(config, started=None):
    """Train per ``config``; returns (the manifest of the last checkpoint, history). Stops
    before ``budget_seconds`` after ``started`` (default: now) with a checkpoint written."""
    started = time.time() if started is None else started
    log = logger.info  # the run's progress, one line per event
    device = resolve_device(config.device)
    if config.threads:
        torch.set_num_threads(config.threads)
    amp = config.amp
    if amp == "auto":
        amp = "bf16" if device.type == "cuda" else "off"
    if amp not in AMP_MODES:
        raise UsageError("amp must be one of {}".format(", ".join(AMP_MODES)))
    channels_last = (device.type == "cuda" if config.channels_last is None
                     else bool(config.channels_last))
    device_name = (torch.cuda.get_device_name(device) if device.type == "cuda"
                   else "CPU, {} threads".format(torch.get_num_threads()))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    name = config.name or "{}-{}x{}".format(config.arch, *config.input_size)
    state = load_checkpoint(config.resume) if config.resume else None
    if state is not None:  # before anything is written
        recipe.refuse_changes(state.get("config") or {}, loop_config(config), config.resume,
                              hint="leave it out of --in and --resume to start a new run")

    pack = camvid_pack.read(config.pack)
    if pack.manifest["class_count"] != config.class_count:
        raise DataError("the pack counts {} classes, the run {}".format(
            pack.manifest["class_count"], config.class_count))
    os.makedirs(config.out_dir, exist_ok=True)  # once the inputs are known to be good
    train_indices, held_indices = split_frames(pack, config.holdout_sequences)
    data = DeviceSet(pack, train_indices, held_indices, config.input_size, config.scale_range,
                     config.class_count, config.ignore_index, device,
                     zoom_out=config.zoom_out)
    weights = train_data.class_weights(
        _Histograms(pack, train_indices, config.class_count, config.ignore_index),
        config.weighting).to(device)
    eval_size = tuple(pack.manifest["eval_size"])
    del pack  # the decoded arrays: the device holds what training needs
    log("{} training frames at {}x{} (cropped from {}x{}), {} held out ({}) scored at {}x{}; "
        "device {}, amp {}, channels_last {}".format(
            len(train_indices), config.input_size[0], config.input_size[1],
            data.source_size[0], data.source_size[1], len(held_indices),
            ", ".join(config.holdout_sequences) or "none", eval_size[0], eval_size[1],
            device_name, amp, channels_last))

    torch.manual_seed(config.seed)
    model = torch_export.build_model(config.arch, config.class_count, config.width,
                                     config.kernel, seed=config.seed,
                                     dropout=config.dropout).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    amp = usable_amp(model, amp, device, config.input_size, channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay,
                                  fused=device.type == "cuda" or None)
    steps_per_epoch = max(1, len(data) // config.batch_size if len(data) > config.batch_size
                          else 1)
    epochs = config.epochs

    def make_scheduler(total_epochs):
        return torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(
            total_epochs * steps_per_epoch))

    scheduler = make_scheduler(epochs)
    scaler = torch.amp.GradScaler(device.type) if amp == "fp16" else None
    history, first_epoch = [], 0
    if state is not None:
        model.load_state_dict(state["model"])
        if state["optimizer"] is not None:
            optimizer.load_state_dict(state["optimizer"])
        else:
            log("resume: the checkpoint carries no optimizer moments; AdamW starts them afresh")
        history, first_epoch = state["history"], state["epoch"]
        _set_schedule_step(optimizer, scheduler, first_epoch * steps_per_epoch)
        log("resumed {} at epoch {}".format(config.resume, first_epoch))

    def current_config():
        return dict(loop_config(config, device_name), epochs=epochs, amp=amp,
                    channels_last=channels_last, held_out_size=list(eval_size))

    def save(epoch):
        return save_checkpoint(config.out_dir, name, model, optimizer, scheduler, epoch,
                               history, current_config(), config.weights_dtype,
                               config.part_bytes, config.optimizer_limit_bytes)

    steps, manifest, status = 0, None, "finished"
    save_seconds, epoch_seconds, timed = 5.0, None, []
    epoch = first_epoch
    while epoch < epochs:
        elapsed = time.time() - started
        if epoch_seconds is not None and elapsed + epoch_seconds + 2 * save_seconds > \
                config.budget_seconds:
            status = "stopped at the time budget"
            log("stopping before epoch {}: {:.0f} s of {:.0f} s used, an epoch takes "
                "{:.1f} s".format(epoch + 1, elapsed, config.budget_seconds, epoch_seconds))
            break
        epoch_start = time.time()
        draws = EpochDraws(len(data), config.seed, epoch, config.scale_range,
                           config.photometric)
        losses = []
        for step in range(steps_per_epoch):
            positions = range(step * config.batch_size,
                              min(len(data), (step + 1) * config.batch_size))
            images, labels = data.batch(draws, positions)
            if channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            # Masked by multiplication: boolean indexing would wait for the device each step.
            valid = labels != config.ignore_index
            weight_sum = (weights[torch.where(valid, labels, 0)] * valid).sum()
            optimizer.zero_grad(set_to_none=True)
            logits = _forward(model, images, device, amp)
            loss_sum = F.cross_entropy(logits.float(), labels, weight=weights,
                                       ignore_index=config.ignore_index, reduction="sum")
            loss = loss_sum / weight_sum.clamp_min(1e-12)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            scheduler.step()
            losses.append(loss.detach())
            steps += 1
            if config.max_steps and steps >= config.max_steps:
                break
        entry = {"epoch": epoch + 1, "loss": float(torch.stack(losses).mean()),
                 "lr": optimizer.param_groups[0]["lr"]}
        if data.eval_images is not None:
            matrix = evaluate(model, data, config.eval_batch, amp, device, channels_last)
            entry.update(val_miou=float(matrix.mean_iou()),
                         val_global=float(matrix.global_accuracy()),
                         val_class_average=float(matrix.class_average_accuracy()))
        seconds = time.time() - epoch_start
        entry["seconds"] = round(seconds, 2)
        history.append(entry)
        epoch += 1
        # The first epoch pays for cuDNN's kernel search: the estimate uses the later ones.
        if epoch - first_epoch > 1 or epochs - first_epoch == 1:
            timed.append(seconds)
        epoch_seconds = max(timed[-3:]) if timed else seconds
        log("epoch {}/{}: loss {:.4f}{} ({:.2f} s)".format(
            epoch, epochs, entry["loss"], ", held-out global {:.3f} class avg {:.3f} mIoU "
            "{:.3f}".format(entry["val_global"], entry["val_class_average"], entry["val_miou"])
            if "val_miou" in entry else "", seconds))
        if config.fit_budget and epoch - first_epoch == 2 and epoch < epochs:
            left = config.budget_seconds - (time.time() - started) - 3 * save_seconds
            fit = epoch + int(left / max(epoch_seconds * 1.05, 1e-6))
            if fit < epochs:
                # A finished cosine schedule over fewer epochs beats a cut one over more.
                log("the budget fits {} epochs, not {}: the schedule now ends there".format(
                    fit, epochs))
                epochs = max(fit, epoch + 1)
                scheduler = make_scheduler(epochs)
                _set_schedule_step(optimizer, scheduler, epoch * steps_per_epoch)
        _write_log(config.out_dir, name, current_config(), history, "running")
        if config.max_steps and steps >= config.max_steps:
            status = "stopped after max_steps"
            break
        if config.save_every and epoch % config.save_every == 0 and epoch < epochs:
            save_start = time.time()
            manifest = save(epoch)
            save_seconds = max(save_seconds, time.time() - save_start)
    if history and (manifest is None or not history[-1]["epoch"] == _manifest_epoch(manifest)):
        manifest = save(epoch)
    _write_log(config.out_dir, name, current_config(), history, status)
    log("{} after {} epochs in {:.0f} s".format(status, epoch, time.time() - started))
    return manifest, history


def _manifest_epoch(path):
    with open(path) as handle:
        return json.load(handle)["epoch"]


def find_manifests(folder):
    """(the pack manifest, a checkpoint manifest or None) in ``folder``: what train_gpu.sh is
    given. More than one of either is refused (which one to take is the caller's choice)."""
    if not os.path.isdir(folder):
        raise DataError("--in {}: no such folder".format(folder),
                        hint="give the folder that holds the pack (and a checkpoint)")
    packs, checkpoints = [], []
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        if not inputs.is_regular_file(path):  # a FIFO would be waited on forever
            continue
        try:
            with open(path) as handle:
                kind = json.load(handle).get("format")
        except (OSError, ValueError, AttributeError):
            continue
        if kind == camvid_pack.FORMAT:
            packs.append(path)
        elif kind == CHECKPOINT_FORMAT:
            checkpoints.append(path)
    if len(packs) != 1:
        raise DataError("{} holds {} CamVid pack manifests; give one with --pack".format(
            folder, len(packs)))
    if len(checkpoints) > 1:
        raise DataError("{} holds {} checkpoints; give one with --resume".format(
            folder, len(checkpoints)))
    return packs[0], (checkpoints[0] if checkpoints else None)
