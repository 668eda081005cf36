"""PyTorch SegNets exported by both routes (train extra; see tests/conftest.py)."""

import numpy as np
import onnx
import pytest

pytest.importorskip("torch", reason="PyTorch is not installed (README, Training: the CPU build)")

from edge_segnet import prepare as prepare_module
from edge_segnet.models import torch_export as export_pytorch
from edge_segnet.models import zoo
from edge_segnet.models.torch_segnet import torch

from ..graph.conftest import run

SIZE = (36, 52)


@pytest.fixture(scope="module")
def model():
    return export_pytorch.build_model("segnet-basic", 5, width=8, kernel=3, seed=2)


def _torch_logits(model, array):
    with torch.no_grad():
        return model(torch.from_numpy(array)).numpy()


@pytest.mark.parametrize("route, marker_op", [("torchscript", "MaxUnpool"),
                                              ("dynamo", "ScatterND")])
def test_both_routes_export_graphs_that_match_pytorch_before_and_after_prepare(
        model, route, marker_op):
    exported = export_pytorch.export(model, route, SIZE)
    assert marker_op in {node.op_type for node in exported.graph.node}
    array = np.random.RandomState(0).standard_normal((1, 3) + SIZE).astype(np.float32)
    expected = _torch_logits(model, array)
    assert np.abs(run(exported, array) - expected).max() <= 1e-4
    for form in ("native", "plugin"):
        prepared, _ = prepare_module.prepare(exported.__deepcopy__(), prepare_module
                                             .PrepareOptions(input_size=SIZE,
                                                             unpool_form=form))
        assert np.abs(run(prepared, array) - expected).max() <= 1e-4


def test_torchscript_route_writes_opset_13_ir_7(model):
    exported = export_pytorch.export(model, "torchscript", SIZE)
    assert exported.opset_import[0].version == 13 and exported.ir_version == 7


def test_state_dict_names_are_the_npz_names_of_the_onnx_zoo(tmp_path):
    full = export_pytorch.build_model("segnet-basic", 12, seed=4)
    with torch.no_grad():
        for module in full.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    weights = str(tmp_path / "w.npz")
    np.savez(weights, **full.numpy_weights())
    onnx_model = zoo.create("segnet-basic", input_size=SIZE, weights_path=weights)
    stored = {init.name: onnx.numpy_helper.to_array(init) for init in
              onnx_model.graph.initializer}
    for name, tensor in full.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            assert np.array_equal(stored[name], tensor.numpy()), name
    # Same network: outputs agree up to the summation order of two convolution libraries
    # (which can flip a near-tie in a pooling window, so no bitwise comparison).
    array = np.random.RandomState(1).standard_normal((1, 3) + SIZE).astype(np.float32)
    ours, theirs = run(onnx_model, array), _torch_logits(full, array)
    difference = np.abs(ours - theirs)
    assert np.median(difference) <= 1e-6
    # A flipped near-tie moves an unpooled value, and the convolutions after it spread that
    # over its neighbourhood: 88.6% of the outputs agree within 1e-4 here (measured). Wrong
    # weights or a wrong layer leave next to none; half the outputs wrong fails too.
    assert np.mean(difference <= 1e-4) >= 0.8
    assert (ours.argmax(1) == theirs.argmax(1)).mean() >= 0.995


def test_the_unpooling_is_restored_after_a_torchscript_export(model):
    export_pytorch.export(model, "torchscript", SIZE)
    array = np.zeros((1, 3) + SIZE, np.float32)
    with torch.no_grad():
        model(torch.from_numpy(array))  # plain PyTorch again: trains and runs as before
    from edge_segnet.models.torch_segnet import plain_unpool

    assert model.unpool is plain_unpool


def test_central_dropout_acts_in_training_only_and_leaves_weights_and_export_alone():
    plain = export_pytorch.build_model("segnet-basic", 5, width=8, kernel=3, seed=2)
    dropped = export_pytorch.build_model("segnet-basic", 5, width=8, kernel=3, seed=2,
                                         dropout=0.5)
    assert list(dropped.state_dict()) == list(plain.state_dict())
    x = torch.from_numpy(np.random.RandomState(1).standard_normal((2, 3) + SIZE)
                         .astype(np.float32))
    with torch.no_grad():
        assert torch.equal(dropped(x), plain(x))  # both as built: eval mode
        dropped.train()
        plain.train()
        torch.manual_seed(0)
        first, second, without = dropped(x), dropped(x), plain(x)
    assert not torch.allclose(first, second)  # a new mask each pass
    assert not torch.allclose(first, without)
    dropped.load_state_dict(plain.state_dict())  # the batch statistics those passes moved
    dropped.eval()
    plain.eval()
    exported = export_pytorch.export(dropped, "torchscript", SIZE)
    assert "Dropout" not in {node.op_type for node in exported.graph.node}
    array = x[:1].numpy()
    assert np.abs(run(exported, array) - _torch_logits(plain, array)).max() <= 1e-4
