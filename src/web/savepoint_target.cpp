#include "web/savepoint_target.h"

#include <system_error>

#include "web/api_error.h"

namespace sluice::web {

namespace fs = std::filesystem;

namespace {

// `path` is `root` or lies below it (both absolute and normalized).
bool is_under(const fs::path& path, const fs::path& root) {
  fs::path rel = path.lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

fs::path resolved(const fs::path& path) {
  std::error_code ec;
  fs::path out = fs::weakly_canonical(path, ec);
  if (ec) throw ApiError(400, "cannot resolve " + path.string() + ": " + ec.message());
  return out.lexically_normal();
}

}  // namespace

fs::path prepare_savepoint_target(const std::string& requested, const SavepointTargetPolicy& policy) {
  if (requested.empty())
    throw ApiError(400, "say where the savepoint goes: {\"target-directory\": \"/an/absolute/directory\"}");
  if (requested.find('\0') != std::string::npos)
    throw ApiError(400, "the target directory contains a NUL character");
  fs::path dir = fs::path(requested).lexically_normal();
  if (!dir.is_absolute())
    throw ApiError(400, "the target directory must be an absolute path, not '" + requested +
                            "': the dashboard's process may run in another directory than yours");
  if (!policy.loopback_only) {
    if (policy.root.empty())
      throw ApiError(403, "this dashboard listens on a non-loopback address, so it writes savepoints only "
                          "under --ui-savepoint-root, which is not set; start the process with "
                          "--ui-savepoint-root DIR, or take the savepoint on that machine");
    fs::path root = resolved(policy.root);
    if (!is_under(resolved(dir), root))
      throw ApiError(403, "'" + requested + "' is outside " + root.string() +
                              " (--ui-savepoint-root): this dashboard writes savepoints only there");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw ApiError(400, "cannot create the target directory " + dir.string() + ": " + ec.message());
  if (!fs::is_directory(dir, ec))
    throw ApiError(400, "the target " + dir.string() + " exists and is not a directory");
  if (!policy.loopback_only && !is_under(resolved(dir), resolved(policy.root)))
    throw ApiError(403, "'" + requested + "' leads outside --ui-savepoint-root through a symbolic link");
  return dir;
}

}  // namespace sluice::web
