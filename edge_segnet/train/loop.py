"""The training loop: epochs of weighted cross-entropy with AdamW and a warm-up + cosine schedule,
validation mIoU after each, checkpoints written atomically, resumable, ONNX export at the end.

The same loop runs on the CPU or a CUDA GPU (``device``), in one process or as one rank of
``torchrun`` (DistributedDataParallel: gloo on the CPU, NCCL on CUDA). ``batch_size`` is per
process: the global batch is ``batch_size`` x world size, and an epoch has world-size times fewer
steps. Rank 0 alone writes checkpoints, logs and the export; validation is split over the ranks
and its confusion matrix summed.

SIGINT/SIGTERM stop the run after the current step; the last checkpoint (the last complete epoch)
stays as it was, so a stopped run loses at most the epoch it was in.
"""

import logging
import os
import signal
import threading
import time

import numpy as np

from edge_segnet import fileio, labelmaps
from edge_segnet.errors import DataError, UsageError
from edge_segnet.eval.metrics import ConfusionMatrix
from edge_segnet.models import metadata, torch_export, zoo
from edge_segnet.models.labels import camvid
from edge_segnet.models.torch_segnet import torch
from edge_segnet.train import recipe
from edge_segnet.train.data import SegmentationData, class_weights

F = torch.nn.functional
logger = logging.getLogger(__name__)


class TrainConfig(object):
    def __init__(self, data, arch="segnet-basic", width=None, kernel=None, class_count=12,
                 ignore_index=11, input_size=(128, 256), epochs=30, batch_size=8, lr=2e-3,
                 weight_decay=1e-4, weighting="median", layout="camvid", seed=0, threads=None,
                 checkpoint="segnet.ckpt", export=None, max_steps=None, device="cpu",
                 cache_dir=None, workers=0, channels_last=False, compile=False, sync_bn=False,
                 train_split="train", val_split="val", holdout_sequences=(), photometric=False,
                 dropout=0.0, zoom_out=False):
        # holdout_sequences: whole recording sequences taken out of train_split and scored
        # instead of val_split, so choices are made on frames of no training drive.
        self.__dict__.update(locals())
        del self.__dict__["self"]

    def to_json(self):
        fields = dict(self.__dict__)
        fields["label_resize"] = labelmaps.METHOD  # what the data pipeline did, for the card
        return fields


class TrainingInterrupted(Exception):
    """A signal stopped the run; ``epoch`` is the last complete (checkpointed) epoch."""

    def __init__(self, signum, epoch, checkpoint):
        self.signum, self.epoch, self.checkpoint = signum, epoch, checkpoint
        name = signal.Signals(signum).name
        if epoch == 0:  # a new run, stopped before its first checkpoint: nothing holds it
            message = "stopped by {} before the first epoch ended".format(name)
        else:
            message = "stopped by {} after epoch {}{}".format(
                name, epoch, "; {} holds it".format(checkpoint) if checkpoint else "")
        Exception.__init__(self, message)


_CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "epoch", "history")


def read_checkpoint(path, hint):
    """The state dict of a checkpoint this loop (or tools/train_gpu.py convert) wrote, or a
    DataError in one line (``hint``: what to do instead)."""
    state = torch_export.read_torch_file(path, "--checkpoint", hint)
    not_ours = "--checkpoint {} is not a checkpoint of this training loop".format(path)
    if not isinstance(state, dict) or not all(key in state for key in _CHECKPOINT_KEYS):
        raise DataError("{}: it holds no {}".format(not_ours, " / ".join(
            key for key in _CHECKPOINT_KEYS if not isinstance(state, dict) or key not in state)),
            hint=hint)
    return state


def check_paths(config):
    """Refuse, before the first epoch, what would lose data or fail only at the end of a long
    run: a checkpoint or export path inside the dataset, the two the same file, a folder, a
    FIFO or an unwritable folder in their place."""
    paths = [("--checkpoint", config.checkpoint), ("--export", config.export)]
    fileio.check_outputs_apart(paths, datasets=[("--data", config.data)])
    for (option, path), what in zip(paths, ("the checkpoint", "the ONNX export")):
        if path:
            fileio.check_writable_path(path, what=what)


def _save_checkpoint(path, state):
    with fileio.atomic_path(path, what="checkpoint") as temp_path:
        torch.save(state, temp_path)


class _StopOnSignal(object):
    """SIGINT/SIGTERM set a flag the loop reads between steps (so a checkpoint being written is
    finished, never cut); a second one raises KeyboardInterrupt at once (still safe: checkpoints
    are written atomically). Installs nothing outside the main thread."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.signum, self._previous = None, {}

    def _handle(self, signum, frame):
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


class _Processes(object):
    """torchrun's environment (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR/PORT) as a process
    group; a world of one without it."""

    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.backend, self._owned = None, False

    @property
    def active(self):
        return self.world > 1

    def start(self, device):
        if not self.active:
            return
        dist = torch.distributed
        self.backend = "nccl" if device.type == "cuda" else "gloo"
        if not dist.is_initialized():
            dist.init_process_group(self.backend)
            self._owned = True
        # NCCL reduces CUDA tensors only; gloo CPU ones.
        self.device = device if self.backend == "nccl" else torch.device("cpu")

    def sum(self, tensor):
        """``tensor`` summed over the ranks (itself in a world of one)."""
        if not self.active:
            return tensor
        reduced = tensor.to(self.device)
        torch.distributed.all_reduce(reduced)
        return reduced.to(tensor.device)

    def barrier(self):
        if self.active:
            torch.distributed.barrier()

    def close(self):
        if self._owned:
            torch.distributed.destroy_process_group()


def resolve_device(name, local_rank=0):
    """``cpu``, ``cuda`` (under torchrun: ``cuda:LOCAL_RANK``) or ``cuda:N``."""
    device = torch.device(name or "cpu")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError("--device {}: this PyTorch sees no CUDA GPU".format(name),
                             hint="install a CUDA build of PyTorch, or use --device cpu")
        if device.index is None:
            device = torch.device("cuda", local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
    elif device.type != "cpu":
        raise UsageError("--device must be cpu, cuda or cuda:N; got {!r}".format(name))
    return device


class GlobalBatchNorm2d(torch.nn.BatchNorm2d):
    """BatchNorm2d with the statistics of the global batch (all ranks) while training, for any
    process-group backend: torch's SyncBatchNorm runs on GPUs only, and per-rank statistics make
    a DDP run differ from one process. Same parameters, buffers and state-dict names."""

    def forward(self, x):
        dist = torch.distributed
        if not (self.training and dist.is_available() and dist.is_initialized()
                and dist.get_world_size() > 1):
            return torch.nn.BatchNorm2d.forward(self, x)
        from torch.distributed.nn.functional import all_reduce  # differentiable collectives
        count = torch.tensor(float(x.numel() // x.shape[1]), dtype=torch.float64)
        dist.all_reduce(count)
        count = float(count)
        # Two passes (mean, then centred squares) rather than E[x^2] - E[x]^2: no cancellation.
        mean = all_reduce(x.sum((0, 2, 3))) / count
        centred = x - mean.view(1, -1, 1, 1)
        variance = all_reduce(centred.pow(2).sum((0, 2, 3))) / count
        with torch.no_grad():
            self.num_batches_tracked += 1
            momentum = (1.0 / float(self.num_batches_tracked) if self.momentum is None
                        else self.momentum)
            self.running_mean.mul_(1 - momentum).add_(mean.detach() * momentum)
            self.running_var.mul_(1 - momentum).add_(
                variance.detach() * (momentum * count / max(1.0, count - 1)))
        scale = torch.rsqrt(variance + self.eps) * self.weight
        return centred * scale.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


def synchronise_batchnorm(model, device):
    """Every BatchNorm2d of ``model`` computing global-batch statistics under DDP."""
    if device.type == "cuda":
        return torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if type(child) is torch.nn.BatchNorm2d:
                replacement = GlobalBatchNorm2d(child.num_features, child.eps, child.momentum,
                                                child.affine, child.track_running_stats)
                replacement.load_state_dict(child.state_dict())
                setattr(module, name, replacement.to(child.weight.device))
    return model


def validation_miou(model, data, batch_size=8, device="cpu", processes=None,
                    channels_last=False):
    """The confusion matrix of ``model`` on ``data``; under DDP each rank takes every
    world-th sample and the counts are summed, so every rank returns the whole matrix."""
    model.eval()
    device = torch.device(device)
    matrix = ConfusionMatrix(data.class_count, data.ignore_index)
    if processes is not None and processes.active:
        data = torch.utils.data.Subset(data, range(processes.rank, len(data), processes.world))
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size,
                                         pin_memory=device.type == "cuda")
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    with torch.no_grad():
        for images, labels in loader:
            images = images.to(device, non_blocking=True).contiguous(memory_format=memory_format)
            matrix.update(labels.numpy(), model(images).argmax(1).cpu().numpy())
    if processes is not None and processes.active:
        matrix.counts = processes.sum(torch.from_numpy(matrix.counts)).numpy()
    return matrix


def warmup_cosine(total_steps, warmup_fraction=0.05):
    """Learning-rate factor per step: linear warm-up, then cosine decay to 1% at the end.
    Recomputed from the step count, so a resumed run with more epochs stretches the tail."""
    warmup = max(1, int(total_steps * warmup_fraction))

    def factor(step):
        if step < warmup:
            return (step + 1) / float(warmup)
        progress = min(1.0, (step - warmup) / float(max(1, total_steps - warmup)))
        return float(0.01 + 0.99 * 0.5 * (1.0 + np.cos(np.pi * progress)))

    return factor


class Session(object):
    """One process's share of a training run: data, model (moved, converted, wrapped),
    optimizer, schedule and loss. ``step`` is one optimisation step; tools/bench_train.py
    times it as the loop runs it."""

    def __init__(self, config, processes=None, train_data=None):
        self.config = config
        self.processes = processes or _Processes()
        self.device = resolve_device(config.device, self.processes.local_rank)
        self.processes.start(self.device)
        if config.threads:
            torch.set_num_threads(config.threads)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # one input size: pick the fastest kernels once
        torch.manual_seed(config.seed)
        # Rank 0 builds a missing cache while the others wait, then they open it.
        if self.processes.rank != 0:
            self.processes.barrier()
        holdout = tuple(config.holdout_sequences or ())
        self.train_data = train_data or self._data(
            config.train_split, augment=True, sequences=("-", holdout) if holdout else None)
        try:
            if holdout:
                self.val_data = self._data(config.train_split, augment=False,
                                           sequences=("+", holdout))
            else:
                self.val_data = self._data(config.val_split, augment=False)
        except DataError:
            if holdout:
                raise
            self.val_data = None
        if self.processes.rank == 0:
            self.processes.barrier()
        self.memory_format = (torch.channels_last if config.channels_last
                              else torch.contiguous_format)
        model = torch_export.build_model(config.arch, config.class_count, config.width,
                                         config.kernel, seed=config.seed,
                                         dropout=config.dropout).to(self.device)
        if config.sync_bn and self.processes.active:
            model = synchronise_batchnorm(model, self.device)
        self.model = model.to(memory_format=self.memory_format)
        self.model.train()
        self.weights = class_weights(self.train_data, config.weighting).to(self.device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=config.lr,
                                           weight_decay=config.weight_decay)
        self.sampler = torch.utils.data.DistributedSampler(
            self.train_data, num_replicas=self.processes.world, rank=self.processes.rank,
            shuffle=True, seed=config.seed)
        self.loader = torch.utils.data.DataLoader(
            self.train_data, batch_size=config.batch_size, sampler=self.sampler,
            drop_last=len(self.sampler) > config.batch_size, num_workers=config.workers or 0,
            pin_memory=self.device.type == "cuda")
        self.steps_per_epoch = max(1, len(self.loader))
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, warmup_cosine(
            config.epochs * self.steps_per_epoch))
        net = self.model
        if self.processes.active:
            net = torch.nn.parallel.DistributedDataParallel(
                net, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.net = torch.compile(net) if config.compile else net

    def _data(self, split, augment, sequences=None):
        config = self.config
        return SegmentationData(config.data, split, config.input_size, config.class_count,
                                config.ignore_index, config.layout, augment=augment,
                                seed=config.seed, cache_dir=config.cache_dir,
                                sequences=sequences,
                                photometric=augment and config.photometric,
                                zoom_out=augment and config.zoom_out)

    def log(self, message):
        if self.processes.rank == 0:  # one line per run, not one per process
            logger.info(message)

    def set_epoch(self, epoch):
        self.train_data.set_epoch(epoch)
        self.sampler.set_epoch(epoch)
        self.net.train()

    def step(self, images, labels):
        """One step; returns (this rank's sum of weighted pixel losses, the weight sum of all
        ranks' pixels) as a 2-element float64 CPU tensor."""
        images = images.to(self.device, non_blocking=True).contiguous(
            memory_format=self.memory_format)
        labels = labels.to(self.device, non_blocking=True)
        ignore = self.config.ignore_index
        # The loss is the weighted mean over the pixels of the global batch: DDP averages
        # gradients over ranks, so each rank divides its sum by the global weight sum and
        # multiplies by the world size. A per-rank mean would weigh ranks, not pixels.
        weight_sum = self.weights[labels[labels != ignore]].sum().detach()
        weight_sum = self.processes.sum(weight_sum.reshape(1))[0]
        self.optimizer.zero_grad(set_to_none=True)
        loss_sum = F.cross_entropy(self.net(images), labels, weight=self.weights,
                                   ignore_index=ignore, reduction="sum")
        (loss_sum * (self.processes.world / weight_sum.clamp_min(1e-12))).backward()
        self.optimizer.step()
        self.scheduler.step()
        return torch.stack([loss_sum.detach(), weight_sum]).double().cpu()

    def resume(self, path, state):
        """Continue from ``state``, the checkpoint at ``path`` (this format since the first
        release: model, optimizer, scheduler, epoch, history, config); returns (history,
        first epoch)."""
        saved = state.get("config") or {}
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        # Moment buffers in the parameters' own layout (channels_last or not): mixed layouts
        # work but take slower kernels.
        for group in self.optimizer.param_groups:
            for parameter in group["params"]:
                for key, value in list(self.optimizer.state.get(parameter, {}).items()):
                    if torch.is_tensor(value) and value.shape == parameter.shape:
                        self.optimizer.state[parameter][key] = torch.empty_like(
                            parameter).copy_(value)
        self.scheduler.load_state_dict(state["scheduler"])
        history, first_epoch = state["history"], state["epoch"]
        if (saved.get("batch_size"), saved.get("world_size", 1)) != (
                self.config.batch_size, self.processes.world):
            # Another batch size or world size: other steps per epoch. The schedule is in
            # steps, so put it where this run's step count at that epoch would be.
            self._set_schedule_step(first_epoch * self.steps_per_epoch)
            self.log("batches per epoch changed: learning-rate schedule set to step {}".format(
                first_epoch * self.steps_per_epoch))
        self.log("resumed {} at epoch {}".format(path, first_epoch))
        return history, first_epoch

    def _set_schedule_step(self, step):
        scheduler = self.scheduler
        scheduler.last_epoch = step
        scheduler._last_lr = []
        for group, base, factor in zip(self.optimizer.param_groups, scheduler.base_lrs,
                                       scheduler.lr_lambdas):
            group["lr"] = base * factor(step)
            scheduler._last_lr.append(group["lr"])

    def checkpoint_state(self, epoch, history):
        return {"model": {name: tensor.detach().cpu() for name, tensor in
                          self.model.state_dict().items()},
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "epoch": epoch, "history": history,
                "config": dict(self.config.to_json(), world_size=self.processes.world)}

    def plain_model(self):
        """The trained weights in a fresh CPU SegNet (no DDP, SyncBatchNorm, compile or
        channels_last): what is exported and returned."""
        model = torch_export.build_model(self.config.arch, self.config.class_count,
                                         self.config.width, self.config.kernel)
        model.load_state_dict({name: tensor.detach().cpu().contiguous() for name, tensor in
                               self.model.state_dict().items()})
        return model.eval()

    def agree_to_stop(self, stopper):
        """Whether any rank was signalled: all ranks stop at the same step, or the others
        would wait for it in the next all-reduce."""
        flag = torch.tensor([1.0 if stopper.signum is not None else 0.0])
        if self.processes.active:
            flag = self.processes.sum(flag)
            if flag.item() > 0 and stopper.signum is None:
                stopper.signum = signal.SIGTERM
        return flag.item() > 0


def train(config):
    """Train per ``config``; returns (model, history). Resumes from ``config.checkpoint`` when
    it exists. Under torchrun, every rank calls it. Raises TrainingInterrupted on SIGINT/SIGTERM
    (the checkpoint then holds the last complete epoch)."""
    processes = _Processes()
    try:
        with _StopOnSignal() as stopper:
            return _train(config, processes, stopper)
    finally:
        processes.close()


def _train(config, processes, stopper):
    check_paths(config)
    resumed = None
    if config.checkpoint and os.path.exists(config.checkpoint):
        # Read and checked before the data are: a wrong file or recipe is refused at once.
        resumed = read_checkpoint(config.checkpoint, hint="give another --checkpoint path to "
                                  "start a new run, or the file a run wrote")
        recipe.refuse_changes(resumed.get("config") or {}, config.to_json(), config.checkpoint,
                              hint="give another --checkpoint to start a new run")
    session = Session(config, processes)
    log = session.log
    if processes.active:
        log("distributed: {} processes ({}), global batch {} = {} x {}".format(
            processes.world, processes.backend, config.batch_size * processes.world,
            config.batch_size, processes.world))
    history, first_epoch = [], 0
    if resumed is not None:
        history, first_epoch = session.resume(config.checkpoint, resumed)
        del resumed  # the model and optimizer hold their copies now
    steps, epoch_done = 0, first_epoch
    for epoch in range(first_epoch, config.epochs):
        if session.agree_to_stop(stopper):
            raise TrainingInterrupted(stopper.signum, epoch_done, config.checkpoint)
        session.set_epoch(epoch)
        start, losses, images_seen = time.perf_counter(), [], 0
        for images, labels in session.loader:
            loss_sum, weight_sum = session.step(images, labels).tolist()
            images_seen += images.shape[0] * processes.world
            # One all-reduce for the logged loss and the stop flag: every rank stops at the
            # same step, or the others would wait for it in the next gradient all-reduce.
            loss_sum, stop = processes.sum(torch.tensor(
                [loss_sum, 1.0 if stopper.signum is not None else 0.0],
                dtype=torch.float64)).tolist()
            losses.append(loss_sum / max(weight_sum, 1e-12))
            steps += 1
            if stop:
                stopper.signum = stopper.signum or signal.SIGTERM
                raise TrainingInterrupted(stopper.signum, epoch_done, config.checkpoint)
            if config.max_steps and steps >= config.max_steps:
                break
        seconds = time.perf_counter() - start
        entry = {"epoch": epoch + 1, "loss": float(np.mean(losses)),
                 "seconds": round(seconds, 1)}
        if session.val_data is not None:
            matrix = validation_miou(
                session.model, session.val_data, config.batch_size, session.device, processes,
                config.channels_last)
            entry.update(val_miou=float(matrix.mean_iou()),
                         val_global=float(matrix.global_accuracy()),
                         val_class_average=float(matrix.class_average_accuracy()))
        history.append(entry)
        log("epoch {epoch}: loss {loss:.4f}{scores} ({seconds} s, {rate:.2f} images/s)".format(
            scores=", {} global {:.3f} class avg {:.3f} mIoU {:.3f}".format(
                "held-out" if config.holdout_sequences else "val", entry["val_global"],
                entry["val_class_average"], entry["val_miou"]) if "val_miou" in entry else "",
            rate=images_seen / max(seconds, 1e-9), **entry))
        if config.checkpoint and processes.rank == 0:
            _save_checkpoint(config.checkpoint, session.checkpoint_state(epoch + 1, history))
        epoch_done = epoch + 1
        if config.max_steps and steps >= config.max_steps:
            break
    model = session.plain_model()
    if config.export and processes.rank == 0:
        info = metadata.ModelInfo(
            labels=camvid().with_count(config.class_count), input_size=config.input_size,
            architecture=config.arch,
            extra={"training": {"epochs": len(history), "history": history[-1:],
                                "config": {k: v for k, v in config.to_json().items()
                                           if k in ("width", "kernel", "input_size",
                                                    "weighting", "lr", "batch_size",
                                                    "train_split", "holdout_sequences",
                                                    "photometric")}}})
        zoo.save(torch_export.export(model, "torchscript", config.input_size, info),
                 config.export)
        log("wrote {}".format(config.export))
    return model, history
