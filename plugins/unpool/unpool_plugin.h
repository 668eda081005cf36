// The TensorRT plugin around the unpooling kernel: op "EdgeSegnetUnpool", version "1", the
// node `edge-segnet prepare` writes. Inputs: (values N x C x H/2 x W/2, pooled N x C x H x W);
// output N x C x H x W; attributes kernel_shape = strides = [2, 2].
//
// IPluginV2DynamicExt + IPluginCreator build on TensorRT 8.2 ... 11.x; from TensorRT 10 on the
// IPluginV3 classes are built too and are the ones registered (the V2 classes are deprecated
// there; define EDGE_SEGNET_REGISTER_V2 to register those instead).
//
// The same classes go into two libraries, because TensorRT has two ways of loading one and they
// exclude each other (IPluginRegistry::loadLibrary fails when a creator it is handed is
// registered already):
//   libedge_segnet_plugins.so          registers its creator when loaded (unpool_registration.cpp):
//                                      ctypes/dlopen, trtexec --plugins/--staticPlugins;
//   libedge_segnet_plugins_dynamic.so  (TensorRT 8.6+) registers nothing itself and exports the
//                                      entry points loadLibrary calls (unpool_entry_points.cpp):
//                                      trtexec --dynamicPlugins, --setPluginsToSerialize.
#ifndef EDGE_SEGNET_UNPOOL_PLUGIN_H
#define EDGE_SEGNET_UNPOOL_PLUGIN_H

#include "NvInfer.h"
#include "NvInferRuntime.h"
#include "NvInferVersion.h"

#include <cstdint>
#include <string>
#include <vector>

#if NV_TENSORRT_MAJOR >= 10 && !defined(EDGE_SEGNET_REGISTER_V2)
#define EDGE_SEGNET_REGISTER_V3 1
#endif

// The V2 interfaces carry [[deprecated]] from TensorRT 8.5 on (IPluginV2, which the V2 creator
// must return; all of them from 10). The V2 sources silence that warning, and only that one.
#if NV_TENSORRT_MAJOR > 8 || (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR >= 5)
#define EDGE_SEGNET_V2_DEPRECATED 1
#endif

// ILoggerFinder, setLoggerFinder and IPluginRegistry::loadLibrary exist from TensorRT 8.6 on.
#if NV_TENSORRT_MAJOR > 8 || (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR >= 6)
#define EDGE_SEGNET_HAS_LOAD_LIBRARY 1
#endif

// INT8 input/output. Moving an INT8 code from the values tensor into the output is right only
// when the code is requantised by values.scale / output.scale (or the two scales are equal), so
// the plugin needs both scales. TensorRT hands them to a plugin in PluginTensorDesc::scale only
// under implicit quantization (calibration or per-tensor dynamic ranges, TensorRT 8.x-10.x).
// Under explicit quantization (Q/DQ layers; the only INT8 TensorRT 11 has, and the only one a
// strongly typed network allows) the scales belong to the Q/DQ layers and the descriptors carry
// -1, which the PluginTensorDesc documentation defines as "invalid"; NVIDIA's own INT8 plugins
// take explicit-mode scales as node attributes for that reason (bertQKVToContext:
// use_explicit_int8, input_qkv_scale, output_ctx_scale). Passing the codes through there would
// assume equal scales and give wrong values without a word. So:
//   - TensorRT 11+: INT8 is not offered in supportsFormatCombination at all (scales never come);
//   - before 11: INT8 is offered, and configurePlugin, onShapeChange and enqueue refuse INT8
//     tensors whose values or output scale is not positive, with a message that says why.
// The pooled tensor needs no scale: a positive per-tensor scale keeps the order of the codes,
// and only their order decides each window's switch. An explicitly quantized graph runs the
// plugin in FP16/FP32 between a DequantizeLinear and a QuantizeLinear instead.
#if NV_TENSORRT_MAJOR < 11
#define EDGE_SEGNET_INT8_IO 1
#endif

namespace edge_segnet
{

constexpr char const* kUNPOOL_PLUGIN_NAME = "EdgeSegnetUnpool";
constexpr char const* kUNPOOL_PLUGIN_VERSION = "1";

// The attributes both plugin generations share, parsed and checked once.
struct UnpoolAttributes
{
    int32_t kernelShape[2]{2, 2};
    int32_t strides[2]{2, 2};

    // Reads kernel_shape and strides; false (with `error` set) when absent types, sizes or
    // values other than 2x2 stride 2 are given.
    bool parse(nvinfer1::PluginFieldCollection const* fields, std::string& error);
};

// The fields a creator declares.
std::vector<nvinfer1::PluginField>& unpoolFieldDeclarations();

// Logs through TensorRT's logger (the one setLoggerFinder handed over, else getLogger()); the
// failing call then returns its error value.
void reportError(std::string const& message) noexcept;

#if EDGE_SEGNET_HAS_LOAD_LIBRARY
// Keeps the finder loadLibrary passes to setLoggerFinder, for reportError.
void setPluginLoggerFinder(nvinfer1::ILoggerFinder* finder) noexcept;
#endif

// Parses a creator's fields for node `name`, reporting what is wrong; false on failure.
bool parseNodeAttributes(char const* name, nvinfer1::PluginFieldCollection const* fields,
    UnpoolAttributes& attributes) noexcept;

// Copies a namespace string (nullptr means ""), reporting a failed allocation.
void storeNamespace(std::string& target, char const* value) noexcept;

// Format rules both generations apply: linear layout, one type for all tensors, FP32, FP16 or
// (before TensorRT 11, see EDGE_SEGNET_INT8_IO) INT8, which keeps an implicitly quantized INT8
// engine free of reformat layers around the plugin.
bool supportsUnpoolCombination(int32_t pos, nvinfer1::PluginTensorDesc const* inOut, int32_t nbInputs,
    int32_t nbOutputs) noexcept;

// Checks two 4-D inputs of matching N and C, and values of the pooled size (unknown sizes, -1,
// pass); false with `error` set otherwise.
bool checkUnpoolShapes(nvinfer1::Dims const& values, nvinfer1::Dims const& pooled, std::string& error) noexcept;

// INT8 tensors need known (positive) values and output scales (see EDGE_SEGNET_INT8_IO); false
// with `error` set when they are INT8 without them. Other types always pass.
bool checkUnpoolScales(nvinfer1::PluginTensorDesc const& values, nvinfer1::PluginTensorDesc const& output,
    std::string& error) noexcept;

// Runs the kernel for the given tensors: switches on the type and forwards.
int32_t enqueueUnpool(nvinfer1::PluginTensorDesc const* inputDesc, nvinfer1::PluginTensorDesc const* outputDesc,
    void const* const* inputs, void* const* outputs, cudaStream_t stream) noexcept;

} // namespace edge_segnet

#endif // EDGE_SEGNET_UNPOOL_PLUGIN_H
