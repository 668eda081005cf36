import pytest
from typer.testing import CliRunner

from edge_segnet.cli import app
from edge_segnet.live import options as run_options
from edge_segnet.live import setup as run_setup
from edge_segnet.errors import UsageError
from tests.test_cli import assert_one_line_error


def _run(*args):
    return CliRunner().invoke(app, ["run"] + list(args))


@pytest.mark.parametrize("args, text", [
    (["--width", "-1", "--height", "-1"], "--width must be at least 1 pixel; got -1"),
    (["--width", "640", "--height", "0"], "--height must be at least 1 pixel; got 0"),
    (["--fps", "-5"], "--fps must be a frame rate above 0, e.g. 30; got -5.0"),
    (["--fps", "0"], "--fps must be a frame rate above 0, e.g. 30; got 0.0"),
    (["--fps", "nan"], "--fps must be a frame rate above 0, e.g. 30; got nan"),
    (["--fps", "inf"], "--fps must be a frame rate above 0, e.g. 30; got inf"),
    (["--alpha", "1.5"], "--alpha must be between 0 and 1; got 1.5"),
    (["--alpha", "-0.1"], "--alpha must be between 0 and 1; got -0.1"),
    (["--alpha", "nan"], "--alpha must be between 0 and 1; got nan"),
    (["--source", ""], "--source is empty; give synthetic, a camera, a stream or a file"),
    (["--source", "  "], "--source is empty"),
    (["--camera", ""], "--camera is empty; give a camera: /dev/video0, 0 or csi://0"),
    (["--images", "out", "--image-format", "gif"], "--image-format must be jpg or png"),
    (["--serve", "999.999.1.1:8080"], "--serve '999.999.1.1:8080': 999.999.1.1 is not an IPv4 "
                                      "address"),
])
def test_malformed_run_options_are_refused_in_one_line_before_any_work(
        small_basic_model_path, args, text):
    # --max-frames 1: where an option is not refused the run ends instead of running forever.
    result = _run("--model", small_basic_model_path, "--max-frames", "1", "--headless", *args)
    assert_one_line_error(result, 2, "error: " + text)
    assert "choose another port" not in result.output


def test_an_ignore_class_id_the_model_does_not_have_is_refused(small_basic_model_path):
    result = _run("--model", small_basic_model_path, "--max-frames", "1", "--headless",
                  "--ignore-class", "99")
    assert_one_line_error(result, 2, "--ignore-class 99 is not a class of the model: it has 12 "
                                     "classes (ids 0..11)")
    assert run_setup._ignore_ids(["a", "b"], ["1", "a"]) == [1, 0]


def test_an_address_that_is_not_this_machines_is_named_as_such(small_basic_model_path):
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): documentation only, no machine's address.
    result = _run("--model", small_basic_model_path, "--max-frames", "1", "--headless",
                  "--serve", "192.0.2.1:8080")
    assert_one_line_error(result, 1, "192.0.2.1 is not an address of this machine")
    assert "choose another port" not in result.output


def test_a_good_mode_is_accepted():
    run_options.check_mode((720, 1280), 30.0)
    run_options.check_mode((None, None), None)
    with pytest.raises(UsageError, match="give --width and --height together"):
        run_options.check_mode((None, 640), None)


def test_a_run_with_nowhere_to_show_or_write_says_so_before_the_first_frame(
        small_basic_model_path):
    result = _run("--model", small_basic_model_path, "--max-frames", "2", "--headless")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("no output: --headless; frames are segmented and timed only")
    assert lines[1].startswith("2 frames") or "2 frames" in result.output


def test_images_can_be_written_lossless_as_png(small_basic_model_path, tmp_path):
    import cv2
    import numpy as np

    folder = tmp_path / "frames"
    result = _run("--model", small_basic_model_path, "--max-frames", "2", "--headless",
                  "--images", str(folder), "--image-format", "png", "--alpha", "0")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["frame_000000.png", "frame_000001.png"]
    # alpha 0 leaves the frame itself: lossless means the synthetic frame's exact pixels.
    from edge_segnet.video.sources import open_source

    source = open_source("synthetic", size=None)
    first = source.read()
    source.close()
    assert np.array_equal(cv2.imread(str(folder / "frame_000000.png")), first.image
                          if hasattr(first, "image") else first)
