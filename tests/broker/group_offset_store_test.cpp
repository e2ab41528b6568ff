// The committed-offsets file: survives reopening, drops a torn or corrupt tail, applies a
// request whole or not at all, compacts.
#include <gtest/gtest.h>

#include <fstream>

#include "broker_fixture.h"
#include "broker/group/offset_store.h"

namespace sluice::broker::group {
namespace {

using testing::TempDir;

OffsetStore::Entry entry(std::string topic, int32_t partition, int64_t offset,
                         std::string metadata = "", int32_t epoch = -1) {
  return {std::move(topic), partition, {offset, epoch, std::move(metadata), 1234}};
}

class OffsetStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<OffsetStore> open(uint64_t compact_min = 16u << 20) {
    auto r = OffsetStore::open(dir_.path() / "__consumer_offsets", log::FlushPolicy{},
                               compact_min);
    EXPECT_TRUE(r.ok()) << r.status.message;
    return std::move(r.store);
  }
  std::filesystem::path file() const { return dir_.path() / "__consumer_offsets" / "offsets.log"; }
  void append_bytes(const std::string& bytes) {
    std::ofstream out(file(), std::ios::binary | std::ios::app);
    out << bytes;
  }

  TempDir dir_;
};

TEST_F(OffsetStoreTest, CommitsSurviveReopening) {
  {
    auto store = open();
    ASSERT_TRUE(store->commit("g1", {entry("t", 0, 10, "meta", 3), entry("t", 1, 20)}).ok());
    ASSERT_TRUE(store->commit("g1", {entry("t", 0, 11, "meta2")}).ok());
    ASSERT_TRUE(store->commit("g2", {entry("u", 5, 7)}).ok());
  }
  auto store = open();
  const CommittedOffset* c = store->find("g1", "t", 0);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->offset, 11);
  EXPECT_EQ(c->metadata, "meta2");
  EXPECT_EQ(c->leader_epoch, -1);
  EXPECT_EQ(store->find("g1", "t", 1)->offset, 20);
  EXPECT_EQ(store->find("g2", "u", 5)->offset, 7);
  EXPECT_EQ(store->find("g2", "u", 4), nullptr);
  EXPECT_EQ(store->groups(), (std::vector<std::string>{"g1", "g2"}));
}

TEST_F(OffsetStoreTest, RemovalsSurviveReopening) {
  {
    auto store = open();
    ASSERT_TRUE(store->commit("g1", {entry("t", 0, 1), entry("t", 1, 2), entry("u", 0, 3)}).ok());
    ASSERT_TRUE(store->commit("g2", {entry("t", 0, 4)}).ok());
    ASSERT_TRUE(store->commit("g3", {entry("v", 0, 5)}).ok());
    ASSERT_TRUE(store->remove("g1", {{"t", 1}}).ok());
    ASSERT_TRUE(store->remove_topic("u").ok());
    ASSERT_TRUE(store->remove_group("g3").ok());
  }
  auto store = open();
  EXPECT_EQ(store->find("g1", "t", 0)->offset, 1);
  EXPECT_EQ(store->find("g1", "t", 1), nullptr);
  EXPECT_EQ(store->find("g1", "u", 0), nullptr);
  EXPECT_EQ(store->find("g2", "t", 0)->offset, 4);
  EXPECT_FALSE(store->has_group("g3"));
}

TEST_F(OffsetStoreTest, TornTailIsDroppedAndTheRestKept) {
  {
    auto store = open();
    ASSERT_TRUE(store->commit("g", {entry("t", 0, 1)}).ok());
    ASSERT_TRUE(store->commit("g", {entry("t", 0, 2), entry("t", 1, 2)}).ok());
  }
  // A crash in the middle of the next write: a frame header promising more than is there.
  auto size = std::filesystem::file_size(file());
  append_bytes(std::string("\x00\x00\x01\x00\x12\x34\x56\x78partial", 15));
  {
    auto store = open();
    EXPECT_EQ(store->find("g", "t", 0)->offset, 2);
    EXPECT_EQ(store->find("g", "t", 1)->offset, 2);
    EXPECT_LE(std::filesystem::file_size(file()), size) << "rewritten without the tail";
    ASSERT_TRUE(store->commit("g", {entry("t", 0, 3)}).ok());
  }
  EXPECT_EQ(open()->find("g", "t", 0)->offset, 3) << "appends after recovery are readable";
}

TEST_F(OffsetStoreTest, FrameWithBadChecksumIsDroppedWhole) {
  {
    auto store = open();
    ASSERT_TRUE(store->commit("g", {entry("t", 0, 1)}).ok());
    ASSERT_TRUE(store->commit("g", {entry("t", 0, 2), entry("t", 1, 2)}).ok());
  }
  // Flip the last byte: the second frame's CRC no longer matches.
  std::fstream f(file(), std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(-1, std::ios::end);
  char c;
  f.get(c);
  f.seekp(-1, std::ios::end);
  f.put(char(c ^ 0x5A));
  f.close();
  auto store = open();
  EXPECT_EQ(store->find("g", "t", 0)->offset, 1);
  EXPECT_EQ(store->find("g", "t", 1), nullptr) << "a request applies whole or not at all";
}

TEST_F(OffsetStoreTest, CompactsOnOpenAndWhenTheFileGrows) {
  {
    auto store = open(4096);
    for (int i = 0; i < 2000; ++i) ASSERT_TRUE(store->commit("g", {entry("t", 0, i)}).ok());
    EXPECT_LT(store->file_bytes(), 4096u + 200) << "compacted while running";
  }
  auto store = open(4096);
  EXPECT_EQ(store->find("g", "t", 0)->offset, 1999);
  EXPECT_LT(std::filesystem::file_size(file()), 100u) << "only the live offset is left";
}

TEST_F(OffsetStoreTest, IntervalPolicyFlushesWhenDue) {
  auto r = OffsetStore::open(dir_.path() / "o", log::FlushPolicy{log::FlushPolicy::kInterval,
                                                                 std::chrono::milliseconds(50)});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.store->commit("g", {entry("t", 0, 1)}).ok());
  EXPECT_TRUE(r.store->flush_if_due(0).ok());
  EXPECT_TRUE(r.store->flush().ok());
}

}  // namespace
}  // namespace sluice::broker::group
