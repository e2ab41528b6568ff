#include "stream/checkpoint/checkpoint_storage.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/crc32c.h"
#include "sluice/serializer.h"
#include "stream/runtime/key_groups.h"
#include "stream/state/rocksdb_store.h"

namespace sluice::checkpoint {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "SLUICECK";
constexpr size_t kHeaderSize = 8 + 4 + 4 + 8;  // magic, version, crc, body length

[[noreturn]] void io_fail(const std::string& what, const fs::path& path, int err) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(err));
}

void fsync_path(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) io_fail("cannot open", path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) io_fail("cannot fsync", path, err);
}

void write_file(const fs::path& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) io_fail("cannot create", path, errno);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      io_fail("cannot write", path, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    io_fail("cannot fsync", path, err);
  }
  if (::close(fd) != 0) io_fail("cannot close", path, errno);
}

// The files of a native checkpoint directory, by name, with their sizes.
using Manifest = std::vector<std::pair<std::string, uint64_t>>;

std::string encode_state_file(const OperatorSnapshot& s, const std::string& native_dir = {},
                              const Manifest& manifest = {}) {
  std::string body;
  StateWriter w(body);
  w.varint(s.keyed.size());
  for (auto& [name, groups] : s.keyed) {
    w.bytes(name);
    w.varint(groups.size());
    for (auto& [group, bytes] : groups) {
      w.varint(static_cast<uint64_t>(group));
      w.bytes(bytes);
    }
  }
  w.varint(s.operator_state.size());
  for (auto& [name, bytes] : s.operator_state) {
    w.bytes(name);
    w.bytes(bytes);
  }
  int version = kPortableFormatVersion;
  if (!native_dir.empty()) {
    version = kFormatVersion;
    w.bytes(native_dir);
    w.varint(manifest.size());
    for (auto& [name, size] : manifest) {
      w.bytes(name);
      w.varint(size);
    }
  }
  std::string file;
  StateWriter f(file);
  f.raw(kMagic);
  f.u32(static_cast<uint32_t>(version));
  f.u32(crc32c(body.data(), body.size()));
  f.u64(body.size());
  f.raw(body);
  return file;
}

LoadedCheckpoint::Subtask decode_state_file(std::string_view file, const fs::path& path, int max_parallelism) {
  auto corrupt = [&](const std::string& why) {
    return CorruptCheckpoint("state file " + path.string() + ": " + why);
  };
  if (file.size() < kHeaderSize || file.substr(0, kMagic.size()) != kMagic)
    throw corrupt("not a sluice state file (bad magic or too short)");
  StateReader h(file.substr(kMagic.size(), kHeaderSize - kMagic.size()));
  uint32_t version = h.u32();
  uint32_t crc = h.u32();
  uint64_t length = h.u64();
  if (version != kPortableFormatVersion && version != kFormatVersion)
    throw corrupt("format version " + std::to_string(version) + ", this sluice reads " +
                  std::to_string(kPortableFormatVersion) + " to " + std::to_string(kFormatVersion));
  std::string_view body = file.substr(kHeaderSize);
  if (length != body.size())
    throw corrupt("holds " + std::to_string(body.size()) + " bytes of state, its header says " + std::to_string(length));
  if (crc32c(body.data(), body.size()) != crc) throw corrupt("CRC mismatch");
  LoadedCheckpoint::Subtask out;
  try {
    StateReader r(body);
    size_t sections = r.length();
    for (size_t i = 0; i < sections; ++i) {
      std::string name(r.bytes());
      size_t groups = r.length();
      auto& section = out.keyed[name];
      for (size_t g = 0; g < groups; ++g) {
        uint64_t group = r.varint();
        if (group >= static_cast<uint64_t>(max_parallelism))
          throw corrupt("key group " + std::to_string(group) + " is beyond the maximum parallelism");
        section[static_cast<int>(group)] = r.bytes();
      }
    }
    size_t ops = r.length();
    for (size_t i = 0; i < ops; ++i) {
      std::string name(r.bytes());
      out.operator_state[name] = r.bytes();
    }
    if (version >= 2) {
      // The native checkpoint: a directory beside this file, whose files must all be there
      // with the sizes written (a half-copied or damaged checkpoint is not whole).
      std::string dir_name(r.bytes());
      if (dir_name.empty() || dir_name.find('/') != std::string::npos || dir_name == "." || dir_name == "..")
        throw corrupt("native checkpoint name '" + dir_name + "' is not a plain name");
      fs::path native = path.parent_path() / dir_name;
      size_t files = r.length();
      std::error_code ec;
      if (!fs::is_directory(native, ec)) throw corrupt("its RocksDB checkpoint " + native.string() + " is missing");
      for (size_t i = 0; i < files; ++i) {
        std::string name(r.bytes());
        uint64_t size = r.varint();
        if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
          throw corrupt("file name '" + name + "' of its RocksDB checkpoint is not a plain name");
        uint64_t actual = fs::file_size(native / name, ec);
        if (ec) throw corrupt("its RocksDB checkpoint lacks " + (native / name).string());
        if (actual != size)
          throw corrupt("RocksDB checkpoint file " + (native / name).string() + " holds " + std::to_string(actual) +
                        " bytes, " + std::to_string(size) + " were written");
      }
      out.native = native.string();
    }
    if (!r.done()) throw corrupt("bytes after the last section");
  } catch (const CorruptStateError& e) {
    throw corrupt(e.what());
  }
  return out;
}

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CorruptCheckpoint("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

// Moves a staged native checkpoint into the checkpoint being written: a rename (the
// working directory is on the checkpoint directory's file system by default), else a copy.
// Returns its files, each fsynced.
Manifest move_native(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) {
    ec.clear();
    fs::copy(from, to, fs::copy_options::recursive, ec);
    if (ec) throw std::runtime_error("cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
    fs::remove_all(from, ec);
  }
  Manifest files;
  for (auto& e : fs::directory_iterator(to, ec)) {
    if (!e.is_regular_file()) continue;
    fsync_path(e.path(), false);
    files.emplace_back(e.path().filename().string(), e.file_size());
  }
  if (ec) throw std::runtime_error("cannot list " + to.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  fsync_path(to, true);
  return files;
}

// A savepoint is portable: the staged native checkpoint's entries become "state/<name>"
// sections by key group, as the portable snapshot writes them.
OperatorSnapshot portable(const OperatorSnapshot& s, int max_parallelism) {
  OperatorSnapshot out;
  out.keyed = s.keyed;
  out.operator_state = s.operator_state;
  state::RocksDbStore::read_checkpoint(
      s.native->path, 0, max_parallelism - 1, [&](const std::string& column, std::string_view key, std::string_view value) {
        int group = (static_cast<uint8_t>(key[0]) << 8) | static_cast<uint8_t>(key[1]);
        out.keyed["state/" + column][group].append(key.substr(2)).append(value);
      });
  return out;
}

// The key groups [first, last] of subtask `index` of `parallelism`.
std::pair<int, int> key_group_range(int index, int max_parallelism, int parallelism) {
  int first = -1, last = -2;
  for (int g = 0; g < max_parallelism; ++g) {
    if (runtime::subtask_of_key_group(g, max_parallelism, parallelism) != index) continue;
    if (first < 0) first = g;
    last = g;
  }
  return {first, last};
}

}  // namespace

std::string file_safe(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');
  return out;
}

WriteResult write_checkpoint(const fs::path& parent, const std::string& name, const CheckpointData& data) {
  fs::path final_dir = parent / name;
  fs::path tmp = parent / (name + ".inprogress");
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw std::runtime_error("cannot create " + parent.string() + ": " + ec.message());
  fs::remove_all(tmp, ec);
  if (!fs::create_directory(tmp, ec) || ec)
    throw std::runtime_error("cannot create " + tmp.string() + ": " + (ec ? ec.message() : "it exists"));

  WriteResult result;
  nlohmann::json meta = {{"format", "sluice-checkpoint"},
                         {"version", kPortableFormatVersion},
                         {"id", data.id},
                         {"savepoint", data.savepoint},
                         {"job", data.job},
                         {"timestamp_ms", data.timestamp_ms},
                         {"max_parallelism", data.max_parallelism}};
  nlohmann::json ops = nlohmann::json::array();
  bool any_native = false;
  for (const OperatorState& op : data.operators) {
    nlohmann::json files = nlohmann::json::array();
    uint64_t op_bytes = 0;
    for (size_t s = 0; s < op.subtasks.size(); ++s) {
      const OperatorSnapshot* snapshot = &op.subtasks[s];
      OperatorSnapshot converted;
      std::string native_dir;
      Manifest manifest;
      if (snapshot->native && data.savepoint) {
        converted = portable(*snapshot, data.max_parallelism);
        snapshot = &converted;
      } else if (snapshot->native) {
        native_dir = file_safe(op.uid) + "." + std::to_string(s) + ".rocksdb";
        manifest = move_native(snapshot->native->path, tmp / native_dir);
        for (auto& [f, size] : manifest) op_bytes += size;
        any_native = true;
      }
      if (snapshot->empty()) {
        files.push_back(nullptr);
        continue;
      }
      std::string file_name = file_safe(op.uid) + "." + std::to_string(s) + ".state";
      std::string bytes = encode_state_file(*snapshot, native_dir, manifest);
      write_file(tmp / file_name, bytes);
      op_bytes += bytes.size();
      files.push_back(file_name);
    }
    result.bytes += op_bytes;
    ops.push_back({{"uid", op.uid}, {"name", op.name}, {"parallelism", op.parallelism}, {"files", files},
                   {"bytes", op_bytes}});
  }
  meta["operators"] = ops;
  if (any_native) meta["version"] = kFormatVersion;
  std::string meta_text = meta.dump(2) + "\n";
  write_file(tmp / "_metadata", meta_text);
  result.bytes += meta_text.size();
  fsync_path(tmp, true);
  fs::remove_all(final_dir, ec);  // a savepoint written again under the same name
  fs::rename(tmp, final_dir, ec);
  if (ec) throw std::runtime_error("cannot rename " + tmp.string() + " to " + final_dir.string() + ": " + ec.message());
  fsync_path(parent, true);
  result.path = final_dir;
  return result;
}

OperatorRestore LoadedCheckpoint::restore_for(const std::string& uid, int index, int parallelism) const {
  OperatorRestore out;
  auto it = operators.find(uid);
  if (it == operators.end()) return out;
  auto [first, last] = key_group_range(index, max_parallelism, parallelism);
  int old_parallelism = it->second.parallelism;
  for (int s = 0; s < static_cast<int>(it->second.subtasks.size()); ++s) {
    const Subtask& old = it->second.subtasks[s];
    if (!old.native.empty()) {
      auto [old_first, old_last] = key_group_range(s, max_parallelism, old_parallelism);
      int from = std::max(first, old_first), to = std::min(last, old_last);
      if (from <= to) out.native.push_back({old.native, from, to, old_parallelism == parallelism && s == index});
    }
    for (auto& [name, groups] : old.keyed) {
      auto& mine = out.keyed[name];
      for (auto& [group, bytes] : groups)
        if (runtime::subtask_of_key_group(group, max_parallelism, parallelism) == index)
          mine.emplace_back(group, bytes);
    }
    for (auto& [name, bytes] : old.operator_state) out.operator_state[name].push_back(bytes);
  }
  for (auto& [name, groups] : out.keyed)
    std::sort(groups.begin(), groups.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::erase_if(out.keyed, [](auto& kv) { return kv.second.empty(); });
  return out;
}

std::shared_ptr<const LoadedCheckpoint> read_checkpoint(const fs::path& dir) {
  fs::path meta_path = dir / "_metadata";
  if (!fs::exists(meta_path)) throw CorruptCheckpoint(dir.string() + " has no _metadata: not a whole checkpoint");
  auto loaded = std::make_shared<LoadedCheckpoint>();
  loaded->path = dir;
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(read_whole(meta_path));
    if (meta.at("format") != "sluice-checkpoint") throw CorruptCheckpoint("not a sluice checkpoint");
    int version = meta.at("version").get<int>();
    if (version != kPortableFormatVersion && version != kFormatVersion)
      throw CorruptCheckpoint("format version " + std::to_string(version) + ", this sluice reads " +
                              std::to_string(kPortableFormatVersion) + " to " + std::to_string(kFormatVersion));
    loaded->id = meta.at("id").get<CheckpointId>();
    loaded->savepoint = meta.at("savepoint").get<bool>();
    loaded->job = meta.at("job").get<std::string>();
    loaded->timestamp_ms = meta.at("timestamp_ms").get<Timestamp>();
    loaded->max_parallelism = meta.at("max_parallelism").get<int>();
    if (loaded->max_parallelism <= 0) throw CorruptCheckpoint("max_parallelism must be positive");
    for (auto& op : meta.at("operators")) {
      LoadedCheckpoint::Operator o;
      o.uid = op.at("uid").get<std::string>();
      o.name = op.at("name").get<std::string>();
      o.parallelism = op.at("parallelism").get<int>();
      auto& files = op.at("files");
      if (o.parallelism <= 0 || files.size() != static_cast<size_t>(o.parallelism))
        throw CorruptCheckpoint("operator '" + o.uid + "' lists " + std::to_string(files.size()) +
                                " files for parallelism " + std::to_string(o.parallelism));
      for (auto& f : files) {
        if (f.is_null()) {
          o.subtasks.emplace_back();
          continue;
        }
        std::string file_name = f.get<std::string>();
        if (file_name.find('/') != std::string::npos || file_name == ".." || file_name == ".")
          throw CorruptCheckpoint("state file name '" + file_name + "' is not a plain file name");
        loaded->buffers.push_back(std::make_unique<std::string>(read_whole(dir / file_name)));
        o.subtasks.push_back(decode_state_file(*loaded->buffers.back(), dir / file_name, loaded->max_parallelism));
      }
      std::string uid = o.uid;
      loaded->operators.emplace(uid, std::move(o));
    }
  } catch (const nlohmann::json::exception& e) {
    throw CorruptCheckpoint(meta_path.string() + ": " + e.what());
  }
  return loaded;
}

std::vector<std::pair<CheckpointId, fs::path>> list_checkpoints(const fs::path& dir) {
  std::vector<std::pair<CheckpointId, fs::path>> out;
  std::error_code ec;
  for (auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind("chk-", 0) != 0) continue;
    std::string digits = name.substr(4);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    out.emplace_back(std::stoull(digits), entry.path());
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first > b.first; });
  return out;
}

std::shared_ptr<const LoadedCheckpoint> latest_valid_checkpoint(const fs::path& dir, std::optional<CheckpointId> max_id) {
  for (auto& [id, path] : list_checkpoints(dir)) {
    if (max_id && id > *max_id) {
      spdlog::info("checkpoint {} is skipped: its output was never committed (the last commit is checkpoint {})",
                   path.string(), *max_id);
      continue;
    }
    try {
      return read_checkpoint(path);
    } catch (const std::exception& e) {
      spdlog::warn("checkpoint {} is skipped: {}", path.string(), e.what());
    }
  }
  return nullptr;
}

void prune_checkpoints(const fs::path& dir, int keep, CheckpointId protect) {
  auto all = list_checkpoints(dir);
  std::error_code ec;
  int kept = 0;
  for (auto& [id, path] : all) {
    if (id == protect || kept < keep) {
      if (id != protect || kept < keep) ++kept;
      continue;
    }
    fs::remove_all(path, ec);
    if (ec) spdlog::warn("cannot delete old checkpoint {}: {}", path.string(), ec.message());
  }
  CheckpointId newest = all.empty() ? 0 : all.front().first;
  for (auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    const std::string suffix = ".inprogress";
    if (name.rfind("chk-", 0) != 0 || name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string digits = name.substr(4, name.size() - 4 - suffix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoull(digits) < newest) fs::remove_all(entry.path(), ec);
  }
}

}  // namespace sluice::checkpoint
