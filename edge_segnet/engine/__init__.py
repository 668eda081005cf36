"""TensorRT engines: the unpooling plugin's library, building, version differences, caching."""
