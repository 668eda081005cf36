"""Bad input across every command, as a careful (and an unkind) user gives it: each case must
end with its exit code and one line on stderr naming the cause, never a traceback, and leave
every file that was there byte-identical, with nothing new beside them.

Exit codes: 1 a problem with files or data, 2 a malformed argument, 3 a missing optional
package. The workspace below holds what the cases point at; ``{ws}`` is its path."""

import hashlib
import json
import os
import signal
import warnings

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from edge_segnet.cli import app


# Warnings Python's default filters do not print outside __main__.
SILENT_BY_DEFAULT = (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                     ResourceWarning)

# (command line, exit code, words the one line must hold (lower case))
CASES = [
    # export-model
    ("export-model nope -o {ws}/new.onnx", 2, "unknown model 'nope'"),
    ("export-model segnet-basic", 2, "needs -o"),
    ("export-model segnet-basic -o {ws}/new.onnx --classes 0", 2, "--classes must be between"),
    ("export-model segnet-basic -o {ws}/new.onnx --classes 5000", 2, "--classes must be between"),
    ("export-model segnet-basic -o {ws}/new.onnx --classes many", 2, "'--classes'"),
    ("export-model segnet-basic -o {ws}/new.onnx --input-size 0x0", 2, "sides must be between"),
    ("export-model segnet-basic -o {ws}/new.onnx --input-size abc", 2, "heightxwidth"),
    ("export-model segnet-basic -o {ws}/new.onnx --seed x", 2, "'--seed'"),
    ("export-model segnet-basic -o {ws}/new.onnx --weights {ws}/missing.npz", 1, "missing.npz"),
    ("export-model segnet-basic -o {ws}/new.onnx --weights {ws}/notes.txt", 1, "npz"),
    ("export-model segnet-basic -o {ws}/new.onnx --weights {ws}/fifo", 1, "not a regular file"),
    ("export-model segnet-basic -o /dev/full", 1, "/dev/full is a character device"),
    ("export-model segnet-basic -o {ws}/images", 1, "is a folder"),
    ("export-model segnet-basic -o {ws}/nodir/new.onnx", 1, "does not exist"),
    ("export-model segnet-basic -o {ws}/fifo", 1, "is a fifo"),
    ("export-model segnet-basic -o {ws}/weights.npz --weights {ws}/weights.npz", 2,
     "is also the input --weights"),
    ("export-model segnet-basic -o {ws}/new.onnx --labels {ws}/missing.txt", 1, "missing.txt"),
    ("export-model segnet-basic -o {ws}/new.onnx --labels {ws}/labels-string.json", 1,
     "labels"),
    ("export-model segnet-basic -o {ws}/new.onnx --labels {ws}/broken.json", 1,
     "not valid json"),
    ("export-model segnet-basic -o {ws}/new.onnx --labels {ws}/three-labels.txt", 1, "3"),
    ("export-model segnet-basic -o {ws}/new.onnx --colors {ws}/notes.txt", 1, "r g b"),
    # make-dataset
    ("make-dataset --out {ws}/set --count 0", 2, "--count must be at least"),
    ("make-dataset --out {ws}/set --count 100000000", 2, "more than 100000"),
    ("make-dataset --out {ws}/set --count abc", 2, "'--count'"),
    ("make-dataset --out {ws}/set", 2, "--count"),
    ("make-dataset --out {ws}/set --count 6 --size 0x0", 2, "sides must be between"),
    ("make-dataset --out {ws}/notes.txt --count 6", 1, "is a file"),
    ("make-dataset --out {ws}/data --count 6", 1, "already holds a dataset"),
    # download
    ("download nope --to {ws}/cv", 2, "unknown dataset"),
    ("download camvid --to {ws}/cv --from {ws}/missing.zip", 1, "missing.zip"),
    ("download camvid --to {ws}/cv --from {ws}/notes.txt", 1, "notes.txt"),
    ("download camvid --to {ws}/cv --from {ws}/images", 1, "camvid"),
    ("download camvid --to {ws}/cv --sha256 zz --from {ws}/images", 2, "sha256"),
    ("download camvid --to {ws}/cv --url http://127.0.0.1:9/x.zip --from {ws}/images", 2,
     "not both"),
    ("download camvid --to {ws}/notes.txt --from {ws}/data", 1, "notes.txt"),
    ("download camvid --to {ws}/cv --from {ws}/empty.tar.gz", 1,
     "is not a tar archive: it is empty (0 bytes)"),
    ("download camvid --to {ws}/cv --from {ws}/junk.tar.gz", 1, "it is truncated or damaged"),
    # prepare
    ("prepare {ws}/missing.onnx -o {ws}/p.onnx", 1, "missing.onnx"),
    ("prepare {ws}/empty.onnx -o {ws}/p.onnx", 1, "empty"),
    ("prepare {ws}/notes.txt -o {ws}/p.onnx", 1, "not"),
    ("prepare {ws}/fifo -o {ws}/p.onnx", 1, "not a regular file"),
    ("prepare {ws}/images -o {ws}/p.onnx", 1, "images"),
    ("prepare {ws}/model.onnx -o {ws}/model.onnx", 2, "is also the input model"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --report {ws}/p.onnx", 2, "are the same path"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --report {ws}/model.onnx", 2,
     "is also the input model"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --unpool bogus", 2, "--unpool"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --input-size 0x5", 2, "sides must be between"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --embed-preprocess --input-type int4", 2,
     "--input-type"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --embed-preprocess --normalize bogus", 2,
     "--normalize"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --keep-logits", 2, "--argmax"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --trt-version abc", 2, "--trt-version"),
    ("prepare {ws}/model.onnx -o /dev/full", 1, "character device"),
    ("prepare {ws}/model.onnx -o {ws}/nodir/p.onnx", 1, "does not exist"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --report {ws}/images", 1, "is a folder"),
    ("prepare {ws}/corrupt.onnx -o {ws}/p.onnx", 1, "corrupt.onnx"),
    # Bytes on which onnx 1.11's protobuf (JetPack 4.6) warns before it fails.
    ("prepare {ws}/garbage.onnx -o {ws}/p.onnx", 1, "not a readable onnx model"),
    ("calibrate {ws}/garbage.onnx -o {ws}/q.onnx --synthetic 2", 1, "not a readable onnx"),
    ("build {ws}/garbage.onnx --print-trtexec", 1, "not a readable onnx model"),
    ("verify {ws}/garbage.onnx {ws}/model.onnx", 1, "not a readable onnx model"),
    ("eval {ws}/garbage.onnx --data {ws}/data", 1, "not a readable onnx model"),
    # Refused before the first model's frames, not after them.
    ("eval {ws}/model.onnx {ws}/garbage.onnx --data {ws}/data", 1, "garbage.onnx is not a"),
    ("profile {ws}/garbage.onnx --iterations 2", 1, "not a readable onnx model"),
    ("run --model {ws}/garbage.onnx --max-frames 1", 1, "not a readable onnx model"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --fp16-io", 2, "--fp16-io goes with --fp16"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --normalize bogus", 2,
     "--normalize must be meanstd or lcn; got 'bogus'"),
    ("prepare {ws}/model.onnx -o {ws}/p.onnx --normalize lcn", 2,
     "--normalize lcn goes with --embed-preprocess"),
    ("prepare {ws}/int8-input.onnx -o {ws}/p.onnx", 1, "input 'x' is int8"),
    ("prepare {ws}/flat-output.onnx -o {ws}/p.onnx", 1, "output 'y' is float of shape 1x98304"),
    ("prepare {ws}/3d-output.onnx -o {ws}/p.onnx", 1, "output 'y' is float of shape 1x128x256"),
    # calibrate
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx", 2, "give one of --images dir"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --images {ws}/images --synthetic 2", 2,
     "--images and --synthetic"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --images {ws}/empty-folder", 1,
     "no images found"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --images {ws}/missing-folder", 1,
     "no such folder"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --synthetic 2 --count 0", 2,
     "--count must be 1 to"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --synthetic 0", 2, "--synthetic must be 1 to"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --synthetic 2 --percentile 120", 2,
     "--percentile must be"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --synthetic 2 --method minmax --percentile 99",
     2, "--percentile goes with --method percentile"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --synthetic 2 --method kl", 2, "--method"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --synthetic 2 --target cpu", 2, "--target"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --synthetic 2 --trt-version 8", 2,
     "--trt-version"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --synthetic 2 --cache {ws}/q.calib "
     "--trt-version 11.1", 2, "no calibrators"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --synthetic 2 --cache {ws}/q.calib "
     "--target onnxruntime", 2, "--cache is tensorrt's"),
    ("calibrate {ws}/qdq.onnx -o {ws}/q.onnx --synthetic 2", 1, "already holds q/dq"),
    ("calibrate {ws}/flat-output.onnx -o {ws}/q.onnx --synthetic 2", 1,
     "not what prepare produces"),
    ("calibrate {ws}/missing.onnx -o {ws}/q.onnx --synthetic 2", 1, "missing.onnx"),
    ("calibrate {ws}/fifo -o {ws}/q.onnx --synthetic 2", 1, "not a regular file"),
    ("calibrate {ws}/model.onnx -o {ws}/model.onnx --synthetic 2", 2,
     "is also the input model"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --cache {ws}/q.onnx --synthetic 2", 2,
     "are the same path"),
    ("calibrate {ws}/model.onnx -o /dev/full --synthetic 2", 1, "character device"),
    ("calibrate {ws}/model.onnx -o {ws}/q.onnx --data {ws}/data --split bogus --count 2", 1,
     "bogus"),
    # build (no TensorRT here: what is refused before TensorRT is needed, then the need)
    ("build {ws}/model.onnx --fp16 --int8", 2, "one of --fp16, --int8, --fp32"),
    ("build {ws}/model.onnx --trt-version 8.2", 2, "--print-trtexec"),
    ("build {ws}/missing.onnx", 1, "missing.onnx"),
    ("build {ws}/model.onnx -o {ws}/model.onnx", 2, "model.onnx"),
    ("build {ws}/model.onnx --print-trtexec --trt-version abc", 2, "--trt-version"),
    # Versions TensorRT never had are refused, not read as some release; an empty one too.
    ("build {ws}/model.onnx --print-trtexec --trt-version 8.2.1.8.9", 2, "--trt-version"),
    ("build {ws}/model.onnx --print-trtexec --trt-version ''", 2, "--trt-version"),
    ("build {ws}/model.onnx --print-trtexec --trt-version 1e3", 2, "--trt-version"),
    ("build {ws}/model.onnx --print-trtexec --trt-version 8.x", 2, "--trt-version"),
    # Refused after the graph is made, before any file is written (nothing left behind).
    ("build {ws}/model.onnx --print-trtexec --trt-version 8.2 --opt-level 3", 2,
     "--opt-level needs tensorrt 8.6"),
    ("build {ws}/model.onnx --print-trtexec --trt-version 10.3 --unpool native --dla-core 99",
     2, "at most 2 dla cores"),
    ("build {ws}/model.onnx --print-trtexec --trt-version 10.3 --plugin {ws}/notes.txt", 1,
     "is not a shared library"),
    ("build {ws}/model.onnx --print-trtexec --trt-version 10.3 --plugin {ws}/missing.so", 1,
     "--plugin not found"),
    ("build {ws}/model.onnx --workspace 0", 2, "--workspace"),
    ("build {ws}/model.onnx --opt-level 9", 2, "--opt-level"),
    ("build {ws}/model.onnx --dla-core -1", 2, "--dla-core"),
    ("build {ws}/model.onnx --int8 --calib-cache {ws}/missing.calib", 1, "missing.calib"),
    ("build {ws}/fifo", 1, "not a regular file"),
    # selftest
    ("selftest --iterations 0", 2, "--iterations must be at least 1"),
    ("selftest --model {ws}/missing.onnx", 1, "missing.onnx"),
    ("selftest --keep {ws}/notes.txt", 2, "is not a folder"),
    ("selftest --keep /proc", 1, "cannot write --keep engines in /proc"),
    ("selftest --keep /proc/engines", 1, "cannot write --keep engines in /proc"),
    # verify
    ("verify {ws}/missing.onnx {ws}/model.onnx", 1, "missing.onnx"),
    ("verify {ws}/model.onnx {ws}/model.onnx --atol nan", 2, "--atol"),
    ("verify {ws}/model.onnx {ws}/model.onnx --atol -1", 2, "--atol"),
    ("verify {ws}/model.onnx {ws}/model.onnx --min-agreement 150", 2, "--min-agreement"),
    ("verify {ws}/model.onnx {ws}/model.onnx --min-agreement -5", 2, "--min-agreement"),
    ("verify {ws}/model.onnx {ws}/model.onnx --json {ws}/model.onnx", 2,
     "is also the input model_a"),
    ("verify {ws}/model.onnx {ws}/model.onnx --images {ws}/empty-folder", 1, "no image"),
    ("verify {ws}/model.onnx {ws}/model.onnx --synthetic 0", 2, "--synthetic"),
    ("verify {ws}/model.onnx {ws}/model.onnx --synthetic 100000", 2, "--synthetic"),
    ("verify {ws}/model.onnx {ws}/model.onnx --backend bogus", 2, "--backend"),
    ("verify {ws}/model.onnx {ws}/fifo", 1, "not a regular file"),
    ("verify {ws}/model.onnx {ws}/notes.txt", 2, "notes.txt"),
    ("verify {ws}/model.onnx {ws}/flat-output.onnx", 1, "prepare refuses other outputs"),
    ("eval {ws}/3d-output.onnx --data {ws}/data", 1, "prepare refuses other outputs"),
    ("verify {ws}/model.onnx {ws}/model.onnx --json /dev/full", 1, "character device"),
    # eval
    ("eval {ws}/model.onnx --data {ws}/missing", 1, "not found"),
    ("eval {ws}/model.onnx --data {ws}/images", 1, "images"),
    ("eval {ws}/model.onnx --data {ws}/data --split bogus", 1, "bogus"),
    ("eval {ws}/model.onnx --data {ws}/data --format bogus", 2, "--format"),
    ("eval {ws}/model.onnx --data {ws}/data --ignore-class 99", 2, "99"),
    ("eval {ws}/model.onnx --data {ws}/data --ignore-class bogus", 2, "bogus"),
    ("eval {ws}/model.onnx --data {ws}/data --json {ws}/model.onnx", 2,
     "is also the input model"),
    ("eval {ws}/model.onnx --data {ws}/data --json {ws}/r.json --plot {ws}/r.json", 2,
     "are the same path"),
    ("eval {ws}/model.onnx --data {ws}/data --predictions {ws}/data/testannot", 2,
     "inside the dataset --data"),
    ("eval {ws}/model.onnx --data {ws}/data --predictions {ws}/data/trainannot", 2,
     "inside the dataset --data"),
    ("eval {ws}/model.onnx --data {ws}/data --json {ws}/data/testannot/x.png", 2,
     "inside the dataset --data"),
    ("eval {ws}/model.onnx --data {ws}/data --reference bogus", 2, "bogus"),
    ("eval {ws}/missing.onnx --data {ws}/data", 1, "missing.onnx"),
    ("eval {ws}/model.onnx --data {ws}/mismatched", 1, "size"),
    ("eval {ws}/model.onnx --data {ws}/all-void", 1, "no labelled pixel"),
    ("eval {ws}/model.onnx --data {ws}/data --backend bogus", 2, "--backend"),
    ("eval {ws}/model.onnx --data {ws}/data --json /dev/full", 1, "character device"),
    # profile
    ("profile {ws}/missing.onnx", 1, "missing.onnx"),
    ("profile {ws}/model.onnx --iterations 0", 2, "--iterations"),
    ("profile {ws}/model.onnx --duration -1", 2, "--duration"),
    ("profile {ws}/model.onnx --warmup -1", 2, "--warmup"),
    ("profile {ws}/model.onnx --json {ws}/r.json --csv {ws}/r.json", 2, "are the same path"),
    ("profile {ws}/model.onnx --json {ws}/model.onnx", 2, "is also the input model"),
    ("profile {ws}/model.onnx --compare {ws}/missing.json", 1, "missing.json"),
    ("profile {ws}/model.onnx --compare {ws}/notes.txt", 1, "notes.txt"),
    ("profile {ws}/model.onnx --compare {ws}/nan-report.json", 1,
     "latency_ms.median is nan, not a latency"),
    ("profile {ws}/model.onnx --baseline-ms -5", 2, "--baseline-ms"),
    ("profile {ws}/model.onnx --backend bogus", 2, "--backend"),
    ("profile {ws}/model.onnx --threads 0", 2, "--threads must be at least 1"),
    ("profile {ws}/model.onnx --frame-size 0x0", 2, "--frame-size sides must be between"),
    ("profile {ws}/model.onnx --frame-size 720p", 2, "--frame-size must be heightxwidth"),
    ("profile {ws}/fifo", 1, "not a regular file"),
    ("profile {ws}/model.onnx --csv /dev/full", 1, "character device"),
    # run
    ("run --camera /dev/video0 --source synthetic", 2, "not both"),
    ("run --max-frames 0", 2, "--max-frames"),
    ("run --duration 0", 2, "--duration"),
    ("run --width 640 --max-frames 1", 2, "--width and --height together"),
    ("run --width -1 --height -1 --max-frames 1", 2, "--width"),
    ("run --fps -5 --max-frames 1", 2, "--fps"),
    ("run --source '' --max-frames 1", 2, "--source"),
    ("run --source {ws}/missing.mp4 --headless", 1, "missing.mp4"),
    ("run --source {ws}/notes.mp4 --headless", 1, "notes.mp4"),
    ("run --source {ws}/clip.mp4 -o {ws}/clip.mp4", 2, "is also the input --source"),
    ("run --source {ws}/clip.mp4 -o {ws}/out.txt", 1, "use .mp4, .avi or .mkv"),
    ("run --source {ws}/clip.mp4 -o {ws}/x.mp4 --labels {ws}/x.mp4", 2, "are the same path"),
    ("run --source {ws}/images --images {ws}/images", 2, "is also the input --source"),
    ("run --source {ws}/clip.mp4 -o /dev/full", 1, "character device"),
    ("run --alpha 2 --max-frames 1", 2, "--alpha"),
    ("run --visualize bogus --max-frames 1", 2, "--visualize"),
    ("run --filter bogus --max-frames 1", 2, "--filter"),
    ("run --ignore-class bogus --max-frames 1", 2, "bogus"),
    ("run --serve abc --max-frames 1", 2, "--serve"),
    ("run --model {ws}/missing.onnx --max-frames 1", 1, "missing.onnx"),
    ("run --model {ws}/notes.txt --max-frames 1", 2, "notes.txt"),
    ("run --model {ws}/fifo.onnx --max-frames 1", 1, "not a regular file"),
    ("run --camera /dev/video99 --headless", 1, "/dev/video99"),
    ("run --source synthetic -o {ws}/out.mp4", 2, "--max-frames or --duration"),
    ("run --backend bogus --max-frames 1", 2, "--backend"),
    ("run --threads -1 --max-frames 1", 2, "--threads"),
    ("run --threads 0 --max-frames 1", 2, "--threads must be at least 1"),
    ("eval {ws}/model.onnx --data {ws}/data --threads 0", 2, "--threads must be at least 1"),
    ("run --bogus", 2, "no such option"),
    ("run --source {ws}/clip.mp4 --labels {ws}/images", 1, "already holds 2 entries"),
    ("run --source {ws}/clip.mp4 --images {ws}/data --max-frames 1", 1,
     "/data already holds"),
    # the command line itself
    ("nosuch", 2, "no such command"),
    ("eval", 2, "missing"),
]


def _write(path, data):
    with open(path, "wb") as handle:
        handle.write(data)


def _tiny_model(nodes, output, initializers=(), props=None):
    from onnx import TensorProto, helper

    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, 3, 8, 8])], [output], list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    for key, value in (props or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = "edge_segnet." + key, json.dumps(value)
    return model


def _qdq_model():
    """Already quantised: calibrate refuses it."""
    from onnx import TensorProto, helper, numpy_helper

    return _tiny_model(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
         helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])],
        helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8]),
        [numpy_helper.from_array(np.array(0.1, np.float32), "s"),
         numpy_helper.from_array(np.array(0, np.int8), "z")])


def _flat_output_model():
    """Marked prepared, but its output is no 1xCxHxW logits nor a label map."""
    from onnx import TensorProto, helper

    return _tiny_model([helper.make_node("Flatten", ["x"], ["y"])],
                       helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 192]),
                       props={"prepared": {"passes": [], "unpool": "none"}})


def _int8_input_model():
    """Takes int8: run, verify and eval feed a float image, so prepare refuses it."""
    from onnx import TensorProto, helper

    model = _tiny_model([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)],
                        helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8]))
    model.graph.input[0].type.tensor_type.elem_type = TensorProto.INT8
    return model


def _3d_output_model():
    """Outputs 1xHxW floats: neither logits nor a label map."""
    from onnx import TensorProto, helper

    return _tiny_model([helper.make_node("ReduceMean", ["x"], ["y"], axes=[1], keepdims=0)],
                       helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 8]))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, small_basic_model_path):
    from edge_segnet.data import camvid

    ws = tmp_path_factory.mktemp("bad-input")
    root = str(ws)
    with open(small_basic_model_path, "rb") as handle:
        _write(os.path.join(root, "model.onnx"), handle.read())
    _write(os.path.join(root, "empty.onnx"), b"")
    _write(os.path.join(root, "empty.tar.gz"), b"")
    _write(os.path.join(root, "junk.tar.gz"), b"\x1f\x8b not really gzip" * 20)
    _write(os.path.join(root, "corrupt.onnx"), b"\x08\x07\x12\x04junk" * 10)
    _write(os.path.join(root, "garbage.onnx"), b"\x00garbage" * 100)
    _write(os.path.join(root, "notes.txt"), b"just some notes\n")
    _write(os.path.join(root, "notes.mp4"), b"not a video at all\n")
    _write(os.path.join(root, "labels-string.json"), b'{"labels": "sky"}')
    _write(os.path.join(root, "broken.json"), b'{"labels": [')
    _write(os.path.join(root, "three-labels.txt"), b"sky\nroad\ncar\n")
    _write(os.path.join(root, "qdq.onnx"), _qdq_model().SerializeToString())
    _write(os.path.join(root, "flat-output.onnx"), _flat_output_model().SerializeToString())
    _write(os.path.join(root, "int8-input.onnx"), _int8_input_model().SerializeToString())
    _write(os.path.join(root, "3d-output.onnx"), _3d_output_model().SerializeToString())
    np.savez(os.path.join(root, "weights.npz"), nothing=np.zeros(1))
    os.mkfifo(os.path.join(root, "fifo"))
    os.mkfifo(os.path.join(root, "fifo.onnx"))
    os.mkdir(os.path.join(root, "empty-folder"))
    _write(os.path.join(root, "nan-report.json"), b'{"latency_ms": {"median": NaN}}')
    os.mkdir(os.path.join(root, "images"))
    for index in range(2):
        cv2.imwrite(os.path.join(root, "images", "f{}.png".format(index)),
                    np.full((40, 60, 3), 60 * index, np.uint8))
    writer = cv2.VideoWriter(os.path.join(root, "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"),
                             10, (64, 48))
    for index in range(3):
        writer.write(np.full((48, 64, 3), 40 * index, np.uint8))
    writer.release()
    camvid.make_synthetic(os.path.join(root, "data"), 3, size=(24, 32), seed=1)
    for name, label_size, value in (("mismatched", (12, 16), None), ("all-void", (24, 32), 11)):
        camvid.make_synthetic(os.path.join(root, name), 3, size=(24, 32), seed=1)
        annotations = os.path.join(root, name, "testannot")
        for label_name in os.listdir(annotations):
            path = os.path.join(annotations, label_name)
            labels = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if value is not None:
                labels[:] = value
            cv2.imwrite(path, cv2.resize(labels, label_size[::-1],
                                         interpolation=cv2.INTER_NEAREST))
    return root


def _snapshot(root):
    """Every entry under ``root`` with its kind and, for regular files, a hash of its bytes."""
    state = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path):
                state[path] = "not a regular file"
            else:
                with open(path, "rb") as handle:
                    state[path] = hashlib.sha256(handle.read()).hexdigest()
    return state


def _argv(line, ws):
    import shlex

    return shlex.split(line.replace("{ws}", ws))


@pytest.mark.parametrize("line, code, words", CASES, ids=[case[0] for case in CASES])
def test_bad_input_gets_one_line_its_exit_code_and_loses_nothing(
        workspace, monkeypatch, line, code, words):
    # No display, and no TensorRT even where one is installed: the cases are about what is
    # refused before either would matter.
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    before = _snapshot(workspace)
    full = os.stat("/dev/full")

    def too_slow(signum, frame):
        raise AssertionError("no answer within 60 s: bad input must be refused at once")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(60)
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            result = CliRunner().invoke(app, _argv(line, workspace))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    # Python prints these in a user's shell too: a second line, with a source line beside it.
    shown = [str(w.message) for w in warned if not issubclass(w.category, SILENT_BY_DEFAULT)]
    assert not shown, shown
    output = result.output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    lines = [text for text in output.splitlines() if text.strip()]
    assert result.exit_code == code, output
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    assert words in lines[0].lower(), output
    assert _snapshot(workspace) == before
    after = os.stat("/dev/full")
    assert (after.st_mode, after.st_rdev) == (full.st_mode, full.st_rdev)


def test_the_table_covers_every_command_with_at_least_a_hundred_cases():
    commands = {case[0].split()[0] for case in CASES}
    assert {"export-model", "make-dataset", "download", "prepare", "build", "selftest",
            "verify", "eval", "profile", "run"} <= commands
    assert len(CASES) >= 100
    assert len({case[0] for case in CASES}) == len(CASES)
    json.dumps(CASES)
