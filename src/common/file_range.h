// A byte range of an open file, to be sent without copying (sendfile). `owner` keeps the
// descriptor open for as long as any range refers to it; the file may grow but the range's
// bytes never change once written.
#pragma once

#include <cstdint>
#include <memory>

namespace sluice {

struct FileRange {
  int fd = -1;
  uint64_t offset = 0;
  uint32_t length = 0;
  std::shared_ptr<const void> owner;
};

}  // namespace sluice
