#include "broker/producer_id_allocator.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "log/file_io.h"

namespace sluice::broker {
namespace {

constexpr std::string_view kKey = "next.producer.id.block=";

}  // namespace

ProducerIdAllocator::ProducerIdAllocator(std::filesystem::path data_dir)
    : path_(std::move(data_dir) / kFileName) {}

std::optional<int64_t> ProducerIdAllocator::next(std::string& error) {
  if (next_ == block_end_ && !reserve_block(error)) return std::nullopt;
  return next_++;
}

bool ProducerIdAllocator::reserve_block(std::string& error) {
  if (!loaded_) {
    std::error_code ec;
    if (std::filesystem::exists(path_, ec)) {
      std::ifstream in(path_);
      std::string line;
      bool found = false;
      while (in && std::getline(in, line)) {
        if (line.rfind(kKey, 0) != 0) continue;
        const char* begin = line.data() + kKey.size();
        const char* end = line.data() + line.size();
        auto [ptr, err] = std::from_chars(begin, end, next_);
        found = err == std::errc() && ptr == end && next_ >= 0;
      }
      if (!found) {
        error = "the producer id file " + path_.string() +
                " is unreadable or corrupt (it must hold a line '" + std::string(kKey) +
                "<n>'); restore it, or write a number above every producer id ever handed out";
        return false;
      }
    } else if (ec) {
      error = "cannot check " + path_.string() + ": " + ec.message();
      return false;
    }
    block_end_ = next_;
    loaded_ = true;
  }
  const int64_t end = block_end_ + kBlockSize;
  auto tmp = path_;
  tmp += ".tmp";
  std::string text = "# The first producer id of the next block the broker reserves.\n" +
                     std::string(kKey) + std::to_string(end) + "\n";
  log::Status s = log::write_file_atomically(path_, tmp, text);
  if (!s.ok()) {
    error = "cannot reserve producer ids: " + s.message;
    return false;
  }
  next_ = block_end_;
  block_end_ = end;
  return true;
}

}  // namespace sluice::broker
