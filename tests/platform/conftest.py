import pytest


def _write(root, path, text):
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


@pytest.fixture
def nano_root(tmp_path):
    """A folder laid out like a Jetson Nano's root on JetPack 4.6 with jetson_clocks on:
    the files L4T writes, in the formats L4T 32.6.1 writes them."""
    _write(tmp_path, "proc/device-tree/model", "NVIDIA Jetson Nano Developer Kit\x00")
    _write(tmp_path, "etc/nv_tegra_release",
           "# R32 (release), REVISION: 6.1, GCID: 27863751, BOARD: t210ref, EABI: aarch64, "
           "DATE: Mon Jul 26 19:20:30 UTC 2021\n")
    for key, value in (("cur", 921600000), ("min", 921600000), ("max", 921600000)):
        _write(tmp_path, "sys/class/devfreq/57000000.gpu/{}_freq".format(key), str(value))
    _write(tmp_path, "dev/video0", "")
    return tmp_path


@pytest.fixture
def nvpmodel_maxn():
    """Stands for `nvpmodel -q` on a Nano in MAXN mode (its recorded output)."""
    def run(command):
        assert command == ["nvpmodel", "-q"]
        return 0, "NV Fan Mode:quiet\nNV Power Mode: MAXN\n0\n"
    return run
