// Thin POSIX file helpers for the log: an owned descriptor that closes itself (shared by a
// segment and by every FileRange handed out of it, so an unlinked segment stays readable
// until the last range is sent), and pread/pwrite/fsync loops that report errors as
// Status values naming the file and the errno text.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "log/status.h"

namespace sluice::log {

/// Owns one open file descriptor; closes it when destroyed. Not copyable.
class FileHandle {
 public:
  FileHandle(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  ~FileHandle();
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  int fd_;
  std::filesystem::path path_;
};

/// Opens (creating if `create`) `path` read-write. On failure returns nullptr and sets
/// `status`.
std::shared_ptr<FileHandle> open_file(const std::filesystem::path& path, bool create,
                                      Status& status);

/// Writes all `n` bytes at `offset`, retrying short writes and EINTR.
Status pwrite_all(const FileHandle& file, const void* data, size_t n, uint64_t offset);

/// Reads up to `n` bytes at `offset`; fewer only at end of file. Returns bytes read or -1
/// with `status` set.
ssize_t pread_full(const FileHandle& file, void* data, size_t n, uint64_t offset, Status& status);

Status truncate_file(const FileHandle& file, uint64_t size);
Status sync_file(const FileHandle& file);
/// fsyncs a directory so that created, renamed or removed entries are durable.
Status sync_dir(const std::filesystem::path& dir);
/// The size of the open file, or -1 with `status` set.
int64_t file_size(const FileHandle& file, Status& status);

/// Replaces `path` by `bytes` atomically: writes `tmp_path`, fsyncs it, renames it over
/// `path`, fsyncs the directory. `tmp_path` must be in the same directory.
Status write_file_atomically(const std::filesystem::path& path,
                             const std::filesystem::path& tmp_path, std::string_view bytes);

/// A kStorageError status "<what> <path>: <strerror(err)>".
Status io_error(std::string_view what, const std::filesystem::path& path, int err);

}  // namespace sluice::log
