"""The training loop: epochs of weighted cross-entropy with AdamW and a warm-up + cosine schedule,
validation mIoU after each, checkpoints written atomically, resumable, ONNX export at the end."""

import json
import os
import time

import numpy as np

from edge_segnet import fileio
from edge_segnet.errors import DataError
from edge_segnet.eval.metrics import ConfusionMatrix
from edge_segnet.models import metadata, torch_export, zoo
from edge_segnet.models.labels import camvid
from edge_segnet.models.torch_segnet import torch
from edge_segnet.train.data import SegmentationData, class_weights


class TrainConfig(object):
    def __init__(self, data, arch="segnet-basic", width=None, kernel=None, class_count=12,
                 ignore_index=11, input_size=(128, 256), epochs=30, batch_size=8, lr=2e-3,
                 weight_decay=1e-4, weighting="median", layout="camvid", seed=0, threads=None,
                 checkpoint="segnet.ckpt", export=None, max_steps=None, log=print):
        self.__dict__.update(locals())
        del self.__dict__["self"]

    def to_json(self):
        return {key: value for key, value in self.__dict__.items() if key != "log"}


def _save_checkpoint(path, state):
    with fileio.atomic_path(path, what="checkpoint") as temp_path:
        torch.save(state, temp_path)


def validation_miou(model, data, batch_size=8):
    model.eval()
    matrix = ConfusionMatrix(data.class_count, data.ignore_index)
    loader = torch.utils.data.DataLoader(data, batch_size=batch_size)
    with torch.no_grad():
        for images, labels in loader:
            matrix.update(labels.numpy(), model(images).argmax(1).numpy())
    return matrix


def _warmup_cosine(total_steps, warmup_fraction=0.05):
    """Learning-rate factor per step: linear warm-up, then cosine decay to 1% at the end.
    Recomputed from the step count, so a resumed run with more epochs stretches the tail."""
    warmup = max(1, int(total_steps * warmup_fraction))

    def factor(step):
        if step < warmup:
            return (step + 1) / float(warmup)
        progress = min(1.0, (step - warmup) / float(max(1, total_steps - warmup)))
        return float(0.01 + 0.99 * 0.5 * (1.0 + np.cos(np.pi * progress)))

    return factor


def train(config):
    """Train per ``config``; returns (model, history). Resumes from ``config.checkpoint`` when
    it exists."""
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    train_data = SegmentationData(config.data, "train", config.input_size, config.class_count,
                                  config.ignore_index, config.layout, augment=True,
                                  seed=config.seed)
    try:
        val_data = SegmentationData(config.data, "val", config.input_size, config.class_count,
                                    config.ignore_index, config.layout)
    except DataError:
        val_data = None
    model = torch_export.build_model(config.arch, config.class_count, config.width,
                                     config.kernel, seed=config.seed)
    model.train()
    weights = class_weights(train_data, config.weighting)
    loss_function = torch.nn.CrossEntropyLoss(weight=weights, ignore_index=config.ignore_index)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    loader = torch.utils.data.DataLoader(train_data, batch_size=config.batch_size, shuffle=True,
                                         drop_last=len(train_data) > config.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _warmup_cosine(
        config.epochs * max(1, len(loader))))
    history, first_epoch = [], 0
    if config.checkpoint and os.path.exists(config.checkpoint):
        state = torch.load(config.checkpoint, map_location="cpu")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history, first_epoch = state["history"], state["epoch"]
        config.log("resumed {} at epoch {}".format(config.checkpoint, first_epoch))
    steps = 0
    for epoch in range(first_epoch, config.epochs):
        model.train()
        start, losses = time.perf_counter(), []
        for images, labels in loader:
            optimizer.zero_grad()
            loss = loss_function(model(images), labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            steps += 1
            if config.max_steps and steps >= config.max_steps:
                break
        entry = {"epoch": epoch + 1, "loss": float(np.mean(losses)),
                 "seconds": round(time.perf_counter() - start, 1)}
        if val_data is not None:
            entry["val_miou"] = validation_miou(model, val_data, config.batch_size).mean_iou()
        history.append(entry)
        config.log("epoch {epoch}: loss {loss:.4f}{miou} ({seconds} s)".format(
            miou=", val mIoU {:.3f}".format(entry["val_miou"]) if "val_miou" in entry else "",
            **entry))
        if config.checkpoint:
            _save_checkpoint(config.checkpoint, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epoch + 1, "history": history,
                "config": config.to_json()})
        if config.max_steps and steps >= config.max_steps:
            break
    model.eval()
    if config.export:
        info = metadata.ModelInfo(
            labels=camvid().with_count(config.class_count), input_size=config.input_size,
            architecture=config.arch,
            extra={"training": {"epochs": len(history), "history": history[-1:],
                                "config": {k: v for k, v in config.to_json().items()
                                           if k in ("width", "kernel", "input_size",
                                                    "weighting", "lr", "batch_size")}}})
        zoo.save(torch_export.export(model, "torchscript", config.input_size, info),
                 config.export)
        config.log("wrote {}".format(config.export))
    return model, history


def history_json(history):
    return json.dumps(history, indent=2)
