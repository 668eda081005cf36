import json
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

import edge_segnet
from edge_segnet.cli import app


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args):
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            result = runner.invoke(app, list(args))
        # What Python would print in the user's shell beside our output.
        result.shown_warnings = [str(w.message) for w in warned if not issubclass(
            w.category, (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                         ResourceWarning))]
        return result

    return invoke


def assert_one_line_error(result, code, text):
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert text in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1
    assert not getattr(result, "shown_warnings", None), result.shown_warnings


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output.strip() == "edge-segnet " + edge_segnet.__version__


def test_doctor_reports_tensorrt_and_pycuda_missing_with_hints_and_exits_zero(
        cli, workstation, without_modules):
    without_modules("tensorrt", "pycuda", "cuda")
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line for line in result.output.splitlines()}
    assert lines["TensorRT"].startswith("MISSING")
    assert "->" in lines["TensorRT"] and "tensorrt" in lines["TensorRT"]
    assert lines["pycuda"].startswith("MISSING") and "pycuda" in lines["pycuda"].split("->")[1]
    assert lines["Python"].startswith("OK")


def test_doctor_json_lists_every_check(cli):
    result = cli("doctor", "--json")
    assert result.exit_code == 0
    checks = json.loads(result.output)["checks"]
    names = [check["name"] for check in checks]
    assert names[:2] == ["Python", "Board"]
    assert {"TensorRT", "CUDA", "pycuda", "ONNX Runtime", "OpenCV", "Unpool plugin",
            "Cameras"} <= set(names)
    assert all(check["status"] in ("OK", "MISSING", "WARN", "N/A") for check in checks)


def test_export_model_writes_a_model_onnx_runtime_runs(cli, tmp_path):
    import onnxruntime

    path = str(tmp_path / "m.onnx")
    result = cli("export-model", "segnet-basic", "-o", path, "--input-size", "64x96",
                 "--classes", "5")
    assert result.exit_code == 0, result.output
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"input": np.zeros((1, 3, 64, 96), np.float32)})
    assert logits.shape == (1, 5, 64, 96)


def test_export_model_list_weights_prints_names_and_shapes(cli):
    result = cli("export-model", "segnet-basic", "--list-weights")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "enc1.conv.weight 64x3x7x7"
    assert lines[-1] == "classifier.weight 12x64x1x1"


@pytest.mark.parametrize("args, code, text", [
    (["segnet-huge", "-o", "m.onnx"], 2, "unknown model 'segnet-huge'; choose one of"),
    (["segnet-basic", "-o", "m.onnx", "--input-size", "12x"], 2,
     "--input-size must be HEIGHTxWIDTH"),
    (["segnet-basic", "-o", "m.onnx", "--weights", "missing.npz"], 1,
     "weights file not found: missing.npz"),
    (["segnet-basic", "-o", "/proc/m.onnx"], 1, "cannot write model"),
    (["segnet-basic", "-o", "no/such/folder/m.onnx"], 1, "does not exist"),
    (["segnet-basic"], 2, "needs -o/--output"),
    (["segnet-basic", "-o", "m.onnx", "--classes", "0"], 2, "--classes must be between"),
])
def test_export_model_bad_input_gets_one_line_and_nonzero_exit(cli, tmp_path, monkeypatch,
                                                               args, code, text):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(cli("export-model", *args), code, text)


def test_export_model_wrong_weight_shape_names_tensor_and_both_shapes(cli, tmp_path):
    from edge_segnet.models import zoo

    arrays = {name: np.zeros(shape, np.float32)
              for name, shape in zoo.expected_weights("segnet-basic")}
    arrays["enc2.conv.weight"] = np.zeros((64, 64, 3, 3), np.float32)
    weights = str(tmp_path / "w.npz")
    np.savez(weights, **arrays)
    result = cli("export-model", "segnet-basic", "-o", str(tmp_path / "m.onnx"), "--weights",
                 weights)
    assert_one_line_error(result, 1, "tensor 'enc2.conv.weight' has shape (64, 64, 3, 3) but "
                                     "the model needs (64, 64, 7, 7)")
    assert not (tmp_path / "m.onnx").exists()


def test_make_dataset_writes_camvid_layout(cli, tmp_path):
    out = tmp_path / "data"
    result = cli("make-dataset", "--out", str(out), "--count", "5", "--size", "64x96")
    assert result.exit_code == 0, result.output
    assert "train 3, val 1, test 1" in result.output
    assert len(list((out / "trainannot").iterdir())) == 3


def test_make_dataset_bad_count_is_one_line(cli, tmp_path):
    assert_one_line_error(cli("make-dataset", "--out", str(tmp_path), "--count", "2"), 2,
                          "--count must be at least 3")


def test_run_writes_an_overlay_video_from_synthetic_frames(cli, tmp_path, small_basic_model_path):
    import cv2

    video = str(tmp_path / "demo.mp4")
    result = cli("run", "--model", small_basic_model_path, "--max-frames", "4", "-o", video)
    assert result.exit_code == 0, result.output
    assert "4 frames" in result.output
    capture = cv2.VideoCapture(video)
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    assert (int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))) == (360, 480)


@pytest.mark.parametrize("args, code, text", [
    (["--model", "missing.onnx", "--max-frames", "1"], 1, "model file not found: missing.onnx"),
    (["--model", "MODEL", "--max-frames", "0"], 2, "--max-frames must be at least 1"),
    (["--model", "MODEL", "-o", "out.mp4"], 2, "synthetic source never ends"),
    (["--model", "MODEL", "--source", "nope.mp4"], 1, "video file not found: nope.mp4"),
    (["--model", "MODEL", "--max-frames", "1", "-o", "out.gif"], 1, "use .mp4, .avi or .mkv"),
    (["--model", "NOT_ONNX", "--max-frames", "1"], 1, "is not a readable ONNX model"),
])
def test_run_bad_input_gets_one_line_and_nonzero_exit(cli, tmp_path, monkeypatch,
                                                      small_basic_model_path, args, code, text):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-onnx.onnx").write_bytes(b"\x00garbage" * 100)
    args = [small_basic_model_path if arg == "MODEL" else
            "not-onnx.onnx" if arg == "NOT_ONNX" else arg for arg in args]
    assert_one_line_error(cli("run", *args), code, text)
    assert not (tmp_path / "out.gif").exists()


def test_prepare_writes_a_graph_and_a_report(cli, tmp_path, small_basic_model_path):
    out, report = str(tmp_path / "p.onnx"), str(tmp_path / "passes.json")
    result = cli("prepare", small_basic_model_path, "-o", out, "--input-size", "36x52",
                 "--unpool", "native", "--argmax", "--report", report)
    assert result.exit_code == 0, result.output
    assert "unpool" in result.output and "MaxUnpool 'unpool1'" in result.output
    passes = [entry["pass"] for entry in json.load(open(report))]
    assert passes[:3] == ["validate", "fix-input", "unpool"] and passes[-1] == "total"


@pytest.mark.parametrize("args, code, text", [
    (["missing.onnx", "-o", "p.onnx"], 1, "model file not found: missing.onnx"),
    (["NOT_ONNX", "-o", "p.onnx"], 1, "is not a readable ONNX model"),
    (["MODEL", "-o", "/proc/p.onnx", "--input-size", "36x52"], 1, "cannot write model"),
    (["MODEL", "-o", "p.onnx", "--keep-logits"], 2, "--keep-logits goes with --argmax"),
    (["MODEL", "-o", "p.onnx", "--unpool", "scatter"], 2, "--unpool must be plugin or native"),
    (["MODEL", "-o", "p.onnx", "--input-size", "36"], 2, "--input-size must be HEIGHTxWIDTH"),
    (["MODEL", "-o", "p.onnx", "--trt-version", "new"], 2, "TensorRT version must look like"),
])
def test_prepare_bad_input_gets_one_line_and_nonzero_exit(cli, tmp_path, monkeypatch,
                                                          small_basic_model_path, args, code,
                                                          text):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-onnx.onnx").write_bytes(b"\x00garbage" * 100)
    args = [small_basic_model_path if arg == "MODEL" else
            "not-onnx.onnx" if arg == "NOT_ONNX" else arg for arg in args]
    args += ["--embed-preprocess"] if "--trt-version" in args else []
    assert_one_line_error(cli("prepare", *args), code, text)
    assert not (tmp_path / "p.onnx").exists()


def test_run_writes_label_pngs_that_round_trip_and_masks_in_palette_colors(
        cli, tmp_path, small_basic_model_path):
    import cv2

    from edge_segnet.runtime import open_segmenter
    from edge_segnet.video.sources import SyntheticSource

    labels_dir = tmp_path / "labels"
    result = cli("run", "--model", small_basic_model_path, "--max-frames", "3", "--labels",
                 str(labels_dir), "--color-masks", "--headless")
    assert result.exit_code == 0, result.output
    segmenter = open_segmenter(small_basic_model_path)
    source = SyntheticSource()
    palette = segmenter.info.labels.colors_bgr
    for index in range(3):
        expected = segmenter.infer(source.read()).labels
        ids = cv2.imread(str(labels_dir / "frame_{:06d}.png".format(index)),
                         cv2.IMREAD_UNCHANGED)
        assert np.array_equal(ids, expected)
        colors = cv2.imread(str(labels_dir / "frame_{:06d}_color.png".format(index)))
        assert np.array_equal(colors, palette[expected])


def test_run_on_a_video_file_writes_every_frame_at_its_size(cli, tmp_path,
                                                            small_basic_model_path):
    import cv2

    source = str(tmp_path / "in.avi")
    writer = cv2.VideoWriter(source, cv2.VideoWriter_fourcc(*"MJPG"), 12.0, (1280, 720))
    for index in range(7):
        writer.write(np.full((720, 1280, 3), 20 * index, np.uint8))
    writer.release()
    out = str(tmp_path / "out.mp4")
    result = cli("run", "--model", small_basic_model_path, "--source", source, "-o", out,
                 "--visualize", "side-by-side", "--legend", "--hud")
    assert result.exit_code == 0, result.output
    capture = cv2.VideoCapture(out)
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 7
    assert (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (2560, 720)
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(12.0)
    assert "dropped 0" in result.output


@pytest.mark.parametrize("args, code, text", [
    (["--camera", "/dev/video9"], 1, "camera not found: /dev/video9 (available:"),
    (["--camera", "0", "--source", "synthetic"], 2, "--camera or --source, not both"),
    (["--visualize", "heatmap", "--max-frames", "1"], 2, "--visualize must be one of"),
    (["--alpha", "2", "--max-frames", "1"], 2, "--alpha must be between 0 and 1"),
    (["--ignore-class", "lamp", "--max-frames", "1"], 2, "--ignore-class 'lamp' is not a"),
    (["--serve", "localhost:web", "--max-frames", "1"], 2, "--serve must be HOST:PORT"),
    (["--width", "640", "--max-frames", "1"], 2, "--width and --height together"),
])
def test_run_option_errors_are_one_line(cli, small_basic_model_path, args, code, text):
    assert_one_line_error(cli("run", "--model", small_basic_model_path, *args), code, text)


def test_run_without_a_model_uses_the_synthetic_scene_model_on_the_synthetic_source(
        cli, tmp_path):
    import cv2

    video = str(tmp_path / "demo.mp4")
    result = cli("run", "--source", "synthetic", "--max-frames", "3", "-o", video)
    assert result.exit_code == 0, result.output
    assert "model: segnet-basic-synthetic" in result.output
    assert int(cv2.VideoCapture(video).get(cv2.CAP_PROP_FRAME_COUNT)) == 3


def test_run_without_a_model_uses_the_camvid_model_on_real_sources(cli, tmp_path):
    import cv2
    import numpy as np

    frame = str(tmp_path / "street.png")
    cv2.imwrite(frame, np.full((90, 120, 3), 100, np.uint8))
    labels = tmp_path / "labels"
    result = cli("run", "--source", frame, "--labels", str(labels), "--headless")
    assert result.exit_code == 0, result.output
    assert "model: segnet-basic-camvid" in result.output
    assert sorted(path.name for path in labels.iterdir()) == ["street.png"]  # named by it


@pytest.mark.parametrize("args, text", [
    (["run", "--bogus"], "error: No such option: --bogus (see '"),
    (["nosuch"], "error: No such command 'nosuch'"),
    (["export-model"], "error: Missing argument 'NAME'"),
    (["export-model", "segnet-basic", "--classes", "many"], "invalid value for '--classes'"),
])
def test_typer_usage_errors_are_one_line_too(cli, args, text):
    result = cli(*args)
    assert_one_line_error(result, 2, "")
    assert text.lower() in result.output.lower()


@pytest.mark.parametrize("raised, code, text", [
    (OSError(28, "No space left on device", "/data/out.onnx"), 1,
     "error: no space left on the device: /data/out.onnx"),
    (IsADirectoryError(21, "Is a directory", "x.mp4"), 1, "error: Is a directory: x.mp4"),
    (MemoryError(), 1, "error: out of memory (close other programs or use a smaller input)"),
    (MemoryError("Unable to allocate 506. KiB for an array with shape (360, 480, 3)"), 1,
     "error: out of memory: Unable to allocate 506. KiB for an array with shape (360, 480, 3) "
     "(close other programs"),
    (RuntimeError("can't start new thread"), 1,
     "error: cannot start a thread: the machine is out of memory or this user's process "
     "limit is reached"),
    (RuntimeError("can't start new thread now"), 70, "error: internal error, RuntimeError"),
    (KeyboardInterrupt(), 130, "interrupted"),
    (ZeroDivisionError("division by zero"), 70,
     "error: internal error, ZeroDivisionError: division by zero (a bug in edge-segnet"),
])
def test_errors_that_are_not_ours_are_one_line_with_their_exit_code(
        cli, monkeypatch, raised, code, text):
    from edge_segnet.checks import doctor as doctor_module

    def fail():
        raise raised

    monkeypatch.setattr(doctor_module, "diagnose", fail)
    assert_one_line_error(cli("doctor"), code, text)


def test_sigterm_is_reported_like_an_interrupt_with_its_own_exit_code(cli, monkeypatch):
    from edge_segnet import signals
    from edge_segnet.checks import doctor as doctor_module

    def fail():
        raise signals.Terminated()

    monkeypatch.setattr(doctor_module, "diagnose", fail)
    assert_one_line_error(cli("doctor"), 143, "terminated")


@pytest.mark.parametrize("raised, code, line", [
    ("Terminated", 143, "terminated"), ("KeyboardInterrupt", 130, "interrupted")])
def test_a_signal_while_typer_builds_the_commands_is_one_line(monkeypatch, capsys, raised,
                                                               code, line):
    # Seen in CI: SIGTERM 0.3 s after start, while typer read the commands' signatures (before
    # the command's own handling), printed a traceback.
    import typer.main

    from edge_segnet import cli as cli_module
    from edge_segnet import signals

    def building(app):
        raise signals.Terminated() if raised == "Terminated" else KeyboardInterrupt()

    monkeypatch.setattr(typer.main, "get_command", building)
    with pytest.raises(SystemExit) as caught:
        cli_module.main()
    assert caught.value.code == code
    assert capsys.readouterr().err == line + "\n"


def test_the_cli_says_the_package_log_on_stderr_as_much_as_asked(capsys):
    import logging

    from edge_segnet.cli import configure_logging

    log = logging.getLogger("edge_segnet.somewhere")
    try:
        configure_logging()
        log.info("building")
        log.debug("detail")
        log.warning("odd labels")
        configure_logging(quiet=True)
        log.info("not said")
        configure_logging(verbose=True)
        log.debug("said")
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err == "building\nwarning: odd labels\nsaid\n"
        configure_logging()
        assert len(logging.getLogger("edge_segnet").handlers) == 1  # set up once, not per call
    finally:
        configure_logging()


def test_flags_show_no_value_in_help_and_say_they_take_none_when_given_one():
    """typer >= 0.20 prints <bool> beside every flag, which reads as if --legend took a value."""
    runner = CliRunner()
    for args in (["--help"], ["run", "--help"], ["prepare", "--help"]):
        result = runner.invoke(app, args, env={"COLUMNS": "120"})
        assert result.exit_code == 0 and "<bool>" not in result.output, result.output
    assert_one_line_error(runner.invoke(app, ["run", "--legend", "true"]), 2,
                          "a flag takes no value: give --FLAG alone")


def test_the_top_level_help_breaks_no_line_mid_sentence():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "250"})
    # Wide enough for every description: each is one line (plain click cuts it with ...).
    lines = [line for line in result.output.splitlines() if "Check this machine" in line]
    assert lines and ("cameras." in lines[0] or "..." in lines[0]), result.output
