import pytest

from edge_segnet.platform import jetson


def test_board_model_and_l4t_release_of_a_nano(nano_root):
    assert jetson.board_model(str(nano_root)) == "NVIDIA Jetson Nano Developer Kit"
    assert jetson.l4t_release(str(nano_root)) == (32, 6, 1)


@pytest.mark.parametrize("l4t, jetpack", [((32, 6, 1), "4.6"), ((32, 7, 4), "4.6.4"),
                                          ((35, 3, 1), "5.1.1"), ((36, 4, 3), "6.2"),
                                          ((32, 4, 4), None)])
def test_jetpack_for_l4t(l4t, jetpack):
    assert jetson.jetpack_for(l4t) == jetpack


def test_release_line_of_jetpack_6_parses(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/nv_tegra_release").write_text(
        "# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64, "
        "DATE: Wed Jan  8 01:49:37 UTC 2025\n")
    assert jetson.l4t_release(str(tmp_path)) == (36, 4, 3)


def test_not_a_jetson(tmp_path):
    assert jetson.board_model(str(tmp_path)) is None
    assert jetson.l4t_release(str(tmp_path)) is None
    assert jetson.gpu_devfreq(str(tmp_path)) is None


def test_orin_gpu_devfreq_name_is_found(tmp_path):
    folder = tmp_path / "sys/class/devfreq/17000000.ga10b"
    folder.mkdir(parents=True)
    for key in ("cur", "min", "max"):
        (folder / (key + "_freq")).write_text("1300500000")
    (tmp_path / "sys/class/devfreq/13e10000.host1x").mkdir()
    assert jetson.gpu_devfreq(str(tmp_path)) == {"cur": 1300500000, "min": 1300500000,
                                                 "max": 1300500000}


def test_nvpmodel_mode_parses_the_query_and_survives_failure(nvpmodel_maxn):
    assert jetson.nvpmodel_mode(nvpmodel_maxn) == "MAXN"
    assert jetson.nvpmodel_mode(lambda command: (None, "No such file")) is None


def test_run_quiet_reports_a_missing_program():
    code, reason = jetson.run_quiet(["edge-segnet-no-such-program"])
    assert code is None and reason
