// `sluice consume TOPIC --save-files DIR`: writes the files of uploaded-file records (the
// dashboard's upload page, seed 004: jobs/uploaded_file_record.h) back to disk.
//
// Each file goes into DIR under safe_file_name(filename, file_id): one path component, so a
// record named "../../etc/passwd" is written as DIR/passwd, never outside DIR. Files are
// created with O_EXCL | O_NOFOLLOW relative to DIR's descriptor (a symlink planted in DIR is
// not followed); when the name is taken by a file with other bytes, "-1", "-2", ... goes
// before the extension; when it holds the same bytes (a re-run), nothing is written. A
// record whose content does not match its file_size or MD5, or is not such a record, is
// reported on stderr and not written. Used by one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::cli {

class UploadFileSaver {
 public:
  // Creates DIR (and parents) when missing; throws std::runtime_error when it cannot.
  explicit UploadFileSaver(const std::string& dir);
  ~UploadFileSaver();
  UploadFileSaver(const UploadFileSaver&) = delete;
  UploadFileSaver& operator=(const UploadFileSaver&) = delete;

  // Saves one record's file. Returns the line to print ("saved DIR/name (N bytes, md5 ok)")
  // or nullopt after reporting why it was not saved on stderr.
  std::optional<std::string> save(std::optional<std::string_view> value, std::string_view where);

  uint64_t saved() const { return saved_; }
  uint64_t failed() const { return failed_; }

 private:
  std::string dir_;
  int dir_fd_ = -1;
  uint64_t saved_ = 0;
  uint64_t failed_ = 0;
};

}  // namespace sluice::cli
