// The language bootstraps of deployed functions (runtimes/python/bootstrap.py,
// runtimes/node/bootstrap.js), compiled into the binary by
// engine/functions/embed_bootstraps.cmake so that it needs no source tree at
// run time. LocalInvoker writes them under DATA/runtimes/ when it starts.
#pragma once

namespace stepflow::functions {

extern const char* const kPythonBootstrap;
extern const char* const kNodeBootstrap;

}  // namespace stepflow::functions
