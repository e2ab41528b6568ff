#include "cli/upload_file_saver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "jobs/byte_encodings.h"
#include "jobs/uploaded_file_record.h"

namespace sluice::cli {

namespace {

// The whole content of `name` in the directory, or nullopt when it cannot be read.
std::optional<std::string> read_at(int dir_fd, const std::string& name) {
  const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string with_suffix(const std::string& name, int n) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return name + "-" + std::to_string(n);
  return name.substr(0, dot) + "-" + std::to_string(n) + name.substr(dot);
}

}  // namespace

UploadFileSaver::UploadFileSaver(const std::string& dir) : dir_(dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create --save-files directory " + dir + ": " + ec.message());
  dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) throw std::runtime_error("cannot open --save-files directory " + dir + ": " + std::strerror(errno));
}

UploadFileSaver::~UploadFileSaver() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

std::optional<std::string> UploadFileSaver::save(std::optional<std::string_view> value, std::string_view where) {
  auto fail = [&](const std::string& why) -> std::optional<std::string> {
    ++failed_;
    std::fprintf(stderr, "not saved: %.*s: %s\n", int(where.size()), where.data(), why.c_str());
    return std::nullopt;
  };
  if (!value) return fail("null value (tombstone)");
  jobs::UploadedFileRecord r;
  try {
    r = jobs::parse_uploaded_file(*value);  // checks size and MD5
  } catch (const std::exception& e) {
    return fail(std::string("not an uploaded-file record: ") + e.what());
  }
  const std::string base = jobs::safe_file_name(r.filename, r.file_id);
  std::string name = base;
  for (int n = 1;; ++n) {
    const int fd = ::openat(dir_fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
      if (auto existing = read_at(dir_fd_, name); existing && *existing == r.content) {
        ++saved_;
        return "unchanged " + dir_ + "/" + name + " (" + std::to_string(r.content.size()) + " bytes, md5 ok)";
      }
      if (n > 10000) return fail("no free name for " + base + " in " + dir_);
      name = with_suffix(base, n);
      continue;
    }
    if (fd < 0) return fail("cannot create " + dir_ + "/" + name + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < r.content.size()) {
      const ssize_t w = ::write(fd, r.content.data() + done, r.content.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        ::unlinkat(dir_fd_, name.c_str(), 0);
        return fail("cannot write " + dir_ + "/" + name + ": " + why);
      }
      done += static_cast<size_t>(w);
    }
    if (::close(fd) != 0) return fail("cannot write " + dir_ + "/" + name + ": " + std::strerror(errno));
    ++saved_;
    return "saved " + dir_ + "/" + name + " (" + std::to_string(r.content.size()) + " bytes, md5 ok)";
  }
}

}  // namespace sluice::cli
