// IPluginV2DynamicExt generation of the unpooling plugin. No call aborts: failures are
// reported through TensorRT's logger and the call returns its error value.
#include "unpool_plugin_v2.h"

#include <cstring>
#include <new>

#if EDGE_SEGNET_V2_DEPRECATED
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

using namespace nvinfer1;

namespace edge_segnet
{

constexpr uint32_t UnpoolPluginV2::kSERIAL_MAGIC;
constexpr uint32_t UnpoolPluginV2::kSERIAL_VERSION;
constexpr size_t UnpoolPluginV2::kSERIAL_SIZE;

UnpoolPluginV2::UnpoolPluginV2(UnpoolAttributes const& attributes)
    : mAttributes(attributes)
{
}

char const* UnpoolPluginV2::getPluginType() const noexcept
{
    return kUNPOOL_PLUGIN_NAME;
}

char const* UnpoolPluginV2::getPluginVersion() const noexcept
{
    return kUNPOOL_PLUGIN_VERSION;
}

int32_t UnpoolPluginV2::getNbOutputs() const noexcept
{
    return 1;
}

int32_t UnpoolPluginV2::initialize() noexcept
{
    return 0;
}

void UnpoolPluginV2::terminate() noexcept {}

size_t UnpoolPluginV2::getSerializationSize() const noexcept
{
    return kSERIAL_SIZE;
}

void UnpoolPluginV2::serialize(void* buffer) const noexcept
{
    if (buffer == nullptr)
    {
        reportError("serialize called without a buffer");
        return;
    }
    uint32_t const header[2] = {kSERIAL_MAGIC, kSERIAL_VERSION};
    int32_t const body[4] = {mAttributes.kernelShape[0], mAttributes.kernelShape[1], mAttributes.strides[0],
        mAttributes.strides[1]};
    char* out = static_cast<char*>(buffer);
    std::memcpy(out, header, sizeof(header));
    std::memcpy(out + sizeof(header), body, sizeof(body));
}

bool UnpoolPluginV2::deserialize(void const* data, size_t length, UnpoolAttributes& attributes, std::string& error)
{
    if (data == nullptr || length != kSERIAL_SIZE)
    {
        error = "serialized plugin has " + std::to_string(length) + " bytes, expected " + std::to_string(kSERIAL_SIZE);
        return false;
    }
    uint32_t header[2];
    int32_t body[4];
    std::memcpy(header, data, sizeof(header));
    std::memcpy(body, static_cast<char const*>(data) + sizeof(header), sizeof(body));
    if (header[0] != kSERIAL_MAGIC || header[1] != kSERIAL_VERSION)
    {
        error = "serialized data is not an EdgeSegnetUnpool plugin of format version 1";
        return false;
    }
    int32_t const kernel[2] = {body[0], body[1]};
    int32_t const strides[2] = {body[2], body[3]};
    PluginField fields[2] = {PluginField{"kernel_shape", kernel, PluginFieldType::kINT32, 2},
        PluginField{"strides", strides, PluginFieldType::kINT32, 2}};
    PluginFieldCollection collection{2, fields};
    return attributes.parse(&collection, error);
}

void UnpoolPluginV2::destroy() noexcept
{
    delete this;
}

void UnpoolPluginV2::setPluginNamespace(char const* pluginNamespace) noexcept
{
    storeNamespace(mNamespace, pluginNamespace);
}

char const* UnpoolPluginV2::getPluginNamespace() const noexcept
{
    return mNamespace.c_str();
}

DataType UnpoolPluginV2::getOutputDataType(int32_t index, DataType const* inputTypes, int32_t nbInputs) const noexcept
{
    if (index != 0 || inputTypes == nullptr || nbInputs != 2)
    {
        reportError("getOutputDataType: one output from two inputs");
        return DataType::kFLOAT;
    }
    return inputTypes[0];
}

IPluginV2DynamicExt* UnpoolPluginV2::clone() const noexcept
{
    try
    {
        auto* plugin = new UnpoolPluginV2(mAttributes);
        plugin->mNamespace = mNamespace;
        return plugin;
    }
    catch (std::exception const& error)
    {
        reportError(std::string("clone failed: ") + error.what());
    }
    return nullptr;
}

DimsExprs UnpoolPluginV2::getOutputDimensions(
    int32_t outputIndex, DimsExprs const* inputs, int32_t nbInputs, IExprBuilder& /* exprBuilder */) noexcept
{
    if (outputIndex != 0 || inputs == nullptr || nbInputs != 2 || inputs[1].nbDims != 4)
    {
        reportError("getOutputDimensions: expects two inputs, the second 4-D");
        return DimsExprs{};
    }
    // The output has the shape of the tensor that was pooled.
    return inputs[1];
}

bool UnpoolPluginV2::supportsFormatCombination(
    int32_t pos, PluginTensorDesc const* inOut, int32_t nbInputs, int32_t nbOutputs) noexcept
{
    return supportsUnpoolCombination(pos, inOut, nbInputs, nbOutputs);
}

void UnpoolPluginV2::configurePlugin(
    DynamicPluginTensorDesc const* in, int32_t nbInputs, DynamicPluginTensorDesc const* out, int32_t nbOutputs) noexcept
{
    // IPluginV2DynamicExt::configurePlugin cannot fail: problems are reported here (INT8 without
    // scales is refused again by enqueue, which sees the scales it runs with).
    std::string error;
    if (in == nullptr || out == nullptr || nbInputs != 2 || nbOutputs != 1)
    {
        reportError("configurePlugin: expects two inputs and one output");
    }
    else if (!checkUnpoolShapes(in[0].desc.dims, in[1].desc.dims, error))
    {
        reportError("configurePlugin: " + error);
    }
    else if (!checkUnpoolScales(in[0].desc, out[0].desc, error))
    {
        reportError("configurePlugin: " + error);
    }
}

size_t UnpoolPluginV2::getWorkspaceSize(PluginTensorDesc const* /* inputs */, int32_t /* nbInputs */,
    PluginTensorDesc const* /* outputs */, int32_t /* nbOutputs */) const noexcept
{
    return 0;
}

int32_t UnpoolPluginV2::enqueue(PluginTensorDesc const* inputDesc, PluginTensorDesc const* outputDesc,
    void const* const* inputs, void* const* outputs, void* /* workspace */, cudaStream_t stream) noexcept
{
    return enqueueUnpool(inputDesc, outputDesc, inputs, outputs, stream);
}

UnpoolPluginV2Creator::UnpoolPluginV2Creator()
{
    std::vector<PluginField>& fields = unpoolFieldDeclarations();
    mFields.nbFields = static_cast<int32_t>(fields.size());
    mFields.fields = fields.data();
}

char const* UnpoolPluginV2Creator::getPluginName() const noexcept
{
    return kUNPOOL_PLUGIN_NAME;
}

char const* UnpoolPluginV2Creator::getPluginVersion() const noexcept
{
    return kUNPOOL_PLUGIN_VERSION;
}

PluginFieldCollection const* UnpoolPluginV2Creator::getFieldNames() noexcept
{
    return &mFields;
}

IPluginV2* UnpoolPluginV2Creator::createPlugin(char const* name, PluginFieldCollection const* fc) noexcept
{
    UnpoolAttributes attributes;
    return parseNodeAttributes(name, fc, attributes) ? makePlugin(attributes) : nullptr;
}

IPluginV2* UnpoolPluginV2Creator::deserializePlugin(
    char const* name, void const* serialData, size_t serialLength) noexcept
{
    UnpoolAttributes attributes;
    std::string error;
    try
    {
        if (UnpoolPluginV2::deserialize(serialData, serialLength, attributes, error))
        {
            return makePlugin(attributes);
        }
        reportError(std::string("node ") + (name != nullptr ? name : "?") + ": " + error);
    }
    catch (std::exception const& failure)
    {
        reportError(std::string("deserializePlugin failed: ") + failure.what());
    }
    return nullptr;
}

IPluginV2* UnpoolPluginV2Creator::makePlugin(UnpoolAttributes const& attributes) noexcept
{
    try
    {
        auto* plugin = new UnpoolPluginV2(attributes);
        plugin->setPluginNamespace(mNamespace.c_str());
        return plugin;
    }
    catch (std::exception const& error)
    {
        reportError(std::string("cannot create the plugin: ") + error.what());
    }
    return nullptr;
}

void UnpoolPluginV2Creator::setPluginNamespace(char const* pluginNamespace) noexcept
{
    storeNamespace(mNamespace, pluginNamespace);
}

char const* UnpoolPluginV2Creator::getPluginNamespace() const noexcept
{
    return mNamespace.c_str();
}

} // namespace edge_segnet
