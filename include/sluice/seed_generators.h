// The seeds' data generators (src/generators: clicks, numbers, orders, transactions, frames)
// as an in-process GeneratorSource: the records `sluice generate KIND` would send to Kafka,
// without Kafka. Records are generators::GeneratedRecord (key, value, event time, defect);
// bad records the kind makes are emitted too (with `defect` set), as they would be in Kafka.
//
// Splitting over subtasks:
// - GeneratorSplit::interleave (default): every subtask runs the one generator of
//   options.seed and keeps the records whose index % parallelism is its own, so the job sees
//   exactly the same records at any parallelism (each subtask pays for generating them all).
// - GeneratorSplit::independent: subtask i runs its own generator seeded with
//   subtask_seed(options.seed, i): no duplicated work, but the records depend on the
//   parallelism.
//
// Threads: as GeneratorSource. Throws std::invalid_argument for an unknown kind or a bad
// option (naming it) when called, not later in the job.
#pragma once

#include <cstdint>
#include <string>

#include "generators/generator.h"
#include "sluice/generator_source.h"

namespace sluice {

enum class GeneratorSplit { interleave, independent };

GeneratorSource<generators::GeneratedRecord> seed_generator_source(
    std::string kind, generators::GeneratorOptions options, uint64_t count = 0, double rate = 0,
    GeneratorSplit split = GeneratorSplit::interleave);

}  // namespace sluice
