#include "web/ui_assets.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::web {
namespace {

TEST(UiAssets, ServesIndexForRootAndEveryEmbeddedFileByItsPath) {
  const UiAsset* root = find_ui_asset("/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->path, "index.html");
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_NE(root->body.find("/js/app.js"), std::string_view::npos);
  ASSERT_GE(ui_files().size(), 5u);
  for (const auto& f : ui_files()) {
    const UiAsset* a = find_ui_asset("/" + std::string(f.path));
    ASSERT_NE(a, nullptr) << f.path;
    EXPECT_EQ(a->body.size(), f.size);
  }
  const UiAsset* js = find_ui_asset("/js/app.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
}

TEST(UiAssets, NothingOutsideTheTable) {
  EXPECT_EQ(find_ui_asset(""), nullptr);
  EXPECT_EQ(find_ui_asset("index.html"), nullptr);  // not a request path
  EXPECT_EQ(find_ui_asset("/../CMakeLists.txt"), nullptr);
  EXPECT_EQ(find_ui_asset("/js/../index.html"), nullptr);
  EXPECT_EQ(find_ui_asset("//etc/passwd"), nullptr);
  EXPECT_EQ(find_ui_asset("/etc/passwd"), nullptr);
  EXPECT_EQ(find_ui_asset("/js/"), nullptr);
}

}  // namespace
}  // namespace sluice::web
