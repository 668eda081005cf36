// IPluginV2DynamicExt generation of the unpooling plugin (TensorRT 8.2 and later).
#ifndef EDGE_SEGNET_UNPOOL_PLUGIN_V2_H
#define EDGE_SEGNET_UNPOOL_PLUGIN_V2_H

#include "unpool_plugin.h"

#include <string>

// Deprecated interfaces from TensorRT 8.5 on (see unpool_plugin.h); from 10 on the V3 classes
// are registered, and these are still built so that one source serves 8.2 ... 11.x.
#if EDGE_SEGNET_V2_DEPRECATED
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

namespace edge_segnet
{

class UnpoolPluginV2 final : public nvinfer1::IPluginV2DynamicExt
{
public:
    explicit UnpoolPluginV2(UnpoolAttributes const& attributes);

    // IPluginV2
    char const* getPluginType() const noexcept override;
    char const* getPluginVersion() const noexcept override;
    int32_t getNbOutputs() const noexcept override;
    int32_t initialize() noexcept override;
    void terminate() noexcept override;
    size_t getSerializationSize() const noexcept override;
    void serialize(void* buffer) const noexcept override;
    void destroy() noexcept override;
    void setPluginNamespace(char const* pluginNamespace) noexcept override;
    char const* getPluginNamespace() const noexcept override;

    // IPluginV2Ext
    nvinfer1::DataType getOutputDataType(
        int32_t index, nvinfer1::DataType const* inputTypes, int32_t nbInputs) const noexcept override;

    // IPluginV2DynamicExt
    nvinfer1::IPluginV2DynamicExt* clone() const noexcept override;
    nvinfer1::DimsExprs getOutputDimensions(int32_t outputIndex, nvinfer1::DimsExprs const* inputs, int32_t nbInputs,
        nvinfer1::IExprBuilder& exprBuilder) noexcept override;
    bool supportsFormatCombination(int32_t pos, nvinfer1::PluginTensorDesc const* inOut, int32_t nbInputs,
        int32_t nbOutputs) noexcept override;
    void configurePlugin(nvinfer1::DynamicPluginTensorDesc const* in, int32_t nbInputs,
        nvinfer1::DynamicPluginTensorDesc const* out, int32_t nbOutputs) noexcept override;
    size_t getWorkspaceSize(nvinfer1::PluginTensorDesc const* inputs, int32_t nbInputs,
        nvinfer1::PluginTensorDesc const* outputs, int32_t nbOutputs) const noexcept override;
    int32_t enqueue(nvinfer1::PluginTensorDesc const* inputDesc, nvinfer1::PluginTensorDesc const* outputDesc,
        void const* const* inputs, void* const* outputs, void* workspace, cudaStream_t stream) noexcept override;

    // Serialized form: a magic word, a format version, then the attributes.
    static constexpr uint32_t kSERIAL_MAGIC = 0x50555345; // "ESUP"
    static constexpr uint32_t kSERIAL_VERSION = 1;
    static constexpr size_t kSERIAL_SIZE = 2 * sizeof(uint32_t) + 4 * sizeof(int32_t);
    static bool deserialize(void const* data, size_t length, UnpoolAttributes& attributes, std::string& error);

private:
    UnpoolAttributes mAttributes;
    std::string mNamespace;
};

class UnpoolPluginV2Creator final : public nvinfer1::IPluginCreator
{
public:
    UnpoolPluginV2Creator();

    char const* getPluginName() const noexcept override;
    char const* getPluginVersion() const noexcept override;
    nvinfer1::PluginFieldCollection const* getFieldNames() noexcept override;
    nvinfer1::IPluginV2* createPlugin(char const* name, nvinfer1::PluginFieldCollection const* fc) noexcept override;
    nvinfer1::IPluginV2* deserializePlugin(
        char const* name, void const* serialData, size_t serialLength) noexcept override;
    void setPluginNamespace(char const* pluginNamespace) noexcept override;
    char const* getPluginNamespace() const noexcept override;

private:
    nvinfer1::IPluginV2* makePlugin(UnpoolAttributes const& attributes) noexcept;

    nvinfer1::PluginFieldCollection mFields{};
    std::string mNamespace;
};

} // namespace edge_segnet

#if EDGE_SEGNET_V2_DEPRECATED
#pragma GCC diagnostic pop
#endif

#endif // EDGE_SEGNET_UNPOOL_PLUGIN_V2_H
