"""SegNet graphs written directly in ONNX, in the form users' exports have: MaxPool with its
``Indices`` output feeding MaxUnpool.

One builder serves every variant; a ``SegNetSpec`` says how many stages, convolutions, features
and which kernel sizes.
"""

from onnx import TensorProto, helper, numpy_helper

from edge_segnet.graph.shapes import static_shapes

# ONNX Runtime 1.10 (JetPack 4.6) reads IR <= 8 and opset <= 15; TensorRT 8.2's parser opset <=
# 13. onnx >= 1.20 would otherwise stamp an IR version these cannot read.
OPSET = 13
IR_VERSION = 7
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
BN_EPSILON = 1e-5


class SegNetSpec(object):
    """Layer structure of a SegNet variant.

    ``encoder[s]`` lists the output features of stage ``s``'s convolutions (each Conv, BN, ReLU),
    each stage ending in a 2x2/2 MaxPool with indices. ``decoder`` lists the stages from the
    deepest up; each starts with MaxUnpool and then has its convolutions (Conv, BN and ReLU when
    ``decoder_relu``). A classifier convolution then maps to the classes.
    """

    def __init__(self, name, encoder, decoder, kernel, decoder_relu, classifier_kernel,
                 classifier_bias, description):
        if len(encoder) != len(decoder):
            raise ValueError("encoder and decoder need the same number of stages")
        self.name = name
        self.encoder = [list(stage) for stage in encoder]
        self.decoder = [list(stage) for stage in decoder]
        self.kernel = kernel
        self.decoder_relu = decoder_relu
        self.classifier_kernel = classifier_kernel
        self.classifier_bias = classifier_bias
        self.description = description

    @property
    def stages(self):
        return len(self.encoder)

    def scaled(self, width=None, kernel=None):
        """This structure with every feature count scaled so that the first is ``width``
        (and another kernel size), e.g. a narrow SegNet-Basic for CPU training."""
        ratio = float(width) / self.encoder[0][0] if width else 1.0
        scale = lambda stages: [[max(1, int(round(f * ratio))) for f in stage]  # noqa: E731
                                for stage in stages]
        return SegNetSpec(
            name=self.name, encoder=scale(self.encoder), decoder=scale(self.decoder),
            kernel=kernel or self.kernel, decoder_relu=self.decoder_relu,
            classifier_kernel=self.classifier_kernel, classifier_bias=self.classifier_bias,
            description="{} (width {}, kernel {})".format(self.description, width or "as is",
                                                         kernel or self.kernel))

    def layers(self):
        """(name, in features, out features, kernel, relu) of every convolution block in
        execution order, then the classifier as ('classifier', in, None, kernel, False)."""
        blocks, channels = [], 3
        for stage_index, features in enumerate(self.encoder, 1):
            for conv_index, out_channels in enumerate(features, 1):
                blocks.append((_layer_name("enc", stage_index, conv_index, len(features)),
                               channels, out_channels, self.kernel, True))
                channels = out_channels
        for depth, features in enumerate(self.decoder):
            stage_index = self.stages - depth
            for conv_index, out_channels in enumerate(features, 1):
                blocks.append((_layer_name("dec", stage_index, conv_index, len(features)),
                               channels, out_channels, self.kernel, self.decoder_relu))
                channels = out_channels
        blocks.append(("classifier", channels, None, self.classifier_kernel, False))
        return blocks


# Badrinarayanan et al., "SegNet", TPAMI 2017, section 3.2: four encoders of 7x7 conv with 64
# features, BN, ReLU and 2x2 max-pooling; four decoders of unpooling, 7x7 conv with 64 features
# and BN without ReLU; a 1x1 classifier.
SEGNET_BASIC = SegNetSpec(
    name="segnet-basic",
    encoder=[[64], [64], [64], [64]],
    decoder=[[64], [64], [64], [64]],
    kernel=7,
    decoder_relu=False,
    classifier_kernel=1,
    classifier_bias=False,
    description="SegNet-Basic (paper): 4 encoders/decoders, 7x7 conv, 64 features, 1.42 M params",
)

# The VGG16-based SegNet (13 conv encoder; decoder mirrored, last decoder conv being a 3x3
# classifier), as in SegNet-Tutorial's segnet_train.prototxt and the neon write-up.
SEGNET_VGG16 = SegNetSpec(
    name="segnet-vgg16",
    encoder=[[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
    decoder=[[512, 512, 512], [512, 512, 256], [256, 256, 128], [128, 64], [64]],
    kernel=3,
    decoder_relu=True,
    classifier_kernel=3,
    classifier_bias=True,
    description="VGG16-SegNet: 13-conv VGG16 encoder, mirrored decoder, 29.4 M params",
)


def _layer_name(prefix, stage, index, count):
    return "{}{}".format(prefix, stage) if count == 1 else "{}{}_{}".format(prefix, stage, index)


class _GraphWriter(object):
    """Collects nodes and initializers; weights come from a weight source by name."""

    def __init__(self, weights):
        self.weights = weights
        self.nodes = []
        self.initializers = []

    def _tensor(self, name, shape):
        array = self.weights.get(name, shape)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def conv(self, name, x, in_channels, out_channels, kernel, bias=True, out=None):
        inputs = [x, self._tensor(name + ".weight", (out_channels, in_channels, kernel, kernel))]
        if bias:
            inputs.append(self._tensor(name + ".bias", (out_channels,)))
        pad = kernel // 2
        out = out or name + ".out"
        self.nodes.append(helper.make_node(
            "Conv", inputs, [out], name=name, kernel_shape=[kernel, kernel],
            pads=[pad, pad, pad, pad], strides=[1, 1],
        ))
        return out

    def batch_norm(self, name, x, channels):
        params = [self._tensor(name + suffix, (channels,))
                  for suffix in (".weight", ".bias", ".running_mean", ".running_var")]
        out = name + ".out"
        self.nodes.append(helper.make_node(
            "BatchNormalization", [x] + params, [out], name=name, epsilon=BN_EPSILON,
        ))
        return out

    def relu(self, name, x):
        out = name + ".out"
        self.nodes.append(helper.make_node("Relu", [x], [out], name=name))
        return out

    def conv_block(self, name, x, in_channels, out_channels, kernel, relu):
        y = self.conv(name + ".conv", x, in_channels, out_channels, kernel)
        y = self.batch_norm(name + ".bn", y, out_channels)
        return self.relu(name + ".relu", y) if relu else y

    def pool_with_indices(self, name, x):
        """2x2/2 MaxPool returning (pooled, indices, shape of x for the matching unpool)."""
        pooled, indices, shape = name + ".out", name + ".indices", name + ".input_shape"
        self.nodes.append(helper.make_node(
            "MaxPool", [x], [pooled, indices], name=name, kernel_shape=[2, 2], strides=[2, 2],
        ))
        # The unpool restores the pre-pool size even when a side was odd; exporters pass it the
        # same way (output_shape from Shape of the pooled tensor's input).
        self.nodes.append(helper.make_node("Shape", [x], [shape], name=name + ".shape"))
        return pooled, indices, shape

    def unpool(self, name, x, indices, shape):
        out = name + ".out"
        self.nodes.append(helper.make_node(
            "MaxUnpool", [x, indices, shape], [out], name=name, kernel_shape=[2, 2],
            strides=[2, 2],
        ))
        return out


def build(spec, weights, class_count, input_size):
    """The spec as an ONNX ModelProto with a static 1x3xHxW float input and logits out."""
    height, width = input_size
    writer = _GraphWriter(weights)
    x, channels = INPUT_NAME, 3
    skips = []
    for stage_index, features in enumerate(spec.encoder, 1):
        for conv_index, out_channels in enumerate(features, 1):
            name = _layer_name("enc", stage_index, conv_index, len(features))
            x = writer.conv_block(name, x, channels, out_channels, spec.kernel, relu=True)
            channels = out_channels
        x, indices, shape = writer.pool_with_indices("pool{}".format(stage_index), x)
        skips.append((indices, shape))
    for depth, features in enumerate(spec.decoder):
        stage_index = spec.stages - depth
        indices, shape = skips[stage_index - 1]
        x = writer.unpool("unpool{}".format(stage_index), x, indices, shape)
        for conv_index, out_channels in enumerate(features, 1):
            name = _layer_name("dec", stage_index, conv_index, len(features))
            x = writer.conv_block(name, x, channels, out_channels, spec.kernel,
                                  relu=spec.decoder_relu)
            channels = out_channels
    writer.conv("classifier", x, channels, class_count, spec.classifier_kernel,
                bias=spec.classifier_bias, out=OUTPUT_NAME)
    weights.finish()

    graph = helper.make_graph(
        writer.nodes,
        spec.name.replace("-", "_"),
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 3, height, width])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT,
                                       [1, class_count, height, width])],
        initializer=writer.initializers,
    )
    model = helper.make_model(
        graph,
        producer_name="edge-segnet",
        opset_imports=[helper.make_opsetid("", OPSET)],
        doc_string=spec.description,
    )
    model.ir_version = IR_VERSION
    return model


def parameter_count(model):
    """Learnable parameters: convolution weights and biases, batch-norm scales and shifts."""
    sizes = {init.name: _size(init) for init in model.graph.initializer}
    total = 0
    for node in model.graph.node:
        if node.op_type == "Conv":
            total += sum(sizes.get(name, 0) for name in node.input[1:])
        elif node.op_type == "BatchNormalization":
            total += sum(sizes.get(name, 0) for name in node.input[1:3])
    return total


def multiply_accumulates(model):
    """Multiply-accumulates of the convolutions of a model with a static input."""
    shapes = static_shapes(model)
    weights = {init.name: list(init.dims) for init in model.graph.initializer}
    total = 0
    for node in model.graph.node:
        if node.op_type == "Conv":
            total += _product(shapes[node.output[0]]) * _product(weights[node.input[1]][1:])
    return total


def _size(initializer):
    return _product(initializer.dims)


def _product(values):
    result = 1
    for value in values:
        result *= int(value)
    return result
