// The TensorRT plugin around the unpooling kernel: op "EdgeSegnetUnpool", version "1", the
// node `edge-segnet prepare` writes. Inputs: (values N x C x H/2 x W/2, pooled N x C x H x W);
// output N x C x H x W; attributes kernel_shape = strides = [2, 2].
//
// IPluginV2DynamicExt + IPluginCreator build on TensorRT 8.2 ... 11.x; from TensorRT 10 on the
// IPluginV3 classes are built too and are the ones registered (the V2 classes are deprecated
// there; define EDGE_SEGNET_REGISTER_V2 to register those instead).
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

// Logs through TensorRT's logger; the failing call then returns its error value.
void reportError(std::string const& message) noexcept;

// Parses a creator's fields for node `name`, reporting what is wrong; false on failure.
bool parseNodeAttributes(char const* name, nvinfer1::PluginFieldCollection const* fields,
    UnpoolAttributes& attributes) noexcept;

// Copies a namespace string (nullptr means ""), reporting a failed allocation.
void storeNamespace(std::string& target, char const* value) noexcept;

// Format rules both generations apply: linear layout, one type for all tensors, FP32, FP16 or
// INT8 (INT8 keeps an INT8 engine free of reformat layers around the plugin).
bool supportsUnpoolCombination(int32_t pos, nvinfer1::PluginTensorDesc const* inOut, int32_t nbInputs,
    int32_t nbOutputs) noexcept;

// Checks two 4-D inputs of matching N and C, and values of the pooled size (unknown sizes, -1,
// pass); false with `error` set otherwise.
bool checkUnpoolShapes(nvinfer1::Dims const& values, nvinfer1::Dims const& pooled, std::string& error) noexcept;

// Runs the kernel for the given tensors: switches on the type and forwards.
int32_t enqueueUnpool(nvinfer1::PluginTensorDesc const* inputDesc, nvinfer1::PluginTensorDesc const* outputDesc,
    void const* const* inputs, void* const* outputs, cudaStream_t stream) noexcept;

} // namespace edge_segnet

#endif // EDGE_SEGNET_UNPOOL_PLUGIN_H
