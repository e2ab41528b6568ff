#include "log/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice::log {

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

Status io_error(std::string_view what, const std::filesystem::path& path, int err) {
  return Status::error(Errc::kStorageError,
                       std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

std::shared_ptr<FileHandle> open_file(const std::filesystem::path& path, bool create,
                                      Status& status) {
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd;
  do fd = ::open(path.c_str(), flags, 0644);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    status = io_error("cannot open", path, errno);
    return nullptr;
  }
  return std::make_shared<FileHandle>(fd, path);
}

Status pwrite_all(const FileHandle& file, const void* data, size_t n, uint64_t offset) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    ssize_t w = ::pwrite(file.fd(), p, n, off_t(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", file.path(), errno);
    }
    if (w == 0) return io_error("cannot write", file.path(), EIO);
    p += w;
    n -= size_t(w);
    offset += uint64_t(w);
  }
  return Status::success();
}

ssize_t pread_full(const FileHandle& file, void* data, size_t n, uint64_t offset, Status& status) {
  auto* p = static_cast<uint8_t*>(data);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(file.fd(), p + done, n - done, off_t(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      status = io_error("cannot read", file.path(), errno);
      return -1;
    }
    if (r == 0) break;
    done += size_t(r);
  }
  return ssize_t(done);
}

Status truncate_file(const FileHandle& file, uint64_t size) {
  int rc;
  do rc = ::ftruncate(file.fd(), off_t(size));
  while (rc != 0 && errno == EINTR);
  if (rc != 0) return io_error("cannot truncate", file.path(), errno);
  return Status::success();
}

Status sync_file(const FileHandle& file) {
  if (::fdatasync(file.fd()) != 0) return io_error("cannot fsync", file.path(), errno);
  return Status::success();
}

Status sync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("cannot fsync directory", dir, err);
  return Status::success();
}

int64_t file_size(const FileHandle& file, Status& status) {
  struct stat st {};
  if (::fstat(file.fd(), &st) != 0) {
    status = io_error("cannot stat", file.path(), errno);
    return -1;
  }
  return int64_t(st.st_size);
}

Status write_file_atomically(const std::filesystem::path& path,
                             const std::filesystem::path& tmp_path, std::string_view bytes) {
  Status status;
  {
    auto tmp = open_file(tmp_path, true, status);
    if (!tmp) return status;
    if (status = truncate_file(*tmp, 0); !status.ok()) return status;
    if (status = pwrite_all(*tmp, bytes.data(), bytes.size(), 0); !status.ok()) return status;
    if (::fsync(tmp->fd()) != 0) return io_error("cannot fsync", tmp_path, errno);
  }
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp_path.c_str());
    return io_error("cannot rename " + tmp_path.string() + " to", path, err);
  }
  return sync_dir(path.parent_path());
}

}  // namespace sluice::log
