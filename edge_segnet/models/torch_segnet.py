"""The zoo's SegNets in PyTorch, for training and export (the ``train`` extra).

Parameter names equal the ``.npz`` names ``export-model --weights`` reads (``enc1.conv.weight``,
``dec4.bn.running_var``, ``classifier.weight``, ...), so a trained state dict can go either
way: through ``tools/export_pytorch.py`` or as an ``.npz`` into the ONNX model zoo.
"""

from edge_segnet import optional

torch = optional.require("torch", "the PyTorch SegNet")
nn = torch.nn
F = torch.nn.functional


class ConvBlock(nn.Module):
    def __init__(self, in_channels, out_channels, kernel, relu):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = relu

    def forward(self, x):
        x = self.bn(self.conv(x))
        return F.relu(x) if self.relu else x


def plain_unpool(values, indices, like):
    return F.max_unpool2d(values, indices, 2, 2, output_size=like.shape[-2:])


class SegNet(nn.Module):
    """A SegNet of a ``SegNetSpec``: 2x2 max-pooling with indices, unpooling with them.

    ``dropout`` is Bayesian SegNet's central dropout (SegNet-Tutorial's
    bayesian_segnet_basic_train.prototxt: ratio 0.5 on pool3, pool4, conv_decode4 and
    conv_decode3): element-wise, on the pooled output of the deeper half of the encoder stages
    and on the output of the same decoder stages. It acts in training only, has no parameters
    (the state dict and the exported graph are those of the plain net) and is not MC dropout:
    inference is the one deterministic pass deployment runs.
    """

    def __init__(self, spec, class_count, dropout=0.0):
        super().__init__()
        self.spec = spec
        self.class_count = class_count
        self.dropout = dropout
        self.blocks = []
        for name, in_channels, out_channels, kernel, relu in spec.layers():
            if name == "classifier":
                self.classifier = nn.Conv2d(in_channels, class_count, kernel,
                                            padding=kernel // 2, bias=spec.classifier_bias)
            else:
                setattr(self, name, ConvBlock(in_channels, out_channels, kernel, relu))
                self.blocks.append(name)
        # Swapped by the export tool for a function that exports as ONNX MaxUnpool.
        self.unpool = plain_unpool

    def _stage_blocks(self, prefix, stage):
        return [getattr(self, name) for name in self.blocks
                if name == "{}{}".format(prefix, stage)
                or name.startswith("{}{}_".format(prefix, stage))]

    def _central(self, stage):
        return self.dropout and self.training and stage > self.spec.stages // 2

    def forward(self, x):
        skips = []
        for stage in range(1, self.spec.stages + 1):
            for block in self._stage_blocks("enc", stage):
                x = block(x)
            pooled, indices = F.max_pool2d(x, 2, 2, return_indices=True)
            skips.append((indices, x))
            x = F.dropout(pooled, self.dropout) if self._central(stage) else pooled
        for stage in range(self.spec.stages, 0, -1):
            indices, like = skips[stage - 1]
            x = self.unpool(x, indices, like)
            for block in self._stage_blocks("dec", stage):
                x = block(x)
            if self._central(stage):
                x = F.dropout(x, self.dropout)
        return self.classifier(x)

    def numpy_weights(self):
        """{npz name: array}: what ``export-model --weights`` reads."""
        return {name: tensor.detach().cpu().numpy() for name, tensor in
                self.state_dict().items() if not name.endswith("num_batches_tracked")}
