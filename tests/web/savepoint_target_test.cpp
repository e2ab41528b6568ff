// Which directories a savepoint asked through the dashboard may be written to
// (web/savepoint_target.h): any absolute one on a loopback dashboard, only under the root
// on another; `..` and symbolic links do not lead out of the root.
#include "web/savepoint_target.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "web/api_error.h"

namespace sluice::web {
namespace {

namespace fs = std::filesystem;

class SavepointTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::path(::testing::TempDir()) / ("sluice-target-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "root");
    fs::create_directories(base_ / "elsewhere");
  }
  void TearDown() override { fs::remove_all(base_); }
  int status_of(const std::string& dir, const SavepointTargetPolicy& policy) {
    try {
      prepare_savepoint_target(dir, policy);
      return 200;
    } catch (const ApiError& e) {
      return e.status();
    }
  }
  fs::path base_;
};

TEST_F(SavepointTargetTest, LoopbackAcceptsAnyAbsoluteDirectoryAndMakesIt) {
  SavepointTargetPolicy loopback{true, {}};
  fs::path made = prepare_savepoint_target((base_ / "elsewhere/new/deeper").string(), loopback);
  EXPECT_EQ(made, base_ / "elsewhere/new/deeper");
  EXPECT_TRUE(fs::is_directory(made));
  EXPECT_EQ(status_of("relative", loopback), 400);
  EXPECT_EQ(status_of("", loopback), 400);
  EXPECT_EQ(status_of(std::string("/tmp/a\0b", 8), loopback), 400);
  std::ofstream((base_ / "file").string()) << "x";
  EXPECT_EQ(status_of((base_ / "file").string(), loopback), 400) << "a file is not a directory";
}

TEST_F(SavepointTargetTest, ElsewhereOnlyUnderTheRoot) {
  EXPECT_EQ(status_of((base_ / "root/x").string(), {false, {}}), 403) << "no root: refused";
  SavepointTargetPolicy remote{false, base_ / "root"};
  EXPECT_EQ(status_of((base_ / "root/x").string(), remote), 200);
  EXPECT_TRUE(fs::is_directory(base_ / "root/x"));
  EXPECT_EQ(status_of((base_ / "root").string(), remote), 200);
  EXPECT_EQ(status_of((base_ / "elsewhere").string(), remote), 403);
  EXPECT_EQ(status_of((base_ / "root/../elsewhere/y").string(), remote), 403);
  EXPECT_FALSE(fs::exists(base_ / "elsewhere/y"));
  EXPECT_EQ(status_of((base_ / "rootless").string(), remote), 403) << "a prefix of the name is not a parent";
  fs::create_directory_symlink(base_ / "elsewhere", base_ / "root/link");
  EXPECT_EQ(status_of((base_ / "root/link/z").string(), remote), 403);
  EXPECT_FALSE(fs::exists(base_ / "elsewhere/z"));
}

}  // namespace
}  // namespace sluice::web
