"""The FP16 check: an FP16 graph against its FP32 original on ONNX Runtime, as prepare --fp16
runs it (the CLI hands it to prepare)."""

import re

import onnx
import pytest

from edge_segnet import prepare
from edge_segnet.checks import fp16 as fp16_check
from edge_segnet.graph import fp16

pytest.importorskip("onnxconverter_common.float16",
                    reason="onnxconverter-common is not installed (edge-segnet[fp16])")


def test_prepare_fp16_converts_checks_and_records_it(tmp_path):
    pytest.importorskip("onnxruntime", reason="the FP16 check runs on ONNX Runtime")
    from edge_segnet.models import metadata, shipped

    options = prepare.PrepareOptions(embed_preprocess=True, input_type="float32", argmax=True,
                                     keep_logits=True, fp16=True)
    out = str(tmp_path / "half.onnx")
    reports = prepare.prepare_file(shipped.synthetic_model_path(), out, options,
                                   check_fp16=fp16_check.prepare_pass)
    by_name = {report.name: report.changes for report in reports}
    assert "fp16" in by_name and "I/O kept" in by_name["fp16"][0]
    check = by_name["fp16-check"][0]
    # The synthetic-scene model on synthetic frames, both fed as the metadata says (a check
    # before the metadata is written feeds the graphs wrongly: 93% here).
    assert float(re.search(r"label agreement ([0-9.]+)%", check).group(1)) >= 99.5
    # which arithmetic ran is said, not assumed
    assert "FP32 arithmetic" in check or "FP16 arithmetic" in check
    model = onnx.load(out)
    assert fp16.is_fp16(model)
    assert metadata.ModelInfo.from_model(model).extra["prepared"]["fp16"] is True
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT


def test_without_the_check_prepare_reports_no_fp16_check(tmp_path):
    from edge_segnet.models import shipped

    reports = prepare.prepare_file(shipped.synthetic_model_path(), str(tmp_path / "half.onnx"),
                                   prepare.PrepareOptions(argmax=True, fp16=True))
    assert "fp16" in [report.name for report in reports]
    assert "fp16-check" not in [report.name for report in reports]


def test_the_check_says_it_did_not_run_without_onnxruntime(monkeypatch):
    from edge_segnet import optional

    monkeypatch.setattr(optional, "try_import", lambda name: None)
    assert fp16_check.prepare_pass(None, None) == ["not run: onnxruntime is not installed"]
