// What both plugin generations share: attributes, format rules, shape checks, enqueue,
// error reporting; and the library's registration and exported entry points.
#include "unpool_plugin.h"

#include "unpool_kernel.h"
#include "unpool_plugin_v2.h"
#if EDGE_SEGNET_REGISTER_V3
#include "unpool_plugin_v3.h"
#endif

#include <cmath>
#include <cstring>

using namespace nvinfer1;

namespace edge_segnet
{

std::vector<PluginField>& unpoolFieldDeclarations()
{
    static std::vector<PluginField> fields{
        PluginField{"kernel_shape", nullptr, PluginFieldType::kINT32, 2},
        PluginField{"strides", nullptr, PluginFieldType::kINT32, 2},
    };
    return fields;
}

bool UnpoolAttributes::parse(PluginFieldCollection const* fields, std::string& error)
{
    if (fields == nullptr)
    {
        return true;
    }
    if (fields->nbFields > 0 && fields->fields == nullptr)
    {
        error = "plugin field collection has no fields array";
        return false;
    }
    for (int32_t i = 0; i < fields->nbFields; ++i)
    {
        PluginField const& field = fields->fields[i];
        if (field.name == nullptr)
        {
            continue;
        }
        int32_t* target = nullptr;
        if (std::strcmp(field.name, "kernel_shape") == 0)
        {
            target = kernelShape;
        }
        else if (std::strcmp(field.name, "strides") == 0)
        {
            target = strides;
        }
        else
        {
            continue; // other attributes of the node mean nothing to this op
        }
        if (field.type != PluginFieldType::kINT32 || field.length != 2 || field.data == nullptr)
        {
            error = std::string(field.name) + " must be two INT32 values";
            return false;
        }
        std::memcpy(target, field.data, 2 * sizeof(int32_t));
    }
    if (kernelShape[0] != 2 || kernelShape[1] != 2 || strides[0] != 2 || strides[1] != 2)
    {
        error = "only kernel_shape [2, 2] with strides [2, 2] is supported, got kernel_shape ["
            + std::to_string(kernelShape[0]) + ", " + std::to_string(kernelShape[1]) + "] strides ["
            + std::to_string(strides[0]) + ", " + std::to_string(strides[1]) + "]";
        return false;
    }
    return true;
}

void reportError(std::string const& message) noexcept
{
    try
    {
        std::string const text = std::string(kUNPOOL_PLUGIN_NAME) + ": " + message;
        ILogger* logger = getLogger();
        if (logger != nullptr)
        {
            logger->log(ILogger::Severity::kERROR, text.c_str());
        }
    }
    catch (...)
    {
        // Nothing can be reported without memory; the caller still returns its error value.
    }
}

bool parseNodeAttributes(char const* name, PluginFieldCollection const* fields, UnpoolAttributes& attributes) noexcept
{
    try
    {
        std::string error;
        if (attributes.parse(fields, error))
        {
            return true;
        }
        reportError(std::string("node ") + (name != nullptr ? name : "?") + ": " + error);
    }
    catch (std::exception const& error)
    {
        reportError(std::string("cannot read the node's attributes: ") + error.what());
    }
    return false;
}

void storeNamespace(std::string& target, char const* value) noexcept
{
    try
    {
        target = value == nullptr ? "" : value;
    }
    catch (...)
    {
        reportError("cannot store the plugin namespace");
    }
}

bool supportsUnpoolCombination(
    int32_t pos, PluginTensorDesc const* inOut, int32_t nbInputs, int32_t nbOutputs) noexcept
{
    if (inOut == nullptr || nbInputs != 2 || nbOutputs != 1 || pos < 0 || pos >= nbInputs + nbOutputs)
    {
        return false;
    }
    PluginTensorDesc const& desc = inOut[pos];
    if (desc.format != TensorFormat::kLINEAR)
    {
        return false;
    }
    if (pos == 0)
    {
        return desc.type == DataType::kFLOAT || desc.type == DataType::kHALF || desc.type == DataType::kINT8;
    }
    // Later positions follow the first: one type throughout.
    return desc.type == inOut[0].type;
}

bool checkUnpoolShapes(Dims const& values, Dims const& pooled, std::string& error) noexcept
{
    if (values.nbDims != 4 || pooled.nbDims != 4)
    {
        error = "inputs must be 4-D (N, C, H, W), got " + std::to_string(values.nbDims) + "-D values and "
            + std::to_string(pooled.nbDims) + "-D pooled tensor";
        return false;
    }
    auto known = [](int64_t a, int64_t b) { return a < 0 || b < 0 || a == b; };
    for (int32_t axis = 0; axis < 2; ++axis)
    {
        if (!known(values.d[axis], pooled.d[axis]))
        {
            error = "values and pooled tensor differ in dimension " + std::to_string(axis);
            return false;
        }
    }
    for (int32_t axis = 2; axis < 4; ++axis)
    {
        if (pooled.d[axis] >= 0 && !known(values.d[axis], pooled.d[axis] / 2))
        {
            error = "values dimension " + std::to_string(axis) + " is " + std::to_string(values.d[axis])
                + " but the 2x2 pooling of " + std::to_string(pooled.d[axis]) + " gives "
                + std::to_string(pooled.d[axis] / 2);
            return false;
        }
    }
    return true;
}

int32_t enqueueUnpool(PluginTensorDesc const* inputDesc, PluginTensorDesc const* outputDesc,
    void const* const* inputs, void* const* outputs, cudaStream_t stream) noexcept
{
    if (inputDesc == nullptr || outputDesc == nullptr || inputs == nullptr || outputs == nullptr)
    {
        reportError("enqueue called without tensors");
        return -1;
    }
    Dims const& pooled = inputDesc[1].dims;
    UnpoolParams params{};
    params.values = inputs[0];
    params.pooled = inputs[1];
    params.output = outputs[0];
    params.planes = static_cast<int64_t>(pooled.d[0]) * pooled.d[1];
    params.height = static_cast<int32_t>(pooled.d[2]);
    params.width = static_cast<int32_t>(pooled.d[3]);
    params.requantScale = 1.0F;
    switch (inputDesc[0].type)
    {
    case DataType::kFLOAT: params.type = UnpoolType::kFLOAT; break;
    case DataType::kHALF: params.type = UnpoolType::kHALF; break;
    case DataType::kINT8:
        params.type = UnpoolType::kINT8;
        // Values move unchanged when input and output share a scale; otherwise requantise.
        if (inputDesc[0].scale > 0.0F && outputDesc[0].scale > 0.0F)
        {
            params.requantScale = inputDesc[0].scale / outputDesc[0].scale;
            if (std::fabs(params.requantScale - 1.0F) < 1e-6F)
            {
                params.requantScale = 1.0F;
            }
        }
        break;
    default: reportError("unsupported data type"); return -1;
    }
    cudaError_t const status = launchUnpool(params, stream);
    if (status != cudaSuccess)
    {
        reportError(std::string("kernel launch failed: ") + cudaGetErrorString(status));
        return -1;
    }
    return 0;
}

} // namespace edge_segnet

#if EDGE_SEGNET_V2_DEPRECATED && !EDGE_SEGNET_REGISTER_V3
// Registering the V2 creator names deprecated types (see unpool_plugin.h).
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

// Registration when the library is loaded (trtexec --plugins / --staticPlugins, ctypes).
#if EDGE_SEGNET_REGISTER_V3
using edge_segnet::UnpoolPluginV3Creator;
REGISTER_TENSORRT_PLUGIN(UnpoolPluginV3Creator);
#else
using edge_segnet::UnpoolPluginV2Creator;
REGISTER_TENSORRT_PLUGIN(UnpoolPluginV2Creator);
#endif

namespace
{
// IPluginRegistry::loadLibrary (trtexec --dynamicPlugins) refuses a library any of whose
// creators is registered already, and loading the library has just registered ours: take that
// registration back so that loadLibrary can make its own.
template <typename Registry>
void withdrawStaticRegistration(Registry* registry)
{
    if (registry == nullptr)
    {
        return;
    }
#if NV_TENSORRT_MAJOR >= 10
    auto* creator = registry->getCreator(edge_segnet::kUNPOOL_PLUGIN_NAME, edge_segnet::kUNPOOL_PLUGIN_VERSION, "");
#else
    auto* creator
        = registry->getPluginCreator(edge_segnet::kUNPOOL_PLUGIN_NAME, edge_segnet::kUNPOOL_PLUGIN_VERSION, "");
#endif
    if (creator != nullptr)
    {
        registry->deregisterCreator(*creator);
    }
}
} // namespace

#if NV_TENSORRT_MAJOR > 8 || (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR >= 6)
extern "C" TENSORRTAPI void setLoggerFinder(ILoggerFinder* /* finder */)
{
    // Errors go to getLogger(), which this library links; nothing to keep.
}
#endif

#if EDGE_SEGNET_REGISTER_V3
extern "C" TENSORRTAPI IPluginCreatorInterface* const* getCreators(int32_t& nbCreators)
{
    withdrawStaticRegistration(getPluginRegistry());
    static edge_segnet::UnpoolPluginV3Creator creator;
    static IPluginCreatorInterface* const creators[] = {&creator};
    nbCreators = 1;
    return creators;
}
#elif NV_TENSORRT_MAJOR > 8 || (NV_TENSORRT_MAJOR == 8 && NV_TENSORRT_MINOR >= 6)
extern "C" TENSORRTAPI IPluginCreator* const* getPluginCreators(int32_t& nbCreators)
{
    withdrawStaticRegistration(getPluginRegistry());
    static edge_segnet::UnpoolPluginV2Creator creator;
    static IPluginCreator* const creators[] = {&creator};
    nbCreators = 1;
    return creators;
}
#endif
