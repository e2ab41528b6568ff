#include "sluice/seed_generators.h"

#include <algorithm>
#include <memory>

namespace sluice {

GeneratorSource<generators::GeneratedRecord> seed_generator_source(
    std::string kind, generators::GeneratorOptions options, uint64_t count, double rate,
    GeneratorSplit split) {
  generators::make_generator(kind, options);  // throws now for an unknown kind or bad option
  auto factory =
      [kind, options,
       split](const SubtaskInfo& subtask) -> GeneratorSource<generators::GeneratedRecord>::Next {
    auto opts = options;
    const int p = std::max(1, subtask.parallelism);
    const bool interleave = split == GeneratorSplit::interleave;
    if (!interleave) opts.seed = subtask_seed(options.seed, subtask.index);
    std::shared_ptr<generators::Generator> gen = generators::make_generator(kind, opts);
    auto scratch = std::make_shared<generators::GeneratedRecord>();
    // interleave: skip the records of the subtasks before us once, then p-1 after each.
    int skip_first = interleave ? subtask.index : 0;
    const int skip_after = interleave ? p - 1 : 0;
    return [gen, scratch, skip_first, skip_after](generators::GeneratedRecord& out,
                                                  Timestamp& ts) mutable {
      for (; skip_first > 0; --skip_first) gen->next(*scratch);
      gen->next(out);
      ts = out.timestamp_ms;
      for (int k = 0; k < skip_after; ++k) gen->next(*scratch);
      return true;
    };
  };
  auto source =
      GeneratorSource<generators::GeneratedRecord>::from_factory(std::move(factory), count);
  source.rate(rate);
  return source;
}

}  // namespace sluice
