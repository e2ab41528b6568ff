#include "web/ui_assets.h"

#include <map>
#include <string>

namespace sluice::web {
namespace detail {
extern const EmbeddedFile kUiFiles[];
extern const size_t kUiFileCount;
}  // namespace detail

namespace {

std::string_view content_type_of(std::string_view path) {
  auto dot = path.rfind('.');
  std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "json") return "application/json";
  return "application/octet-stream";
}

const std::map<std::string, UiAsset, std::less<>>& asset_table() {
  static const auto table = [] {
    std::map<std::string, UiAsset, std::less<>> t;
    for (const auto& f : ui_files()) {
      std::string_view path(f.path);
      t.emplace(std::string(path),
                UiAsset{path, content_type_of(path),
                        std::string_view(reinterpret_cast<const char*>(f.data), f.size)});
    }
    return t;
  }();
  return table;
}

}  // namespace

std::span<const detail::EmbeddedFile> ui_files() {
  return {detail::kUiFiles, detail::kUiFileCount};
}

const UiAsset* find_ui_asset(std::string_view request_path) {
  if (request_path.empty() || request_path.front() != '/') return nullptr;
  std::string_view path = request_path.substr(1);
  if (path.empty()) path = "index.html";
  const auto& table = asset_table();
  auto it = table.find(path);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace sluice::web
