"""tegrastats: its lines parsed for every Jetson family, and a reader running it alongside.

Line formats differ by board and L4T release: TX1 shows no power rails; TX2 ``VDD_IN 2057/2057``
(mW, current/average); Nano ``POM_5V_IN 2565/2565``; Xavier ``GPU 0/0 CPU 153/153 SOC ...``;
Orin ``VDD_GPU_SOC 2395mW/2395mW``. GPU load is ``GR3D_FREQ 12%`` or ``12%@921`` or
``12%@[305,305]``; temperatures ``GPU@31.5C``.
"""

import re
import shutil
import subprocess
import threading

import numpy as np

_RAM = re.compile(r"\bRAM (\d+)/(\d+)MB")
_LOAD = {"gpu_load": re.compile(r"\bGR3D_FREQ (\d+)%"),
         "emc_load": re.compile(r"\bEMC_FREQ (\d+)%")}
_FREQ = {"gpu_mhz": re.compile(r"\bGR3D_FREQ \d+%@\[?(\d+)"),
         "emc_mhz": re.compile(r"\bEMC_FREQ \d+%@(\d+)")}
_TEMPERATURE = re.compile(r"\b([A-Za-z][A-Za-z0-9_]*)@(-?\d+(?:\.\d+)?)C\b")
_RAIL = re.compile(r"\b([A-Z][A-Z0-9_]*) (\d+)(?:mW)?/(\d+)(?:mW)?\b")
# Rails that measure the whole module's input, by board family; otherwise rails are summed.
TOTAL_RAILS = ("VDD_IN", "POM_5V_IN", "VIN_SYS_5V0")
_NOT_RAILS = {"RAM", "SWAP", "IRAM", "EMC_FREQ", "GR3D_FREQ"}


def parse_line(line):
    """One tegrastats line -> {ram_used_mb, gpu_load, emc_load, gpu_mhz, emc_mhz,
    temperatures: {name: C}, rails_mw: {name: current mW}}; keys absent when not shown."""
    sample = {}
    ram = _RAM.search(line)
    if ram:
        sample["ram_used_mb"] = int(ram.group(1))
        sample["ram_total_mb"] = int(ram.group(2))
    for key, pattern in list(_LOAD.items()) + list(_FREQ.items()):
        match = pattern.search(line)
        if match:
            sample[key] = int(match.group(1))
    temperatures = {name: float(value) for name, value in _TEMPERATURE.findall(line)
                    if float(value) > -200}  # Orin reports absent sensors as -256C
    if temperatures:
        sample["temperatures"] = temperatures
    rails = {name: int(current) for name, current, _ in _RAIL.findall(line)
             if name not in _NOT_RAILS}
    if rails:
        sample["rails_mw"] = rails
    return sample


def total_power_mw(rails):
    """The module's input power: its total rail where the board has one, else the sum."""
    for name in TOTAL_RAILS:
        if name in rails:
            return rails[name]
    return sum(rails.values()) if rails else None


def summarize(samples, latency_ms=None):
    """Mean/max of everything seen, and energy per frame (mJ) when power and latency are known."""
    summary = {"samples": len(samples)}
    for key in ("gpu_load", "emc_load", "gpu_mhz", "emc_mhz", "ram_used_mb"):
        values = [s[key] for s in samples if key in s]
        if values:
            summary[key] = {"mean": float(np.mean(values)), "max": float(np.max(values))}
    rails = {}
    for sample in samples:
        for name, value in sample.get("rails_mw", {}).items():
            rails.setdefault(name, []).append(value)
    if rails:
        summary["rails_mw"] = {name: {"mean": float(np.mean(v)), "max": float(np.max(v))}
                               for name, v in rails.items()}
        totals = [total_power_mw(s["rails_mw"]) for s in samples if s.get("rails_mw")]
        summary["power_mw"] = float(np.mean(totals))
        if latency_ms:
            summary["energy_per_frame_mj"] = summary["power_mw"] * latency_ms / 1000.0
    temperatures = {}
    for sample in samples:
        for name, value in sample.get("temperatures", {}).items():
            temperatures.setdefault(name, []).append(value)
    if temperatures:
        summary["temperatures_c"] = {name: float(np.max(v)) for name, v in temperatures.items()}
    return summary


class TegrastatsReader(object):
    """Runs ``tegrastats --interval MS`` in the background and collects parsed lines."""

    def __init__(self, interval_ms=100, command=None):
        self.command = command or ["tegrastats", "--interval", str(interval_ms)]
        self.samples = []
        self._process = None
        self._thread = None

    @staticmethod
    def available():
        return shutil.which("tegrastats") is not None

    def start(self):
        self._process = subprocess.Popen(self.command, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        return self

    def _read(self):
        for raw in self._process.stdout:
            sample = parse_line(raw.decode("utf-8", "replace"))
            if sample:
                self.samples.append(sample)

    def stop(self):
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._thread.join(timeout=2)
        return self.samples
