"""The checkpoint format of the first training loop (edge_segnet/train/loop.py at commit 0bd2ad7,
which wrote the CamVid runs started before the DDP/cache work), frozen here: its ``train()``
up to the checkpoint write, and its resume. Tests write checkpoints with it at test time and
resume them with today's loop, and read today's checkpoints with it. The data come from today's
SegmentationData: which crops an epoch draws is no part of the format."""

import numpy as np

from edge_segnet.models import torch_export
from edge_segnet.models.torch_segnet import torch
from edge_segnet.train.data import SegmentationData, class_weights


def _warmup_cosine(total_steps, warmup_fraction=0.05):
    warmup = max(1, int(total_steps * warmup_fraction))

    def factor(step):
        if step < warmup:
            return (step + 1) / float(warmup)
        progress = min(1.0, (step - warmup) / float(max(1, total_steps - warmup)))
        return float(0.01 + 0.99 * 0.5 * (1.0 + np.cos(np.pi * progress)))

    return factor


def _objects(data, width, kernel, input_size, epochs, batch_size, lr, seed, weighting):
    torch.manual_seed(seed)
    train_data = SegmentationData(data, "train", input_size, 12, 11, "camvid", augment=True,
                                  seed=seed)
    model = torch_export.build_model("segnet-basic", 12, width, kernel, seed=seed)
    model.train()
    weights = class_weights(train_data, weighting)
    loss_function = torch.nn.CrossEntropyLoss(weight=weights, ignore_index=11)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    loader = torch.utils.data.DataLoader(train_data, batch_size=batch_size, shuffle=True,
                                         drop_last=len(train_data) > batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _warmup_cosine(
        epochs * max(1, len(loader))))
    return model, loss_function, optimizer, loader, scheduler


def write_checkpoint(path, data, epochs_run, epochs, width=4, kernel=3, input_size=(48, 64),
                     batch_size=2, lr=2e-3, seed=0, weighting="median"):
    """What the first loop saved after ``epochs_run`` of ``epochs`` planned epochs."""
    model, loss_function, optimizer, loader, scheduler = _objects(
        data, width, kernel, input_size, epochs, batch_size, lr, seed, weighting)
    history = []
    for epoch in range(epochs_run):
        model.train()
        losses = []
        for images, labels in loader:
            optimizer.zero_grad()
            loss = loss_function(model(images), labels)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)), "seconds": 0.1,
                        "val_miou": 0.1})
    config = {"data": data, "arch": "segnet-basic", "width": width, "kernel": kernel,
              "class_count": 12, "ignore_index": 11, "input_size": tuple(input_size),
              "epochs": epochs, "batch_size": batch_size, "lr": lr, "weight_decay": 1e-4,
              "weighting": weighting, "layout": "camvid", "seed": seed, "threads": None,
              "checkpoint": path, "export": None, "max_steps": None}
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epochs_run, "history": history,
                "config": config}, path)
    return len(loader)


def resume(path, data, epochs, width=4, kernel=3, input_size=(48, 64), batch_size=2, lr=2e-3,
           seed=0, weighting="median"):
    """The first loop's resume of ``path``: (model, optimizer, scheduler, history, epoch)."""
    model, _, optimizer, _, scheduler = _objects(data, width, kernel, input_size, epochs,
                                                 batch_size, lr, seed, weighting)
    state = torch.load(path, map_location="cpu")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    return model, optimizer, scheduler, state["history"], state["epoch"]
