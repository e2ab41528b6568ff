// The functions that evaluate a fired window (Flink's ProcessWindowFunction and
// ProcessAllWindowFunction). process() gets the window's key, a Context with the window and
// clocks, and the window's elements: every record (WindowedStream::process), or the one
// pre-aggregated value (reduce / aggregate with a window function).
//
// As other functions, each subtask gets its own copy of the object given to the API and
// calls it from its thread only. Records it collects carry the window's max_timestamp().
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>

#include "sluice/functions.h"
#include "sluice/time.h"
#include "sluice/window.h"

namespace sluice {

template <class In, class Out, class K, class W>
class ProcessWindowFunction {
 public:
  using input_type = In;
  using output_type = Out;
  using key_type = K;
  using window_type = W;

  // Valid during one process() or clear() call. timestamp() is window().max_timestamp().
  class Context : public ContextBase {
   public:
    virtual const W& window() const = 0;
    virtual Timestamp current_processing_time() const = 0;
    virtual Timestamp current_watermark() const = 0;
    // State of this key and window: kept across firings of the window (late firings,
    // count triggers) until clear() drops it. Not available with merging (session) windows.
    virtual KeyedStateAccess<WindowedKey<K, W>>& window_state() = 0;
    // State of this key across all its windows.
    virtual KeyedStateAccess<K>& global_state() = 0;
  };

  virtual ~ProcessWindowFunction() = default;
  virtual void open(const SubtaskInfo&) {}
  virtual void process(const K& key, Context& ctx, std::span<const In> elements, Collector<Out>& out) = 0;
  // The window is cleaned up (watermark past its end plus the allowed lateness): drop what
  // window_state() holds for it.
  virtual void clear(Context& ctx) {}
  virtual void close() {}
};

// The key of window_all's single (key-less) group.
using AllWindowsKey = uint8_t;

// ProcessWindowFunction for window_all: no key. Its Context is the keyed one's
// (window_state() and global_state() hold the single group's state).
template <class In, class Out, class W>
class ProcessAllWindowFunction {
 public:
  using input_type = In;
  using output_type = Out;
  using window_type = W;
  using Context = typename ProcessWindowFunction<In, Out, AllWindowsKey, W>::Context;

  virtual ~ProcessAllWindowFunction() = default;
  virtual void open(const SubtaskInfo&) {}
  virtual void process(Context& ctx, std::span<const In> elements, Collector<Out>& out) = 0;
  virtual void clear(Context& ctx) {}
  virtual void close() {}
};

}  // namespace sluice
