// The console's page assets (console/*.html, *.js, *.css, *.svg): compiled
// into the binary by embed_assets.cmake, or read from a directory while the
// console is being worked on (`stepflow server --console-dir DIR`).
//
//   Assets assets;                     // the embedded ones
//   const Asset* a = assets.Find("app.js");
//
// Thread-safety: Find may be called from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace stepflow::console {

// One entry of the generated table (ends with a null name).
struct EmbeddedAsset {
  const char* name;  // "app.js"
  const char* mime;  // "text/javascript; charset=utf-8"
  const char* etag;  // "\"<16 hex digits of the SHA-256>\""
  const unsigned char* data;
  size_t size;
};
extern const EmbeddedAsset kEmbeddedAssets[];

struct Asset {
  std::string mime;
  std::string etag;
  std::string body;
};

class Assets {
 public:
  // The embedded assets; with `dir`, the files of that directory instead,
  // read at each request.
  explicit Assets(std::string dir = "");

  // The asset named `name` (a file name: no '/'), or nullptr.
  std::shared_ptr<const Asset> Find(const std::string& name) const;

 private:
  std::string dir_;
};

}  // namespace stepflow::console
