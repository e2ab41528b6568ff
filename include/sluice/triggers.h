// Triggers decide when a window's contents are evaluated (fired) and when they are
// dropped (purged), as Flink's Trigger. The window operator calls a trigger for every
// record added to a window, for every timer the trigger registered, when session windows
// merge, and when a window is cleaned up; each call says what to do next.
//
// A trigger object belongs to one operator subtask and is called from its thread only; it
// serves every key and window of that subtask, so anything per window lives in the
// TriggerContext's state (get_state), never in members. Prototypes given to the API are
// copied per subtask.
//
// Built-in triggers are specs that make a Trigger<T, W> for any record and window type:
//   EventTimeTrigger::create(), ProcessingTimeTrigger::create(), NeverTrigger::create(),
//   CountTrigger::of(n), PurgingTrigger::of(trigger), EndOfStreamTrigger::create().
// A user trigger derives from Trigger<T, W> (copyable) and is passed by value.
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "sluice/serializer.h"
#include "sluice/state.h"
#include "sluice/time.h"

namespace sluice {

// What the window operator does after a trigger call. FIRE evaluates the window function
// over the contents and keeps them; PURGE drops the contents; FIRE_AND_PURGE does both.
enum class TriggerResult { CONTINUE, FIRE, PURGE, FIRE_AND_PURGE };

inline bool is_fire(TriggerResult r) { return r == TriggerResult::FIRE || r == TriggerResult::FIRE_AND_PURGE; }
inline bool is_purge(TriggerResult r) { return r == TriggerResult::PURGE || r == TriggerResult::FIRE_AND_PURGE; }

namespace detail {

// Per-window trigger state: one std::any slot per state name, held by the window's entry
// in the operator (allocated on first use: most triggers keep none). The operator points
// `owner` at the current window's slots before every trigger call.
struct TriggerStateCursor {
  std::unique_ptr<std::vector<std::any>>* owner = nullptr;
  std::vector<std::any>* slots(bool create) const {
    if (!*owner && create) *owner = std::make_unique<std::vector<std::any>>();
    return owner->get();
  }
};

// A slot restored from a checkpoint before the trigger asked for it with its type: its
// bytes, decoded in place on first access (slot_value).
struct PendingSlotBytes {
  std::string bytes;
};

// The value of a slot as a V, decoding restored bytes on first access; nullptr if empty.
template <class V>
V* slot_value(std::any& slot) {
  if (!slot.has_value()) return nullptr;
  if (auto* pending = std::any_cast<PendingSlotBytes>(&slot)) {
    if constexpr (Serializable<V>) {
      StateReader r(pending->bytes);
      V value = read_value<V>(r);
      slot.emplace<V>(std::move(value));
    } else {
      throw std::logic_error(std::string("trigger state of type ") + typeid(V).name() + " cannot be restored");
    }
  }
  return std::any_cast<V>(&slot);
}

class TriggerSlotStorageBase {
 public:
  virtual ~TriggerSlotStorageBase() = default;
  // Checkpoints: the slot's value as bytes (slots still holding restored bytes are written
  // by the operator as they are).
  virtual void write(const std::any& slot, StateWriter& w) const = 0;
};

template <class V>
class TriggerSlotStorage final : public TriggerSlotStorageBase, public ValueStateStorage<V> {
 public:
  TriggerSlotStorage(const TriggerStateCursor* cursor, size_t index) : cursor_(cursor), index_(index) {}
  const V* get() override {
    auto* slots = cursor_->slots(false);
    if (!slots || index_ >= slots->size()) return nullptr;
    return slot_value<V>((*slots)[index_]);
  }
  V& get_or_create() override {
    auto& slots = *cursor_->slots(true);
    if (index_ >= slots.size()) slots.resize(index_ + 1);
    if (!slots[index_].has_value()) slots[index_].template emplace<V>();
    return *slot_value<V>(slots[index_]);
  }
  void write(const std::any& slot, StateWriter& w) const override {
    if constexpr (Serializable<V>) {
      write_value(w, *std::any_cast<V>(&slot));
    } else {
      throw std::runtime_error(std::string("trigger state of type ") + typeid(V).name() +
                               " cannot be checkpointed: specialize sluice::Serializer for it");
    }
  }
  void put(V value) override {
    auto& slots = *cursor_->slots(true);
    if (index_ >= slots.size()) slots.resize(index_ + 1);
    slots[index_].template emplace<V>(std::move(value));
  }
  void clear() override {
    auto* slots = cursor_->slots(false);
    if (slots && index_ < slots->size()) (*slots)[index_].reset();
  }

 private:
  const TriggerStateCursor* cursor_;
  size_t index_;
};

// One registered trigger state: its slot index and the storage behind its handles.
struct TriggerSlot {
  size_t index = 0;
  const std::type_info* type = nullptr;
  std::unique_ptr<TriggerSlotStorageBase> storage;
};

}  // namespace detail

template <class T, class W>
class Trigger {
 public:
  using element_type = T;
  using window_type = W;

  // What a trigger may do while it is called: read the clocks, set and delete timers of
  // the current (key, window), and keep state per (key, window).
  class TriggerContext {
   public:
    virtual ~TriggerContext() = default;
    virtual Timestamp current_processing_time() const = 0;
    virtual Timestamp current_watermark() const = 0;
    // Timers are per key and window; they call on_event_time / on_processing_time.
    virtual void register_event_time_timer(Timestamp time) = 0;
    virtual void register_processing_time_timer(Timestamp time) = 0;
    virtual void delete_event_time_timer(Timestamp time) = 0;
    virtual void delete_processing_time_timer(Timestamp time) = 0;

    // State of the current key and window (Flink's getPartitionedState); cleared when
    // the trigger's clear() clears it. No TTL here: windows end.
    template <class V>
    ValueState<V> get_state(const ValueStateDescriptor<V>& d) {
      return ValueState<V>(storage<V>(d.name));
    }
    template <class V>
    ReducingState<V> get_reducing_state(const ReducingStateDescriptor<V>& d) {
      return ReducingState<V>(storage<V>(d.name), d.reduce);
    }

   protected:
    virtual detail::TriggerSlot& slot(const std::string& name, const std::type_info& type) = 0;
    virtual const detail::TriggerStateCursor* cursor() const = 0;

    template <class V>
    detail::TriggerSlotStorage<V>* storage(const std::string& name) {
      auto& s = slot(name, typeid(V));
      if (!s.storage) s.storage = std::make_unique<detail::TriggerSlotStorage<V>>(cursor(), s.index);
      return static_cast<detail::TriggerSlotStorage<V>*>(s.storage.get());
    }
  };

  // During on_merge: the current window is the merge result; merge_partitioned_state
  // folds the merged windows' values of a reducing state into it.
  class OnMergeContext : public TriggerContext {
   public:
    template <class V>
    void merge_partitioned_state(const ReducingStateDescriptor<V>& d) {
      auto* target = this->template storage<V>(d.name);
      size_t index = this->slot(d.name, typeid(V)).index;
      for (const std::vector<std::any>* from : merged_slots()) {
        if (!from || index >= from->size() || !(*from)[index].has_value()) continue;
        const V& v = *detail::slot_value<V>(const_cast<std::any&>((*from)[index]));
        const V* current = target->get();
        target->put(current ? d.reduce(*current, v) : v);
      }
    }
    // ValueState cannot be merged in general: `combine` says how (e.g. a sum).
    template <class V, class F>
    void merge_partitioned_state(const ValueStateDescriptor<V>& d, F combine) {
      merge_partitioned_state(ReducingStateDescriptor<V>{d.name, combine});
    }

   protected:
    virtual const std::vector<const std::vector<std::any>*>& merged_slots() const = 0;
  };

  virtual ~Trigger() = default;
  // A record was added to `window`.
  virtual TriggerResult on_element(const T& element, Timestamp timestamp, const W& window,
                                   TriggerContext& ctx) = 0;
  // An event-time timer of this window fired (the watermark passed `time`).
  virtual TriggerResult on_event_time(Timestamp time, const W& window, TriggerContext& ctx) = 0;
  // A processing-time timer of this window fired (or the input ended: see WindowOperator).
  virtual TriggerResult on_processing_time(Timestamp time, const W& window, TriggerContext& ctx) = 0;
  // Whether the trigger supports merging windows (session windows need it).
  virtual bool can_merge() const { return false; }
  // Windows were merged into `window`: re-register timers for it, merge state.
  virtual void on_merge(const W& window, OnMergeContext& ctx) {
    throw std::logic_error("this trigger does not support merging windows");
  }
  // The window is gone (cleaned up, or merged into another): delete its timers and state.
  virtual void clear(const W& window, TriggerContext& ctx) = 0;
  // For the operator's name in the job graph.
  virtual std::string name() const { return "Trigger"; }
};

template <class T, class W>
using TriggerPtr = std::unique_ptr<Trigger<T, W>>;

namespace detail {

// A trigger spec is anything with `template <class T, class W> TriggerPtr<T, W>
// make_trigger() const`; a Trigger<T, W> subclass is its own spec.
template <class T, class W, class Spec>
std::function<TriggerPtr<T, W>()> trigger_factory(Spec spec) {
  if constexpr (std::is_base_of_v<Trigger<T, W>, Spec>) {
    return [spec] { return TriggerPtr<T, W>(std::make_unique<Spec>(spec)); };
  } else {
    return [spec] { return spec.template make_trigger<T, W>(); };
  }
}

template <class T, class W>
class EventTimeTriggerImpl final : public Trigger<T, W> {
 public:
  using Ctx = typename Trigger<T, W>::TriggerContext;
  TriggerResult on_element(const T&, Timestamp, const W& window, Ctx& ctx) override {
    if (window.max_timestamp() <= ctx.current_watermark()) return TriggerResult::FIRE;  // a late firing
    ctx.register_event_time_timer(window.max_timestamp());
    return TriggerResult::CONTINUE;
  }
  TriggerResult on_event_time(Timestamp time, const W& window, Ctx&) override {
    return time == window.max_timestamp() ? TriggerResult::FIRE : TriggerResult::CONTINUE;
  }
  TriggerResult on_processing_time(Timestamp, const W&, Ctx&) override { return TriggerResult::CONTINUE; }
  bool can_merge() const override { return true; }
  void on_merge(const W& window, typename Trigger<T, W>::OnMergeContext& ctx) override {
    if (window.max_timestamp() > ctx.current_watermark()) ctx.register_event_time_timer(window.max_timestamp());
  }
  void clear(const W& window, Ctx& ctx) override { ctx.delete_event_time_timer(window.max_timestamp()); }
  std::string name() const override { return "EventTimeTrigger"; }
};

template <class T, class W>
class ProcessingTimeTriggerImpl final : public Trigger<T, W> {
 public:
  using Ctx = typename Trigger<T, W>::TriggerContext;
  TriggerResult on_element(const T&, Timestamp, const W& window, Ctx& ctx) override {
    ctx.register_processing_time_timer(window.max_timestamp());
    return TriggerResult::CONTINUE;
  }
  TriggerResult on_event_time(Timestamp, const W&, Ctx&) override { return TriggerResult::CONTINUE; }
  TriggerResult on_processing_time(Timestamp, const W&, Ctx&) override { return TriggerResult::FIRE; }
  bool can_merge() const override { return true; }
  void on_merge(const W& window, typename Trigger<T, W>::OnMergeContext& ctx) override {
    if (window.max_timestamp() > ctx.current_processing_time())
      ctx.register_processing_time_timer(window.max_timestamp());
  }
  void clear(const W& window, Ctx& ctx) override { ctx.delete_processing_time_timer(window.max_timestamp()); }
  std::string name() const override { return "ProcessingTimeTrigger"; }
};

template <class T, class W>
class NeverTriggerImpl final : public Trigger<T, W> {
 public:
  using Ctx = typename Trigger<T, W>::TriggerContext;
  TriggerResult on_element(const T&, Timestamp, const W&, Ctx&) override { return TriggerResult::CONTINUE; }
  TriggerResult on_event_time(Timestamp, const W&, Ctx&) override { return TriggerResult::CONTINUE; }
  TriggerResult on_processing_time(Timestamp, const W&, Ctx&) override { return TriggerResult::CONTINUE; }
  bool can_merge() const override { return true; }
  void on_merge(const W&, typename Trigger<T, W>::OnMergeContext&) override {}
  void clear(const W&, Ctx&) override {}
  std::string name() const override { return "NeverTrigger"; }
};

template <class T, class W>
class EndOfStreamTriggerImpl final : public Trigger<T, W> {
 public:
  using Ctx = typename Trigger<T, W>::TriggerContext;
  TriggerResult on_element(const T&, Timestamp, const W&, Ctx& ctx) override {
    ctx.register_event_time_timer(kMaxTimestamp);
    return TriggerResult::CONTINUE;
  }
  TriggerResult on_event_time(Timestamp time, const W&, Ctx&) override {
    return time == kMaxTimestamp ? TriggerResult::FIRE : TriggerResult::CONTINUE;
  }
  TriggerResult on_processing_time(Timestamp, const W&, Ctx&) override { return TriggerResult::CONTINUE; }
  bool can_merge() const override { return true; }
  void on_merge(const W&, typename Trigger<T, W>::OnMergeContext& ctx) override {
    ctx.register_event_time_timer(kMaxTimestamp);
  }
  void clear(const W&, Ctx& ctx) override { ctx.delete_event_time_timer(kMaxTimestamp); }
  std::string name() const override { return "EndOfStreamTrigger"; }
};

template <class T, class W>
class CountTriggerImpl final : public Trigger<T, W> {
 public:
  using Ctx = typename Trigger<T, W>::TriggerContext;
  explicit CountTriggerImpl(int64_t max_count) : max_count_(max_count) {}
  TriggerResult on_element(const T&, Timestamp, const W&, Ctx& ctx) override {
    auto count = ctx.get_state(descriptor());
    int64_t n = count.value_or(0) + 1;
    if (n >= max_count_) {
      count.clear();
      return TriggerResult::FIRE;
    }
    count.update(n);
    return TriggerResult::CONTINUE;
  }
  TriggerResult on_event_time(Timestamp, const W&, Ctx&) override { return TriggerResult::CONTINUE; }
  TriggerResult on_processing_time(Timestamp, const W&, Ctx&) override { return TriggerResult::CONTINUE; }
  bool can_merge() const override { return true; }
  void on_merge(const W&, typename Trigger<T, W>::OnMergeContext& ctx) override {
    ctx.merge_partitioned_state(descriptor(), [](int64_t a, int64_t b) { return a + b; });
  }
  void clear(const W&, Ctx& ctx) override { ctx.get_state(descriptor()).clear(); }
  std::string name() const override { return "CountTrigger(" + std::to_string(max_count_) + ")"; }

 private:
  static const ValueStateDescriptor<int64_t>& descriptor() {
    static const ValueStateDescriptor<int64_t> d{"count"};
    return d;
  }
  int64_t max_count_;
};

template <class T, class W>
class PurgingTriggerImpl final : public Trigger<T, W> {
 public:
  using Ctx = typename Trigger<T, W>::TriggerContext;
  explicit PurgingTriggerImpl(TriggerPtr<T, W> nested) : nested_(std::move(nested)) {}
  TriggerResult on_element(const T& e, Timestamp ts, const W& w, Ctx& ctx) override {
    return purging(nested_->on_element(e, ts, w, ctx));
  }
  TriggerResult on_event_time(Timestamp time, const W& w, Ctx& ctx) override {
    return purging(nested_->on_event_time(time, w, ctx));
  }
  TriggerResult on_processing_time(Timestamp time, const W& w, Ctx& ctx) override {
    return purging(nested_->on_processing_time(time, w, ctx));
  }
  bool can_merge() const override { return nested_->can_merge(); }
  void on_merge(const W& w, typename Trigger<T, W>::OnMergeContext& ctx) override { nested_->on_merge(w, ctx); }
  void clear(const W& w, Ctx& ctx) override { nested_->clear(w, ctx); }
  std::string name() const override { return "PurgingTrigger(" + nested_->name() + ")"; }

 private:
  static TriggerResult purging(TriggerResult r) { return is_fire(r) ? TriggerResult::FIRE_AND_PURGE : r; }
  TriggerPtr<T, W> nested_;
};

}  // namespace detail

// Fires when the watermark passes the window's max_timestamp(), and again for every late
// record within the allowed lateness. The default of event-time assigners.
struct EventTimeTrigger {
  static EventTimeTrigger create() { return {}; }
  template <class T, class W>
  TriggerPtr<T, W> make_trigger() const { return std::make_unique<detail::EventTimeTriggerImpl<T, W>>(); }
};

// Fires when processing time reaches the window's max_timestamp(). The default of
// processing-time assigners.
struct ProcessingTimeTrigger {
  static ProcessingTimeTrigger create() { return {}; }
  template <class T, class W>
  TriggerPtr<T, W> make_trigger() const { return std::make_unique<detail::ProcessingTimeTriggerImpl<T, W>>(); }
};

// Never fires: the default of GlobalWindows, which need a trigger of their own.
struct NeverTrigger {
  static NeverTrigger create() { return {}; }
  template <class T, class W>
  TriggerPtr<T, W> make_trigger() const { return std::make_unique<detail::NeverTriggerImpl<T, W>>(); }
};

// Fires once, on the final watermark of a bounded input (Flink's
// GlobalWindows.createWithEndOfStreamTrigger).
struct EndOfStreamTrigger {
  static EndOfStreamTrigger create() { return {}; }
  template <class T, class W>
  TriggerPtr<T, W> make_trigger() const { return std::make_unique<detail::EndOfStreamTriggerImpl<T, W>>(); }
};

// Fires every `max_count` records of a window (and keeps the contents: wrap it in a
// PurgingTrigger to start each count afresh).
class CountTrigger {
 public:
  static CountTrigger of(int64_t max_count) {
    if (max_count <= 0) throw std::invalid_argument("CountTrigger::of needs a count > 0");
    return CountTrigger(max_count);
  }
  template <class T, class W>
  TriggerPtr<T, W> make_trigger() const { return std::make_unique<detail::CountTriggerImpl<T, W>>(max_count_); }

 private:
  explicit CountTrigger(int64_t max_count) : max_count_(max_count) {}
  int64_t max_count_;
};

// The nested trigger's spec (or Trigger subclass), turning every FIRE into FIRE_AND_PURGE.
template <class Nested>
class PurgingTriggerOf {
 public:
  explicit PurgingTriggerOf(Nested nested) : nested_(std::move(nested)) {}
  template <class T, class W>
  TriggerPtr<T, W> make_trigger() const {
    return std::make_unique<detail::PurgingTriggerImpl<T, W>>(detail::trigger_factory<T, W>(nested_)());
  }

 private:
  Nested nested_;
};

struct PurgingTrigger {
  template <class Nested>
  static PurgingTriggerOf<Nested> of(Nested nested) { return PurgingTriggerOf<Nested>(std::move(nested)); }
};

}  // namespace sluice
