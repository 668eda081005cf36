// The entry points IPluginRegistry::loadLibrary calls (trtexec --dynamicPlugins,
// --setPluginsToSerialize): libedge_segnet_plugins_dynamic.so, TensorRT 8.6 and later.
//
// As in NVIDIA's own loadable plugin library (plugin/vc/vfcCommon.cpp), they hand over a
// static creator list and a logger finder and never call the registry: loadLibrary registers
// what getCreators returns, and this library registers nothing when it is loaded, so there is no
// earlier registration to collide with (and none to withdraw from inside loadLibrary).
#include "unpool_plugin.h"

#include "unpool_plugin_v2.h"
#if EDGE_SEGNET_REGISTER_V3
#include "unpool_plugin_v3.h"
#endif

#if EDGE_SEGNET_HAS_LOAD_LIBRARY

#if EDGE_SEGNET_V2_DEPRECATED && !EDGE_SEGNET_REGISTER_V3
// The V2 creator list names deprecated types (see unpool_plugin.h).
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

using namespace nvinfer1;

// The library is built with hidden visibility; these are what it exports. (TENSORRTAPI is empty
// outside TensorRT's own build.)
#define EDGE_SEGNET_EXPORT __attribute__((visibility("default")))

extern "C" EDGE_SEGNET_EXPORT void setLoggerFinder(ILoggerFinder* finder)
{
    edge_segnet::setPluginLoggerFinder(finder);
}

#if NV_TENSORRT_MAJOR >= 10
extern "C" EDGE_SEGNET_EXPORT IPluginCreatorInterface* const* getCreators(int32_t& nbCreators)
{
#if EDGE_SEGNET_REGISTER_V3
    static edge_segnet::UnpoolPluginV3Creator creator;
#else
    static edge_segnet::UnpoolPluginV2Creator creator;
#endif
    static IPluginCreatorInterface* const creators[] = {&creator};
    nbCreators = 1;
    return creators;
}
#else
extern "C" EDGE_SEGNET_EXPORT IPluginCreator* const* getPluginCreators(int32_t& nbCreators)
{
    static edge_segnet::UnpoolPluginV2Creator creator;
    static IPluginCreator* const creators[] = {&creator};
    nbCreators = 1;
    return creators;
}
#endif

#endif // EDGE_SEGNET_HAS_LOAD_LIBRARY
