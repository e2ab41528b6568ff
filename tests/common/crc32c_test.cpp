#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace sluice {

TEST(Crc32c, KnownVectors) {
  // RFC 3720 B.4 test vectors.
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
}

TEST(Crc32c, HardwareAndPortableAgreeOnEveryLengthAndSplit) {
  std::mt19937 rng(7);
  std::string data(1000, '\0');
  for (auto& c : data) c = char(rng());
  for (size_t n = 0; n < data.size(); n += 37) {
    uint32_t whole = crc32c(data.data(), n);
    EXPECT_EQ(whole, crc32c_portable(data.data(), n));
    size_t half = n / 3;
    EXPECT_EQ(whole, crc32c(data.data() + half, n - half, crc32c(data.data(), half)));
  }
}

}  // namespace sluice
