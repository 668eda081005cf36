// Registration when the library is loaded: libedge_segnet_plugins.so (ctypes/dlopen from
// Python, trtexec --plugins/--staticPlugins). No loadLibrary entry points here: loadLibrary
// would find the creator registered already and fail (see unpool_plugin.h); the library for
// loadLibrary is libedge_segnet_plugins_dynamic.so.
#include "unpool_plugin.h"

#include "unpool_plugin_v2.h"
#if EDGE_SEGNET_REGISTER_V3
#include "unpool_plugin_v3.h"
#endif

#if EDGE_SEGNET_V2_DEPRECATED && !EDGE_SEGNET_REGISTER_V3
// Registering the V2 creator names deprecated types (see unpool_plugin.h).
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#if EDGE_SEGNET_REGISTER_V3
using edge_segnet::UnpoolPluginV3Creator;
REGISTER_TENSORRT_PLUGIN(UnpoolPluginV3Creator);
#else
using edge_segnet::UnpoolPluginV2Creator;
REGISTER_TENSORRT_PLUGIN(UnpoolPluginV2Creator);
#endif
