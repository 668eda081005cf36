"""The GPU kit end to end on the CPU: CamVid packed into parts that travel, training from the
pack with on-device augmentation, checkpoints in parts that resume and convert to loop.py's
format, which tools/ship_camvid_model.py reads."""

import glob
import json
import os
import time

import numpy as np
import pytest

from tests import tool_scripts

torch = pytest.importorskip("torch", reason="PyTorch is not installed (the train extra)")
import cv2  # noqa: E402

from edge_segnet import labelmaps  # noqa: E402
from edge_segnet.data import camvid, datasets  # noqa: E402
from edge_segnet.errors import DataError, UsageError  # noqa: E402
from edge_segnet.models import torch_export  # noqa: E402
from edge_segnet.train import camvid_pack, gpu_kit  # noqa: E402
from edge_segnet.train import data as train_data  # noqa: E402
from edge_segnet.train.loop import TrainConfig, train as loop_train  # noqa: E402

SOURCE = (60, 80)  # frames larger than the input, as CamVid's are
INPUT = (32, 64)
PACKED = (40, 80)  # the input times the largest scale, 1.25


@pytest.fixture(scope="module")
def drives(tmp_path_factory):
    """24 train frames in three drives (seq0000..seq0002), 8 val (names shared with train's:
    the pack must keep both), 8 test."""
    root = str(tmp_path_factory.mktemp("gpu-kit") / "camvid")
    camvid.make_synthetic(root, 40, size=SOURCE, seed=11)
    return root


@pytest.fixture(scope="module")
def packed(drives, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("gpu-kit-pack"))
    manifest = camvid_pack.pack(drives, out, PACKED, INPUT, part_bytes=40 * 1024)
    return manifest


def _run(manifest_dir_or_pack, out, *extra):
    args = ["train", "--out", out, "--device", "cpu", "--threads", "1", "--width", "4",
            "--kernel", "3", "--input-size", "{}x{}".format(*INPUT), "--batch-size", "4",
            "--holdout-sequence", "seq0002", "--part-mb", "0.01"]
    if os.path.isdir(manifest_dir_or_pack):
        args += ["--in", manifest_dir_or_pack]
    else:
        args += ["--pack", manifest_dir_or_pack]
    return tool_scripts.load("train_gpu").main(args + list(extra))


def test_the_pack_holds_train_and_val_resized_like_the_cpu_cache_in_small_parts(drives,
                                                                                 packed):
    manifest = json.load(open(packed))
    assert len(manifest["parts"]) > 1
    for part in manifest["parts"]:
        path = os.path.join(os.path.dirname(packed), part["file"])
        assert os.path.getsize(path) == part["bytes"] <= 40 * 1024
    pack = camvid_pack.read(packed)
    splits = [frame["split"] for frame in pack.frames]
    assert splits.count("train") == 24 and splits.count("val") == 8 and "test" not in splits
    assert pack.images["train"].shape == (32,) + PACKED + (3,)
    assert pack.labels["eval"].shape == (32,) + INPUT
    samples = sorted(datasets.list_samples(drives, "train") + datasets.list_samples(drives,
                                                                                    "val"),
                     key=lambda sample: sample.name)
    for index in (0, 5, 31):
        frame, sample = pack.frames[index], samples[index]
        labels = datasets.read_labels(sample.label_path)
        image = datasets.read_image(sample.image_path)
        assert frame["name"] == sample.name and frame["sequence"] == sample.name[:7]
        # Labels exactly as the CPU cache resizes them; images as it does, through JPEG q95.
        assert np.array_equal(pack.labels["train"][index], labelmaps.resize_labels(labels,
                                                                                   *PACKED))
        assert np.array_equal(pack.labels["eval"][index], labelmaps.resize_labels(labels,
                                                                                  *INPUT))
        expected = cv2.resize(image, PACKED[::-1], interpolation=cv2.INTER_LINEAR)
        jpeg = cv2.imdecode(cv2.imencode(".jpg", expected, [cv2.IMWRITE_JPEG_QUALITY, 95])[1],
                            cv2.IMREAD_COLOR)
        assert np.array_equal(pack.images["train"][index], jpeg)
        assert pack.histogram(index, 12, 11)[0].tolist() == [
            int((labels == c).sum()) if c != 11 else 0 for c in range(12)]


def test_the_test_split_is_never_packed_and_a_damaged_part_is_refused(drives, packed,
                                                                      tmp_path):
    with pytest.raises(UsageError):
        camvid_pack.pack(drives, str(tmp_path / "x"), PACKED, INPUT, splits="train+test")
    out = str(tmp_path / "copy")
    os.makedirs(out)
    for path in glob.glob(os.path.join(os.path.dirname(packed), "*")):
        with open(path, "rb") as source, open(os.path.join(out, os.path.basename(path)),
                                              "wb") as target:
            target.write(source.read())
    part = sorted(glob.glob(os.path.join(out, "*.tar")))[1]
    with open(part, "r+b") as handle:
        handle.seek(600)
        byte = handle.read(1)
        handle.seek(600)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(DataError, match="sha256"):
        camvid_pack.read(os.path.join(out, os.path.basename(packed)))


def test_packing_refuses_bad_places_and_qualities_and_leaves_nothing_when_it_fails(
        drives, tmp_path, monkeypatch):
    before = sorted(os.listdir(drives))
    with pytest.raises(UsageError, match="the pack folder .* is inside the dataset"):
        camvid_pack.pack(drives, os.path.join(drives, "pack"), PACKED, INPUT)
    (tmp_path / "a-file").write_bytes(b"x")
    with pytest.raises(UsageError, match="the pack folder .*a-file is a file; give a folder"):
        camvid_pack.pack(drives, str(tmp_path / "a-file"), PACKED, INPUT)
    for quality in (0, 101):
        with pytest.raises(UsageError, match="JPEG quality must be 1 to 100"):
            camvid_pack.pack(drives, str(tmp_path / "q"), PACKED, INPUT, quality=quality)
    assert sorted(os.listdir(drives)) == before
    # A frame that fails after parts were written: neither they nor the new folder stay.
    real, calls = camvid_pack._frame_members, []

    def fails_at_the_20th_frame(*args):
        calls.append(1)
        if len(calls) == 20:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(camvid_pack, "_frame_members", fails_at_the_20th_frame)
    with pytest.raises(KeyboardInterrupt):
        camvid_pack.pack(drives, str(tmp_path / "new"), PACKED, INPUT, part_bytes=40 * 1024)
    assert not (tmp_path / "new").exists()
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "mine.txt").write_bytes(b"x")
    calls[:] = []
    with pytest.raises(KeyboardInterrupt):
        camvid_pack.pack(drives, str(tmp_path / "kept"), PACKED, INPUT, part_bytes=40 * 1024)
    assert os.listdir(str(tmp_path / "kept")) == ["mine.txt"]


def test_fifos_are_never_opened_as_manifests_or_parts(packed, tmp_path, fifo):
    with pytest.raises(DataError, match="pack manifest .* is not a regular file: it is a FIFO"):
        camvid_pack.read(fifo(str(tmp_path / "p.json")))
    with pytest.raises(DataError, match="checkpoint manifest .* is not a regular file"):
        gpu_kit.load_checkpoint(str(tmp_path / "p.json"))
    # --in: a FIFO among the folder's JSON files is passed over, not waited on.
    folder = tmp_path / "in"
    folder.mkdir()
    for path in glob.glob(os.path.join(os.path.dirname(packed), "*")):
        os.link(path, str(folder / os.path.basename(path)))
    fifo(str(folder / "z.json"))
    assert gpu_kit.find_manifests(str(folder)) == (
        str(folder / os.path.basename(packed)), None)
    with pytest.raises(DataError, match="--in .*gone: no such folder"):
        gpu_kit.find_manifests(str(tmp_path / "gone"))


def test_a_failed_start_writes_no_output_folder(tmp_path, capsys):
    (tmp_path / "bad.json").write_bytes(b"{")
    assert _run(str(tmp_path / "bad.json"), str(tmp_path / "out")) == 1
    assert "cannot read pack manifest" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("source,target", [((40, 80), (32, 64)), ((40, 80), (37, 75)),
                                           ((32, 64), (40, 80)), ((360, 480), (128, 256))])
def test_device_label_resizing_is_labelmaps_centre_aligned_nearest(source, target):
    labels = np.random.default_rng(0).integers(0, 12, source).astype(np.uint8)
    resized = gpu_kit.resize_labels(torch.from_numpy(labels), *target).numpy()
    assert np.array_equal(resized, labelmaps.resize_labels(labels, *target))


def _blocks():
    """An image whose grey level names the class of each 8x8 block, and the labels."""
    rng = np.random.default_rng(4)
    classes = rng.integers(0, 11, (5, 10))
    labels = np.kron(classes, np.ones((8, 8), np.int64)).astype(np.uint8)
    image = np.repeat((labels * 20 + 10)[..., None], 3, axis=2).astype(np.uint8)
    return image, labels


def test_device_augmentation_is_the_cpu_scale_crop_and_flip():
    """Each frame scaled, cropped and flipped as data.SegmentationData._augment does with the
    same draws: labels identical (centre-aligned), images within OpenCV's rounding."""
    image, labels = _blocks()  # 40x80: the packed size for a 32x64 input
    image = image + np.random.default_rng(1).integers(0, 8, image.shape).astype(np.uint8)
    pack = camvid_pack.Pack({}, {"train": image[None], "eval": image[None, :32, :64]},
                            {"train": labels[None], "eval": labels[None, :32, :64]})
    data = gpu_kit.DeviceSet(pack, [0], [], INPUT, (0.75, 1.25), 12, 11, torch.device("cpu"))
    mean, std = data.mean.view(1, 3, 1, 1), data.std.view(1, 3, 1, 1)
    height, width = INPUT
    scales = set()
    for epoch in range(12):
        draws = gpu_kit.EpochDraws(1, 0, epoch, (0.75, 1.25), photometric=False)
        images, batch_labels = data.batch(draws, range(1))
        scale = float(draws.scale[0])
        scaled_h, scaled_w = max(height, round(height * scale)), max(width, round(width * scale))
        top = int(draws.top[0] * (scaled_h - height + 1))
        left = int(draws.left[0] * (scaled_w - width + 1))
        expected_labels = labelmaps.resize_labels(labels, scaled_h, scaled_w)[
            top:top + height, left:left + width]
        expected = cv2.resize(image, (scaled_w, scaled_h), interpolation=cv2.INTER_LINEAR)[
            top:top + height, left:left + width, ::-1]
        if bool(draws.flip[0]):
            expected_labels, expected = expected_labels[:, ::-1], expected[:, ::-1]
        assert np.array_equal(batch_labels[0].numpy(), expected_labels)
        rgb = (images * std + mean)[0].numpy().transpose(1, 2, 0)
        assert np.abs(rgb - expected).max() <= 1.01
        scales.add((scaled_h, scaled_w))
    assert len(scales) > 4



def test_device_zoom_out_is_the_cpu_zoom_out():
    """Scales below 1 with zoom_out: the whole frame shrunk onto a canvas of the input size as
    data.SegmentationData does, void and the mean around it; labels identical, images within
    OpenCV's rounding. Without zoom_out the same draws are the whole frame."""
    image, labels = _blocks()
    image, labels = image[:32, :64], labels[:32, :64]  # the source size for scales up to 0.9
    pack = camvid_pack.Pack({}, {"train": image[None], "eval": image[None]},
                            {"train": labels[None], "eval": labels[None]})
    zoomed, whole = (gpu_kit.DeviceSet(pack, [0], [], INPUT, (0.5, 0.9), 12, 11,
                                       torch.device("cpu"), zoom_out=zoom_out)
                     for zoom_out in (True, False))
    mean = np.rint(np.array(train_data.metadata.DEFAULT_MEAN) * 255.0)
    height, width = INPUT
    for epoch in range(8):
        draws = gpu_kit.EpochDraws(1, 0, epoch, (0.5, 0.9), photometric=False)
        images, batch_labels = zoomed.batch(draws, range(1))
        scale = float(draws.scale[0])
        scaled_h, scaled_w = round(height * scale), round(width * scale)
        top = int(draws.top[0] * (height - scaled_h + 1))
        left = int(draws.left[0] * (width - scaled_w + 1))
        expected_labels = np.full(INPUT, 11, np.uint8)
        expected_labels[top:top + scaled_h, left:left + scaled_w] = labelmaps.resize_labels(
            labels, scaled_h, scaled_w)
        expected = np.zeros(INPUT + (3,)) + mean
        expected[top:top + scaled_h, left:left + scaled_w] = cv2.resize(
            image, (scaled_w, scaled_h), interpolation=cv2.INTER_LINEAR)[..., ::-1]
        unzoomed = labels
        if bool(draws.flip[0]):
            expected_labels, expected = expected_labels[:, ::-1], expected[:, ::-1]
            unzoomed = labels[:, ::-1]
        assert np.array_equal(batch_labels[0].numpy(), expected_labels)
        std, shift = zoomed.std.view(1, 3, 1, 1), zoomed.mean.view(1, 3, 1, 1)
        rgb = (images * std + shift)[0].numpy().transpose(1, 2, 0)
        assert np.abs(rgb - expected).max() <= 1.01
        assert np.array_equal(whole.batch(draws, range(1))[1][0].numpy(), unzoomed)

def test_device_photometric_jitter_matches_the_cpu_jitter():
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (24, 32, 3)).astype(np.uint8)
    for seed in range(4):
        cpu = train_data.photometric_jitter(cv2, image, np.random.default_rng(seed))
        again = np.random.default_rng(seed)  # the draws photometric_jitter made, in its order
        gamma = float(np.exp(again.uniform(np.log(0.7), np.log(1.4))))
        values = [gamma, again.uniform(0.75, 1.25), again.uniform(-0.08, 0.08),
                  again.uniform(0.7, 1.3), int(again.integers(-6, 7))]
        rgb = torch.from_numpy(image[..., ::-1].transpose(2, 0, 1).copy()).float()[None]
        device = gpu_kit.photometric_jitter(rgb, *(torch.tensor([float(v)]) for v in values))
        device_bgr = device[0].numpy().transpose(1, 2, 0)[..., ::-1]
        difference = np.abs(device_bgr - cpu.astype(np.float64))
        # OpenCV's 8-bit HSV rounds hue to 2 degrees and saturation to 1/255.
        assert difference.mean() < 1.5 and np.percentile(difference, 99) < 8


def test_train_from_the_pack_resume_and_convert_for_shipping(drives, packed, tmp_path):
    out = str(tmp_path / "out")
    assert _run(packed, out, "--epochs", "3", "--max-steps", "14", "--dropout", "0.5") == 0
    files = os.listdir(out)
    # What comes back from the GPU machine: few files, each under the part limit.
    assert len(files) <= 8
    assert all(os.path.getsize(os.path.join(out, name)) <= 0.01 * 2 ** 20 for name in files
               if ".pt." in name)
    log = json.load(open(os.path.join(out, "segnet-basic-32x64.log.json")))
    # 28 frames (seq0002's 4 held out), 7 steps of 4 per epoch: 14 steps are 2 epochs.
    assert [entry["epoch"] for entry in log["history"]] == [1, 2]
    assert {"loss", "val_global", "val_class_average", "val_miou"} <= set(log["history"][0])
    assert log["config"]["holdout_sequences"] == ["seq0002"]
    assert log["config"]["dropout"] == 0.5
    manifest = os.path.join(out, "segnet-basic-32x64.ckpt.json")
    first = gpu_kit.load_checkpoint(manifest)
    assert first["epoch"] == 2 and first["weights_dtype"] == "float32"
    assert first["optimizer"] is not None

    # Resume: the checkpoint beside the pack in the folder given back in.
    again = str(tmp_path / "in")
    os.makedirs(again)
    for path in glob.glob(os.path.join(os.path.dirname(packed), "*")) + glob.glob(
            os.path.join(out, "*.ckpt.json")) + glob.glob(os.path.join(out, "*.pt.*")):
        os.link(path, os.path.join(again, os.path.basename(path)))
    out2 = str(tmp_path / "out2")
    assert _run(again, out2, "--epochs", "3", "--dropout", "0.5") == 0
    resumed = gpu_kit.load_checkpoint(os.path.join(out2, "segnet-basic-32x64.ckpt.json"))
    assert resumed["epoch"] == 3 and resumed["history"][:2] == first["history"]
    assert resumed["scheduler"]["last_epoch"] == 3 * 7
    assert not torch.equal(resumed["model"]["enc1.conv.weight"], first["model"][
        "enc1.conv.weight"])

    # Converted: loop.py's format, read as tools/ship_camvid_model.py reads it.
    converted = str(tmp_path / "basic.ckpt")
    assert tool_scripts.load("train_gpu").main(["convert", os.path.join(
        out2, "segnet-basic-32x64.ckpt.json"), "-o", converted]) == 0
    state = torch.load(converted, map_location="cpu", weights_only=False)
    assert set(state) == {"model", "optimizer", "scheduler", "epoch", "history", "config"}
    config = state["config"]
    model = torch_export.build_model(config["arch"], config["class_count"],
                                     config.get("width"), config.get("kernel"))
    model.load_state_dict(state["model"])
    card = tool_scripts.load("ship_camvid_model").model_card(state, model.spec, "train_gpu.sh", {})
    assert card["epochs"] == 3 and len(card["val_miou_by_epoch"]) == 3
    assert list(card["recipe"]["input_size"]) == list(INPUT)
    assert (card["recipe"]["dropout"], card["recipe"]["weight_decay"]) == (0.5, 1e-4)

    # ... and the CPU loop resumes it with the same recipe (one more epoch on the raw
    # dataset) ...
    _, history = loop_train(TrainConfig(
        data=drives, width=4, kernel=3, input_size=INPUT, batch_size=4, threads=1, epochs=4,
        checkpoint=converted, train_split="train+val", holdout_sequences=("seq0002",),
        photometric=True, dropout=0.5))
    assert [entry["epoch"] for entry in history] == [1, 2, 3, 4]
    # ... but not with another: the kit's photometric jitter and dropout are its recipe.
    with pytest.raises(UsageError, match=r"--photometric, --dropout 0\.5; this run asks for no "
                                         r"--photometric, --dropout 0\.0 \(resume it with"):
        loop_train(TrainConfig(
            data=drives, width=4, kernel=3, input_size=INPUT, batch_size=4, threads=1,
            epochs=5, checkpoint=converted, train_split="train+val",
            holdout_sequences=("seq0002",)))


def test_the_kit_refuses_to_resume_a_checkpoint_with_another_recipe(packed, tmp_path):
    out = str(tmp_path / "out")
    assert _run(packed, out, "--epochs", "2", "--max-steps", "7") == 0
    manifest = os.path.join(out, "segnet-basic-32x64.ckpt.json")
    before = open(manifest).read()
    with pytest.raises(UsageError, match=r"was trained with --weighting median, --scale-range "
                                         r"0\.75,1\.25; this run asks for --weighting none, "
                                         r"--scale-range 0\.5,1\.5"):
        gpu_kit.train(gpu_kit.KitConfig(
            pack=packed, out_dir=str(tmp_path / "out2"), width=4, kernel=3, input_size=INPUT,
            batch_size=4, epochs=3, device="cpu", threads=1, weighting="none",
            scale_range=(0.5, 1.5), holdout_sequences=("seq0002",), resume=manifest,
            part_bytes=int(0.01 * 2 ** 20)))
    assert open(manifest).read() == before
    assert not os.path.exists(str(tmp_path / "out2"))


def test_a_model_over_a_part_is_kept_in_fp16_without_optimizer_moments(tmp_path):
    model = torch_export.build_model("segnet-basic", 12, 8, 3)
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.zeros(1, 3, 16, 16)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    fp32_bytes = sum(v.numel() * 4 for v in model.state_dict().values()
                     if v.is_floating_point())
    manifest = gpu_kit.save_checkpoint(
        str(tmp_path), "big", model, optimizer, scheduler, 7, [], {"arch": "segnet-basic",
                                                                    "class_count": 12,
                                                                    "width": 8, "kernel": 3,
                                                                    "lr": 1e-3,
                                                                    "weight_decay": 0.0},
        part_bytes=fp32_bytes // 3, optimizer_limit_bytes=fp32_bytes // 4)
    parts = json.load(open(manifest))["parts"]
    assert len(parts) >= 2 and all(part["bytes"] <= fp32_bytes // 3 for part in parts)
    state = gpu_kit.load_checkpoint(manifest)
    assert state["weights_dtype"] == "float16" and state["optimizer"] is None
    weight = model.state_dict()["enc1.conv.weight"]
    assert state["model"]["enc1.conv.weight"].dtype == torch.float32
    assert torch.allclose(state["model"]["enc1.conv.weight"], weight, rtol=1e-3, atol=1e-4)
    converted = gpu_kit.to_loop_checkpoint(manifest, str(tmp_path / "big.ckpt"))
    loaded = torch.load(converted, map_location="cpu", weights_only=False)
    assert loaded["optimizer"]["state"] == {} and loaded["epoch"] == 7


def test_the_run_stops_before_its_budget_with_a_checkpoint(packed, tmp_path, logged):
    out = str(tmp_path / "out")
    config = gpu_kit.KitConfig(pack=packed, out_dir=out, width=4, kernel=3, input_size=INPUT,
                               batch_size=4, epochs=50, device="cpu", threads=1,
                               holdout_sequences=("seq0002",), budget_seconds=1.0)
    manifest, history = gpu_kit.train(config, started=time.time())
    # One epoch (its time unknown before it ran), then no room for another.
    assert len(history) == 1 and gpu_kit.load_checkpoint(manifest)["epoch"] == 1
    assert json.load(open(os.path.join(out, "segnet-basic-32x64.log.json")))[
        "status"] == "stopped at the time budget"


def test_training_at_another_size_resizes_the_pack_and_scores_at_its_eval_size(
        packed, tmp_path, logged):
    """As VGG16-SegNet's run: trained at one size, scored at the deployment size the pack
    holds (here the pack's 40x80 frames feed a 16x32 input: crops from 20x40)."""
    out = str(tmp_path / "out")
    config = gpu_kit.KitConfig(pack=packed, out_dir=out, width=4, kernel=3, input_size=(16, 32),
                               batch_size=4, epochs=1, device="cpu", threads=1,
                               holdout_sequences=("seq0002",))
    manifest, history = gpu_kit.train(config)
    assert any("resized on the device to 20x40" in message for message in logged)
    log = json.load(open(os.path.join(out, "segnet-basic-16x32.log.json")))
    assert log["config"]["held_out_size"] == list(INPUT) and "val_miou" in history[0]
    pack = camvid_pack.read(packed)
    images = gpu_kit._to_device_images(pack.images["train"][:2], torch.device("cpu"))
    resized = gpu_kit.resize_images(images, 20, 40).numpy().transpose(0, 2, 3, 1)[..., ::-1]
    expected = np.stack([cv2.resize(image, (40, 20), interpolation=cv2.INTER_LINEAR)
                         for image in pack.images["train"][:2]])
    assert np.abs(resized - expected).max() <= 1.01


def test_mixed_precision_that_fails_on_the_device_falls_back_to_fp32(monkeypatch, logged):
    model = torch_export.build_model("segnet-basic", 12, 4, 3)
    model.train()
    before = model.enc1.bn.running_mean.clone()
    cpu = torch.device("cpu")
    assert gpu_kit.usable_amp(model, "bf16", cpu, INPUT, False) == "bf16"
    assert torch.equal(model.enc1.bn.running_mean, before) and model.training
    assert all(parameter.grad is None for parameter in model.parameters())

    def no_kernel(values, indices, like):
        if values.dtype == torch.bfloat16:
            raise RuntimeError('"max_unpooling2d_forward_out" not implemented for '
                               "'BFloat16'")
        return torch.nn.functional.max_unpool2d(values, indices, 2, 2,
                                                output_size=like.shape[-2:])

    monkeypatch.setattr(model, "unpool", no_kernel)
    assert gpu_kit.usable_amp(model, "bf16", cpu, INPUT, False) == "off"
    assert "training in FP32" in logged[-1] and "BFloat16" in logged[-1]


def test_zoom_out_is_taken_from_the_command_line_into_the_recorded_recipe(tmp_path):
    args = tool_scripts.load("train_gpu").parse_args(
        ["train", "--pack", "p.json", "--out", str(tmp_path), "--zoom-out"])
    assert args.zoom_out
    recorded = gpu_kit.loop_config(gpu_kit.KitConfig("p.json", str(tmp_path), zoom_out=True))
    assert recorded["zoom_out"] is True
    assert gpu_kit.loop_config(gpu_kit.KitConfig("p.json", str(tmp_path)))["zoom_out"] is False
