// Files and stdout as sources and sinks.
//
// FileSource: the lines of text files (without the '\n', and without a '\r' before it), as
// std::string records without timestamps. Bounded: each file is cut into `parallelism` byte
// ranges and subtask i reads the lines that start in range i of every file, so every line is
// read exactly once and, within a subtask, in file order; each file is one split. follow():
// unbounded, like `tail -f`: subtask 0 reads the files to their end and then keeps reading
// lines appended to them (a partial last line waits for its '\n'; a file that shrinks is read
// again from its start); the other subtasks read nothing and declare no split (idle).
//
// StdinSource: the lines of stdin until its end (see below).
//
// FileSink<T>: one line per record (to_string, default to_text) into one file shared by every
// subtask of the sink; each subtask buffers whole lines and appends them under a lock, so
// lines never interleave mid-line. The file is truncated (or appended to) when the first
// writer opens; flush() writes and fflush()es; close() writes what is buffered.
//
// PrintSink<T>: Flink's print(): one line per record on stdout (or another FILE*), prefixed
// "N> " with the subtask number (index + 1, as Flink) when the sink's parallelism is > 1,
// and by "identifier> " / "identifier:N> " when an identifier is given. Each line is written
// and flushed whole under a process-wide lock.
//
// Threads: constructors and create_reader / create_writer on the job's thread; each reader
// or writer on its subtask's thread only. Sinks share their file through a shared_ptr.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/sink.h"
#include "sluice/source.h"
#include "sluice/subtask_info.h"
#include "sluice/text.h"
#include "sluice/time.h"

namespace sluice {

class FileSource final : public Source<std::string> {
 public:
  explicit FileSource(std::string path) : paths_{std::move(path)} {}
  explicit FileSource(std::vector<std::string> paths) : paths_(std::move(paths)) {}

  // Keep reading lines appended to the files (unbounded).
  FileSource& follow(bool on = true) {
    follow_ = on;
    return *this;
  }
  // How long a following reader sleeps at the end of its files (at most 100 ms per poll).
  FileSource& poll_interval(Duration d) {
    poll_interval_ = d;
    return *this;
  }
  FileSource& max_lines_per_poll(size_t n) {
    max_lines_ = n;
    return *this;
  }

  // Throws std::runtime_error when a file cannot be opened (at open(), naming it).
  std::unique_ptr<SourceReader<std::string>> create_reader(const SubtaskInfo& subtask) override;
  bool bounded() const override { return !follow_; }

 private:
  std::vector<std::string> paths_;
  bool follow_ = false;
  Duration poll_interval_{100};
  size_t max_lines_ = 1000;
};

// StdinSource: the lines of standard input (or of another file descriptor, e.g. a pipe), as
// std::string records without timestamps, until end of input (bounded). Subtask 0 reads; the
// others end at once without declaring a split. poll() waits at most 100 ms for input, so a
// quiet stdin never blocks the subtask. The descriptor is not closed.
class StdinSource final : public Source<std::string> {
 public:
  explicit StdinSource(int fd = 0) : fd_(fd) {}
  std::unique_ptr<SourceReader<std::string>> create_reader(const SubtaskInfo& subtask) override;
  bool bounded() const override { return true; }

 private:
  int fd_;
};

namespace detail {

// A file shared by the writers of one FileSink. Thread-safe.
class SharedLineFile {
 public:
  SharedLineFile(std::string path, bool append) : path_(std::move(path)), append_(append) {}
  ~SharedLineFile();
  // Opens the file once (truncating unless appending); throws std::runtime_error naming it.
  void open();
  // Writes whole lines; flush also fflush()es.
  void write(const std::string& lines, bool flush);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool append_;
  std::mutex mutex_;
  std::FILE* file_ = nullptr;
};

// Writes one line (with its '\n') to `out` under a process-wide lock and flushes it.
void write_console_line(std::FILE* out, const std::string& line);

}  // namespace detail

template <class T>
class FileSink final : public Sink<T> {
 public:
  using ToString = std::function<std::string(const T&)>;

  explicit FileSink(std::string path, ToString to_string = {}, bool append = false)
      : file_(std::make_shared<detail::SharedLineFile>(std::move(path), append)),
        to_string_(std::move(to_string)) {}

  std::unique_ptr<SinkWriter<T>> create_writer(const SubtaskInfo&) override {
    return std::make_unique<Writer>(file_, to_string_);
  }

 private:
  class Writer final : public SinkWriter<T> {
   public:
    Writer(std::shared_ptr<detail::SharedLineFile> file, ToString to_string)
        : file_(std::move(file)), to_string_(std::move(to_string)) {}
    void open() override { file_->open(); }
    void write(const T& value, const SinkContext&) override {
      if (to_string_) {
        buffer_.append(to_string_(value));
      } else {
        append_text(buffer_, value);
      }
      buffer_.push_back('\n');
      if (buffer_.size() >= 64 * 1024) drain(false);
    }
    void flush() override { drain(true); }
    void close() override { drain(true); }

   private:
    void drain(bool flush) {
      if (buffer_.empty() && !flush) return;
      file_->open();
      file_->write(buffer_, flush);
      buffer_.clear();
    }
    std::shared_ptr<detail::SharedLineFile> file_;
    ToString to_string_;
    std::string buffer_;
  };

  std::shared_ptr<detail::SharedLineFile> file_;
  ToString to_string_;
};

template <class T>
class PrintSink final : public Sink<T> {
 public:
  using ToString = std::function<std::string(const T&)>;

  explicit PrintSink(ToString to_string = {}, std::string identifier = "", std::FILE* out = stdout)
      : to_string_(std::move(to_string)), identifier_(std::move(identifier)), out_(out) {}

  std::unique_ptr<SinkWriter<T>> create_writer(const SubtaskInfo& subtask) override {
    std::string prefix = identifier_;
    if (subtask.parallelism > 1) {
      prefix += (prefix.empty() ? "" : ":") + std::to_string(subtask.index + 1);
    }
    if (!prefix.empty()) prefix += "> ";
    return std::make_unique<Writer>(std::move(prefix), to_string_, out_);
  }

 private:
  class Writer final : public SinkWriter<T> {
   public:
    Writer(std::string prefix, ToString to_string, std::FILE* out)
        : prefix_(std::move(prefix)), to_string_(std::move(to_string)), out_(out) {}
    void write(const T& value, const SinkContext&) override {
      line_.assign(prefix_);
      if (to_string_) {
        line_.append(to_string_(value));
      } else {
        append_text(line_, value);
      }
      line_.push_back('\n');
      detail::write_console_line(out_, line_);
    }

   private:
    std::string prefix_;
    ToString to_string_;
    std::FILE* out_;
    std::string line_;
  };

  ToString to_string_;
  std::string identifier_;
  std::FILE* out_;
};

}  // namespace sluice
