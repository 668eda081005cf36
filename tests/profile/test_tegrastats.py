"""The tegrastats parser on lines in the formats each Jetson family prints (written after the
formats in NVIDIA's L4T documentation and users' published logs; values are made up)."""

import sys

import pytest

from edge_segnet.profile import tegrastats

TX1 = ("RAM 1130/3983MB (lfb 574x4MB) CPU [3%@102,2%@102,0%@102,0%@102] EMC_FREQ 0% "
       "GR3D_FREQ 0% PLL@18C CPU@21C PMIC@100C GPU@20C AO@27C thermal@20.5C")
TX2 = ("RAM 2203/7855MB (lfb 1210x4MB) SWAP 0/3927MB (cached 0MB) CPU [2%@345,off,off,1%@345,"
       "0%@345,0%@345] EMC_FREQ 7%@1866 GR3D_FREQ 61%@1300 PLL@33C MCPU@33C PMIC@100C "
       "Tboard@29C GPU@31.5C BCPU@33C thermal@32.4C Tdiode@30.25C VDD_SYS_GPU 1520/1412 "
       "VDD_SYS_SOC 609/609 VDD_4V0_WIFI 0/0 VDD_IN 5057/4980 VDD_SYS_CPU 228/228 "
       "VDD_SYS_DDR 851/840")
NANO = ("RAM 1575/3956MB (lfb 132x4MB) SWAP 0/1978MB (cached 0MB) IRAM 0/252kB(lfb 252kB) "
        "CPU [10%@1479,4%@1479,4%@1479,1%@1479] EMC_FREQ 23%@1600 GR3D_FREQ 99%@921 APE 25 "
        "PLL@29.5C CPU@32C PMIC@100C GPU@30.5C AO@38.5C thermal@31.25C POM_5V_IN 6565/6400 "
        "POM_5V_GPU 3200/3100 POM_5V_CPU 524/524")
XAVIER = ("RAM 2375/15690MB (lfb 2959x4MB) SWAP 0/7845MB (cached 0MB) CPU [1%@1190,0%@1190,"
          "0%@1190,0%@1190,off,off,off,off] EMC_FREQ 12%@2133 GR3D_FREQ 85%@1377 APE 150 "
          "MTS fg 0% bg 0% AO@36C GPU@36.5C Tdiode@39C PMIC@100C AUX@35.5C CPU@37C "
          "thermal@36.55C Tboard@36C GPU 4120/4000 CPU 153/153 SOC 1226/1226 CV 0/0 "
          "VDDRQ 306/306 SYS5V 1600/1600")
ORIN = ("11-21-2026 16:30:00 RAM 3020/30536MB (lfb 6484x4MB) SWAP 0/15268MB (cached 0MB) "
        "CPU [0%@729,1%@729,0%@729,0%@729] EMC_FREQ 9%@2133 GR3D_FREQ 70%@[1300,1300] "
        "VIC_FREQ 729 APE 174 CV0@-256C CPU@47.5C Tboard@36C SOC2@44.593C Tdiode@38.5C "
        "SOC0@44.5C CV1@-256C GPU@43.718C tj@47.5C SOC1@43.625C CV2@-256C "
        "VDD_GPU_SOC 9395mW/9100mW VDD_CPU_CV 1399mW/1399mW VIN_SYS_5V0 4322mW/4322mW "
        "NC 0mW/0mW VDDQ_VDD2_1V8AO 299mW/299mW")


def test_tx1_has_loads_and_temperatures_but_no_rails():
    sample = tegrastats.parse_line(TX1)
    assert sample["ram_used_mb"] == 1130 and sample["gpu_load"] == 0
    assert sample["temperatures"]["GPU"] == 20.0 and sample["temperatures"]["thermal"] == 20.5
    assert "rails_mw" not in sample and "gpu_mhz" not in sample


@pytest.mark.parametrize("line, rails, total, gpu_load, gpu_mhz, emc_mhz", [
    (TX2, {"VDD_SYS_GPU": 1520, "VDD_IN": 5057, "VDD_SYS_DDR": 851}, 5057, 61, 1300, 1866),
    (NANO, {"POM_5V_IN": 6565, "POM_5V_GPU": 3200, "POM_5V_CPU": 524}, 6565, 99, 921, 1600),
    (XAVIER, {"GPU": 4120, "CPU": 153, "SOC": 1226, "CV": 0, "VDDRQ": 306, "SYS5V": 1600},
     4120 + 153 + 1226 + 306 + 1600, 85, 1377, 2133),
    (ORIN, {"VDD_GPU_SOC": 9395, "VDD_CPU_CV": 1399, "VIN_SYS_5V0": 4322}, 4322, 70, 1300,
     2133),
])
def test_rails_loads_and_clocks_of_each_family(line, rails, total, gpu_load, gpu_mhz, emc_mhz):
    sample = tegrastats.parse_line(line)
    for name, value in rails.items():
        assert sample["rails_mw"][name] == value, name
    assert not {"RAM", "SWAP", "IRAM"} & set(sample["rails_mw"])
    assert tegrastats.total_power_mw(sample["rails_mw"]) == total
    assert (sample["gpu_load"], sample["gpu_mhz"], sample["emc_mhz"]) == (gpu_load, gpu_mhz,
                                                                          emc_mhz)


def test_orin_absent_sensors_are_dropped():
    temperatures = tegrastats.parse_line(ORIN)["temperatures"]
    assert "CV0" not in temperatures and temperatures["tj"] == 47.5


def test_summary_gives_means_and_energy_per_frame():
    samples = [tegrastats.parse_line(NANO), tegrastats.parse_line(NANO.replace(
        "POM_5V_IN 6565/6400", "POM_5V_IN 5565/6400").replace("GR3D_FREQ 99%", "GR3D_FREQ 79%"))]
    summary = tegrastats.summarize(samples, latency_ms=40.0)
    assert summary["gpu_load"] == {"mean": 89.0, "max": 99.0}
    assert summary["power_mw"] == 6065.0
    assert summary["energy_per_frame_mj"] == pytest.approx(6.065 * 40.0)
    assert summary["temperatures_c"]["GPU"] == 30.5
    assert "energy_per_frame_mj" not in tegrastats.summarize([tegrastats.parse_line(TX1)], 40.0)


def test_the_reader_collects_lines_from_a_running_process():
    """A Python child printing two Nano lines stands for tegrastats."""
    script = "import sys, time\nfor line in {!r}:\n    print(line, flush=True)\ntime.sleep(5)".format(
        [NANO, NANO])
    reader = tegrastats.TegrastatsReader(command=[sys.executable, "-c", script]).start()
    import time

    deadline = time.time() + 5
    while len(reader.samples) < 2 and time.time() < deadline:
        time.sleep(0.05)
    samples = reader.stop()
    assert len(samples) == 2 and samples[0]["rails_mw"]["POM_5V_IN"] == 6565
