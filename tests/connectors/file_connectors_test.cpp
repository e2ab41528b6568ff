#include "sluice/file_connectors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "collecting_output.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sluice-conn-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> read_with(FileSource& source, int parallelism) {
  std::vector<std::string> all;
  for (int i = 0; i < parallelism; ++i) {
    auto reader = source.create_reader(SubtaskInfo{"file", i, parallelism, 128});
    reader->open();
    test::CollectingOutput<std::string> out;
    EXPECT_TRUE(test::poll_to_end(*reader, out));
    reader->close();
    EXPECT_EQ(out.registered, std::set<int>{0});
    EXPECT_EQ(out.finished, std::set<int>{0});
    for (auto& r : out.records) {
      EXPECT_EQ(r.split, 0);
      EXPECT_EQ(r.timestamp, kNoTimestamp);
      all.push_back(r.value);
    }
  }
  return all;
}

TEST(FileSource, ReadsEveryLineExactlyOnceAtAnyParallelism) {
  TempDir dir;
  std::string text;
  std::vector<std::string> expected;
  for (int i = 0; i < 1000; ++i) {
    std::string line = i % 7 == 0 ? "" : "line " + std::to_string(i) + std::string(i % 13, 'x');
    expected.push_back(line);
    text += line + (i % 5 == 0 ? "\r\n" : "\n");
  }
  text += "last line without newline";
  expected.push_back("last line without newline");
  write_file(dir / "in.txt", text);
  FileSource source((dir / "in.txt").string());
  EXPECT_TRUE(source.bounded());
  for (int p : {1, 2, 3, 8}) {
    auto got = read_with(source, p);
    // Each subtask reads its lines in file order, and subtask i's range precedes i+1's.
    EXPECT_EQ(got, expected) << "parallelism " << p;
  }
}

TEST(FileSource, MoreSubtasksThanLinesAndEmptyFiles) {
  TempDir dir;
  write_file(dir / "two.txt", "a\nb\n");
  write_file(dir / "empty.txt", "");
  FileSource two((dir / "two.txt").string());
  EXPECT_EQ(read_with(two, 5), (std::vector<std::string>{"a", "b"}));
  FileSource empty((dir / "empty.txt").string());
  EXPECT_TRUE(read_with(empty, 2).empty());
}

TEST(FileSource, SeveralFilesAreSeveralSplits) {
  TempDir dir;
  write_file(dir / "a.txt", "a1\na2\n");
  write_file(dir / "b.txt", "b1\n");
  FileSource source(std::vector<std::string>{(dir / "a.txt").string(), (dir / "b.txt").string()});
  auto reader = source.create_reader(SubtaskInfo{"file", 0, 1, 128});
  test::CollectingOutput<std::string> out;
  ASSERT_TRUE(test::poll_to_end(*reader, out));
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_EQ(out.records[0].split, 0);
  EXPECT_EQ(out.records[2].value, "b1");
  EXPECT_EQ(out.records[2].split, 1);
  EXPECT_EQ(out.finished, (std::set<int>{0, 1}));
}

TEST(FileSource, MissingFileSaysWhich) {
  FileSource source("/nonexistent/dir/in.txt");
  auto reader = source.create_reader(SubtaskInfo{"file", 0, 1, 128});
  try {
    reader->open();
    FAIL() << "opened a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/in.txt"), std::string::npos);
  }
}

TEST(FileSource, FollowReadsAppendedLinesAndWaitsForPartialOnes) {
  TempDir dir;
  const auto path = dir / "log.txt";
  write_file(path, "one\ntw");
  FileSource source(path.string());
  source.follow().poll_interval(Duration(10));
  EXPECT_FALSE(source.bounded());
  auto reader = source.create_reader(SubtaskInfo{"file", 0, 1, 128});
  reader->open();
  test::CollectingOutput<std::string> out;
  auto poll_until = [&](size_t n) {
    for (int i = 0; i < 200 && out.records.size() < n; ++i) {
      EXPECT_NE(reader->poll(out), SourceStatus::end_of_input);
    }
  };
  poll_until(1);
  for (int i = 0; i < 5; ++i) reader->poll(out);
  EXPECT_EQ(out.values(), (std::vector<std::string>{"one"}));  // "tw" waits for its newline
  {
    std::ofstream app(path, std::ios::app);
    app << "o\nthree\n";
  }
  poll_until(3);
  EXPECT_EQ(out.values(), (std::vector<std::string>{"one", "two", "three"}));
  // Other subtasks of a following source read nothing but do not end.
  auto other = source.create_reader(SubtaskInfo{"file", 1, 2, 128});
  test::CollectingOutput<std::string> none;
  EXPECT_EQ(other->poll(none), SourceStatus::nothing_available);
  EXPECT_TRUE(none.records.empty());
  EXPECT_TRUE(none.registered.empty());
}

TEST(StdinSource, ReadsLinesFromADescriptorUntilItsEnd) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  StdinSource source(fds[0]);
  EXPECT_TRUE(source.bounded());
  auto reader = source.create_reader(SubtaskInfo{"stdin", 0, 2, 128});
  auto other = source.create_reader(SubtaskInfo{"stdin", 1, 2, 128});
  test::CollectingOutput<std::string> out, none;
  EXPECT_EQ(other->poll(none), SourceStatus::end_of_input);
  EXPECT_TRUE(none.registered.empty());
  EXPECT_EQ(reader->poll(out), SourceStatus::nothing_available);  // nothing written yet: returns
  const std::string first = "a\nb\r\npart";
  ASSERT_EQ(::write(fds[1], first.data(), first.size()), static_cast<ssize_t>(first.size()));
  while (out.records.size() < 2) reader->poll(out);
  EXPECT_EQ(out.values(), (std::vector<std::string>{"a", "b"}));
  const std::string rest = "ial\nlast";
  ASSERT_EQ(::write(fds[1], rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
  ::close(fds[1]);
  ASSERT_TRUE(test::poll_to_end(*reader, out));
  EXPECT_EQ(out.values(), (std::vector<std::string>{"a", "b", "partial", "last"}));
  EXPECT_EQ(out.finished, std::set<int>{0});
  ::close(fds[0]);
}

TEST(FileSink, OneLinePerRecordFromSeveralWriters) {
  TempDir dir;
  const auto path = dir / "out.txt";
  FileSink<int> sink(path.string(), [](const int& v) { return "n=" + std::to_string(v); });
  auto w0 = sink.create_writer(SubtaskInfo{"sink", 0, 2, 128});
  auto w1 = sink.create_writer(SubtaskInfo{"sink", 1, 2, 128});
  w0->open();
  w1->open();
  std::thread t0([&] {
    for (int i = 0; i < 20000; i += 2) w0->write(i, SinkContext{});
    w0->flush();
  });
  std::thread t1([&] {
    for (int i = 1; i < 20000; i += 2) w1->write(i, SinkContext{});
    w1->flush();
  });
  t0.join();
  t1.join();
  w0->close();
  w1->close();
  std::istringstream in(read_file(path));
  std::vector<int> seen;
  std::string line;
  while (std::getline(in, line)) {
    ASSERT_TRUE(line.starts_with("n=")) << line;
    seen.push_back(std::stoi(line.substr(2)));
  }
  std::sort(seen.begin(), seen.end());
  ASSERT_EQ(seen.size(), 20000u);
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(seen[i], i);
}

TEST(FileSink, DefaultTextAndAppend) {
  TempDir dir;
  const auto path = dir / "out.txt";
  write_file(path, "old\n");
  FileSink<double> sink(path.string(), {}, /*append=*/true);
  auto w = sink.create_writer(SubtaskInfo{"sink", 0, 1, 128});
  w->open();
  w->write(1.5, SinkContext{});
  w->flush();
  w->close();
  EXPECT_EQ(read_file(path), "old\n1.5\n");
  FileSink<std::string> bad("/nonexistent/dir/out.txt");
  EXPECT_THROW(bad.create_writer(SubtaskInfo{})->open(), std::runtime_error);
}

std::string printed(int parallelism, const std::string& identifier) {
  std::FILE* f = std::tmpfile();
  PrintSink<std::string> sink({}, identifier, f);
  for (int i = 0; i < parallelism; ++i) {
    auto w = sink.create_writer(SubtaskInfo{"print", i, parallelism, 128});
    w->open();
    w->write("r" + std::to_string(i), SinkContext{});
    w->close();
  }
  std::rewind(f);
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

TEST(PrintSink, PrefixesTheSubtaskNumberAsFlinkDoes) {
  EXPECT_EQ(printed(1, ""), "r0\n");
  EXPECT_EQ(printed(2, ""), "1> r0\n2> r1\n");
  EXPECT_EQ(printed(1, "out"), "out> r0\n");
  EXPECT_EQ(printed(2, "out"), "out:1> r0\nout:2> r1\n");
}

TEST(PrintSink, LinesFromManyThreadsNeverInterleave) {
  std::FILE* f = std::tmpfile();
  PrintSink<std::string> sink({}, "", f);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto w = sink.create_writer(SubtaskInfo{"print", t, 4, 128});
      for (int i = 0; i < 500; ++i)
        w->write(std::string(100, static_cast<char>('a' + t)), SinkContext{});
    });
  }
  for (auto& th : threads) th.join();
  std::rewind(f);
  char line[512];
  int lines = 0;
  while (std::fgets(line, sizeof line, f)) {
    std::string s(line);
    ASSERT_EQ(s.size(), 104u) << s;  // "N> " + 100 + '\n'
    const char c = s[3];
    ASSERT_EQ(s.substr(3, 100), std::string(100, c));
    ASSERT_EQ(s[0] - '1', c - 'a');
    ++lines;
  }
  std::fclose(f);
  EXPECT_EQ(lines, 2000);
}

TEST(ToText, DefaultsForCommonTypes) {
  EXPECT_EQ(to_text(std::string("s")), "s");
  EXPECT_EQ(to_text(42), "42");
  EXPECT_EQ(to_text(-1.25), "-1.25");
  EXPECT_EQ(to_text(true), "true");
  EXPECT_EQ(to_text("c-string"), "c-string");
}

}  // namespace
}  // namespace sluice
