#include "engine/console/assets.h"

#include <fstream>
#include <sstream>

#include "engine/common/hash.h"

namespace stepflow::console {

namespace {

std::string MimeOf(const std::string& name) {
  auto ends = [&](const std::string& ext) {
    return name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "";
}

}  // namespace

Assets::Assets(std::string dir) : dir_(std::move(dir)) {}

std::shared_ptr<const Asset> Assets::Find(const std::string& name) const {
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.') return nullptr;
  if (dir_.empty()) {
    for (const EmbeddedAsset* a = kEmbeddedAssets; a->name != nullptr; ++a) {
      if (name != a->name) continue;
      auto asset = std::make_shared<Asset>();
      asset->mime = a->mime;
      asset->etag = a->etag;
      asset->body.assign(reinterpret_cast<const char*>(a->data), a->size);
      return asset;
    }
    return nullptr;
  }
  const std::string mime = MimeOf(name);
  if (mime.empty()) return nullptr;
  std::ifstream in(dir_ + "/" + name, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream body;
  body << in.rdbuf();
  auto asset = std::make_shared<Asset>();
  asset->mime = mime;
  asset->body = body.str();
  asset->etag = "\"" + Sha256Hex(asset->body).substr(0, 16) + "\"";
  return asset;
}

}  // namespace stepflow::console
