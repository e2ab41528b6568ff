#include "sluice/file_connectors.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace sluice {

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// One file's share of one subtask: the lines that start in [begin, end).
struct FileRange {
  std::string path;
  int split = 0;
  int64_t begin = 0;
  int64_t end = 0;  // follow mode: unused
  std::FILE* file = nullptr;
  int64_t pos = 0;      // offset of the next byte to read
  std::string pending;  // follow mode: a last line still waiting for its '\n'
  bool started = false;
  bool done = false;
};

class FileSourceReader final : public SourceReader<std::string> {
 public:
  FileSourceReader(std::vector<std::string> paths, SubtaskInfo subtask, bool follow,
                   Duration poll_interval, size_t max_lines)
      : subtask_(std::move(subtask)),
        follow_(follow),
        poll_interval_(poll_interval),
        max_lines_(max_lines) {
    idle_ = follow_ && subtask_.index != 0;
    for (size_t i = 0; i < paths.size(); ++i) {
      FileRange r;
      r.path = paths[i];
      r.split = static_cast<int>(i);
      ranges_.push_back(std::move(r));
    }
  }

  ~FileSourceReader() override {
    close();
    std::free(line_);
  }

  void open() override {
    if (opened_) return;
    opened_ = true;
    for (auto& r : ranges_) {
      if (idle_) continue;
      r.file = std::fopen(r.path.c_str(), "rb");
      if (r.file == nullptr) {
        throw std::runtime_error("file source: cannot open \"" + r.path + "\": " + errno_text() +
                                 "; check the path and its permissions");
      }
      if (follow_) {
        r.begin = 0;
        r.end = -1;
        continue;
      }
      struct stat st {};
      ::fstat(::fileno(r.file), &st);
      const int64_t size = st.st_size;
      const int64_t p = subtask_.parallelism;
      r.begin = size * subtask_.index / p;
      r.end = size * (subtask_.index + 1) / p;
    }
  }

  SourceStatus poll(SourceOutput<std::string>& output) override {
    if (!opened_) open();
    if (!registered_) {
      registered_ = true;
      for (const auto& r : ranges_) {
        if (!idle_) output.register_split(r.split);
      }
    }
    if (idle_) return idle();
    size_t emitted = 0;
    bool all_done = true;
    for (auto& r : ranges_) {
      if (r.done) {
        if (!r.started) {
          r.started = true;
          output.finish_split(r.split);
        }
        continue;
      }
      all_done = false;
      if (!r.started) start(r);
      emitted += read_lines(r, output, max_lines_ - std::min(max_lines_, emitted));
      if (r.done) output.finish_split(r.split);
      if (emitted >= max_lines_) return SourceStatus::more_available;
    }
    if (all_done) return follow_ ? idle() : SourceStatus::end_of_input;
    if (emitted > 0) return SourceStatus::more_available;
    if (!follow_) {
      for (const auto& r : ranges_) {
        if (!r.done) return SourceStatus::more_available;
      }
      return SourceStatus::end_of_input;
    }
    return idle();
  }

  void close() override {
    for (auto& r : ranges_) {
      if (r.file != nullptr) std::fclose(r.file);
      r.file = nullptr;
    }
  }

 private:
  SourceStatus idle() {
    std::this_thread::sleep_for(std::min(poll_interval_, Duration(100)));
    return SourceStatus::nothing_available;
  }

  // Positions the file at the first line that starts at or after `begin`.
  void start(FileRange& r) {
    r.started = true;
    r.pos = r.begin;
    if (r.begin == 0) return;
    std::fseek(r.file, r.begin - 1, SEEK_SET);
    r.pos = r.begin - 1;
    int c;
    while ((c = std::fgetc(r.file)) != EOF) {
      ++r.pos;
      if (c == '\n') break;
    }
    if (c == EOF) r.done = true;
  }

  size_t read_lines(FileRange& r, SourceOutput<std::string>& output, size_t limit) {
    size_t n = 0;
    while (n < limit) {
      if (!follow_ && r.pos >= r.end) {
        r.done = true;
        break;
      }
      if (follow_) check_truncated(r);
      const ssize_t len = ::getline(&line_, &cap_, r.file);
      if (len < 0) {
        if (std::ferror(r.file)) {
          throw std::runtime_error("file source: reading \"" + r.path +
                                   "\" failed: " + errno_text());
        }
        std::clearerr(r.file);
        if (!follow_) {
          r.done = true;
          if (!r.pending.empty()) {  // cannot happen: bounded lines are emitted at once
            output.collect(std::move(r.pending), kNoTimestamp, r.split);
            r.pending.clear();
          }
        }
        break;
      }
      r.pos += len;
      std::string_view text(line_, static_cast<size_t>(len));
      const bool complete = !text.empty() && text.back() == '\n';
      if (!complete && follow_) {  // wait for the rest of the line
        r.pending.append(text);
        std::clearerr(r.file);
        break;
      }
      if (complete) text.remove_suffix(1);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      std::string record;
      if (!r.pending.empty()) {
        record = std::move(r.pending);
        r.pending.clear();
      }
      record.append(text);
      output.collect(std::move(record), kNoTimestamp, r.split);
      ++n;
    }
    return n;
  }

  void check_truncated(FileRange& r) {
    struct stat st {};
    if (::stat(r.path.c_str(), &st) != 0 || st.st_size >= r.pos) return;
    std::fseek(r.file, 0, SEEK_SET);
    r.pos = 0;
    r.pending.clear();
  }

  SubtaskInfo subtask_;
  bool follow_;
  Duration poll_interval_;
  size_t max_lines_;
  std::vector<FileRange> ranges_;
  bool opened_ = false;
  bool registered_ = false;
  bool idle_ = false;  // a following reader other than subtask 0: declares nothing, reads nothing
  char* line_ = nullptr;
  size_t cap_ = 0;

 public:
  FileSourceReader(const FileSourceReader&) = delete;
  FileSourceReader& operator=(const FileSourceReader&) = delete;
};

class StdinReader final : public SourceReader<std::string> {
 public:
  StdinReader(int fd, bool active) : fd_(fd), active_(active) {}

  SourceStatus poll(SourceOutput<std::string>& output) override {
    if (!active_ || done_) return SourceStatus::end_of_input;
    if (!registered_) {
      registered_ = true;
      output.register_split(0);
    }
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) {
      throw std::runtime_error("stdin source: poll failed: " + errno_text());
    }
    if (ready <= 0) return SourceStatus::nothing_available;
    char buf[64 * 1024];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) return SourceStatus::nothing_available;
      throw std::runtime_error("stdin source: read failed: " + errno_text());
    }
    if (n == 0) {  // end of input: a last line without '\n' still counts
      if (!pending_.empty()) emit(output, pending_);
      pending_.clear();
      output.finish_split(0);
      done_ = true;
      return SourceStatus::end_of_input;
    }
    std::string_view data(buf, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = data.find('\n', start)) != std::string_view::npos; start = nl + 1) {
      if (pending_.empty()) {
        emit(output, data.substr(start, nl - start));
      } else {
        pending_.append(data.substr(start, nl - start));
        emit(output, pending_);
        pending_.clear();
      }
    }
    pending_.append(data.substr(start));
    return SourceStatus::more_available;
  }

 private:
  static void emit(SourceOutput<std::string>& output, std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    output.collect(std::string(line), kNoTimestamp, 0);
  }

  int fd_;
  bool active_;
  bool registered_ = false;
  bool done_ = false;
  std::string pending_;
};

}  // namespace

std::unique_ptr<SourceReader<std::string>> StdinSource::create_reader(const SubtaskInfo& subtask) {
  return std::make_unique<StdinReader>(fd_, subtask.index == 0);
}

std::unique_ptr<SourceReader<std::string>> FileSource::create_reader(const SubtaskInfo& subtask) {
  if (paths_.empty()) throw std::invalid_argument("file source: no file given");
  return std::make_unique<FileSourceReader>(paths_, subtask, follow_, poll_interval_, max_lines_);
}

namespace detail {

SharedLineFile::~SharedLineFile() {
  if (file_ != nullptr) std::fclose(file_);
}

void SharedLineFile::open() {
  std::lock_guard lock(mutex_);
  if (file_ != nullptr) return;
  file_ = std::fopen(path_.c_str(), append_ ? "ab" : "wb");
  if (file_ == nullptr) {
    throw std::runtime_error("file sink: cannot open \"" + path_ + "\" for writing: " +
                             errno_text() + "; check that its directory exists and is writable");
  }
}

void SharedLineFile::write(const std::string& lines, bool flush) {
  std::lock_guard lock(mutex_);
  if (!lines.empty() && std::fwrite(lines.data(), 1, lines.size(), file_) != lines.size()) {
    throw std::runtime_error("file sink: writing \"" + path_ + "\" failed: " + errno_text());
  }
  if (flush && std::fflush(file_) != 0) {
    throw std::runtime_error("file sink: flushing \"" + path_ + "\" failed: " + errno_text());
  }
}

void write_console_line(std::FILE* out, const std::string& line) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

}  // namespace detail
}  // namespace sluice
