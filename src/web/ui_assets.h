// The dashboard's UI files (src/web/ui/**), compiled into the binary by embed_ui.cmake.
// find_ui_asset() is the only way a request reaches UI content: it looks a path up in
// that fixed table, so no request path ever touches the file system. The table is
// immutable static data: any thread, no locking; returned pointers live forever.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace sluice::web {

namespace detail {
struct EmbeddedFile {
  const char* path;  // relative to src/web/ui, '/'-separated: "index.html", "js/app.js"
  const unsigned char* data;
  size_t size;
};
}  // namespace detail

struct UiAsset {
  std::string_view path;
  std::string_view content_type;  // from the extension; "application/octet-stream" if unknown
  std::string_view body;
};

// Every embedded file, in path order.
std::span<const detail::EmbeddedFile> ui_files();

// The asset for a request path ("/", "/index.html", "/js/app.js"), "/" meaning
// index.html; nullptr when no embedded file has exactly that path.
const UiAsset* find_ui_asset(std::string_view request_path);

}  // namespace sluice::web
