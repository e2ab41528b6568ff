// WindowOperator: the keyed window operator of one subtask (Flink's WindowOperator and
// EvictingWindowOperator in one). For each record it extracts the key, asks the assigner
// for the record's windows, drops windows that are already late, adds the record to each
// (key, window)'s contents (a Contents policy: one accumulator, or the records), and asks
// the trigger what to do. Timers of triggers and cleanup timers (window end + allowed
// lateness) live in two TimerQueue<K, W>, one per time domain; a firing hands the
// contents to the window function, with the window's max_timestamp() as the results'
// timestamp. Session windows merge per key as Flink's MergingWindowSet does, except that
// merged state moves to the merge result's own entry instead of a "state window".
//
// State: a WindowTable of key -> that key's (window, entry) pairs (contents, trigger state,
// timer caches), so a record costs one hash lookup whatever the number of its windows;
// merging assigners also list each key's windows. An entry lives from its first record
// until its cleanup timer (or forever for global windows).
// End of input: the final watermark fires event-time windows; on_end_input() fires every
// pending processing-time timer, so that bounded processing-time jobs fire every window.
// Checkpoints: the (key, window) entries (contents, timer caches, trigger state by slot
// name), the session lists and both timer queues, each as a keyed section by the key group
// of the key, so a window operator restores at another parallelism. A ProcessWindowFunction's
// per-window state (window_state()) and global state (global_state()) live in two keyed
// state backends of the job's kind (heap or RocksDB), created at their first use; they are
// checkpointed as the backends' "state/<name>" sections renamed "window-function/window/<name>"
// and "window-function/global/<name>", by the key group of the record key (KeyGroupHash).
// Their restored bytes are copied and kept until close(), since their states are only
// registered at a window's firing, after the checkpoint's own bytes may be gone.
// Single-threaded: the subtask's thread.
#pragma once

#include <algorithm>
#include <any>
#include <deque>
#include <map>
#include <stdexcept>
#include <string_view>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sluice/evictors.h"
#include "sluice/functions.h"
#include "sluice/triggers.h"
#include "sluice/window.h"
#include "sluice/window_functions.h"
#include "sluice/serializer.h"
#include "stream/runtime/key_groups.h"
#include "stream/runtime/operator.h"
#include "stream/runtime/state_backends.h"
#include "stream/runtime/timer_queue.h"
#include "stream/state/keyed_state_backend.h"
#include "stream/window/window_contents.h"
#include "stream/window/window_table.h"

namespace sluice::runtime {

// A window assigner behind a virtual interface (the API's assigners are plain classes).
template <class T, class W>
class WindowAssignerOps {
 public:
  using MergeResults = std::vector<std::pair<std::vector<W>, W>>;
  virtual ~WindowAssignerOps() = default;
  // Appends the record's windows to `out`.
  virtual void assign(const T& value, Timestamp timestamp, Timestamp now, std::vector<W>& out) const = 0;
  virtual bool is_event_time() const = 0;
  virtual bool is_merging() const = 0;
  // Every group of two or more of `windows` that becomes one, with its result.
  virtual void merge(std::vector<W> windows, MergeResults& out) const = 0;
  virtual std::function<TriggerPtr<T, W>()> default_trigger() const = 0;
  virtual std::string describe() const = 0;
};

template <class T, class A>
class WindowAssignerAdapter final : public WindowAssignerOps<T, typename A::window_type> {
 public:
  using W = typename A::window_type;
  explicit WindowAssignerAdapter(A assigner) : a_(std::move(assigner)) {}
  void assign(const T& value, Timestamp timestamp, Timestamp now, std::vector<W>& out) const override {
    a_.assign_windows(value, timestamp, now, [&out](const W& w) { out.push_back(w); });
  }
  bool is_event_time() const override { return a_.is_event_time(); }
  bool is_merging() const override {
    if constexpr (requires { A::is_merging; }) return A::is_merging; else return false;
  }
  void merge(std::vector<W> windows, typename WindowAssignerOps<T, W>::MergeResults& out) const override {
    if constexpr (requires { A::is_merging; }) {
      a_.merge_windows(std::move(windows),
                       [&out](const std::vector<W>& merged, const W& result) { out.emplace_back(merged, result); });
    }
  }
  std::function<TriggerPtr<T, W>()> default_trigger() const override {
    return sluice::detail::trigger_factory<T, W>(a_.default_trigger());
  }
  std::string describe() const override {
    if constexpr (requires { a_.to_string(); }) return a_.to_string(); else return "WindowAssigner";
  }

 private:
  A a_;
};

// What WindowedStream configures; shared by the operator's subtasks.
template <class K, class In, class W>
struct WindowSpec {
  std::function<K(const In&)> key_of;
  std::shared_ptr<const WindowAssignerOps<In, W>> assigner;
  std::function<TriggerPtr<In, W>()> make_trigger;  // unset: the assigner's default
  std::function<EvictorPtr<In, W>()> make_evictor;  // unset: no evictor
  Duration allowed_lateness{0};
  std::optional<std::string> late_tag;  // side output of late records
};

// Out: the operator's output; with kFunction the fired results go through a
// ProcessWindowFunction<Contents::Result, Out, K, W>, else they are the output themselves.
template <class K, class In, class W, class Contents, class Out, bool kFunction>
class WindowOperator final : public OperatorWithOutput<Out>, public RecordInput<In> {
 public:
  using Result = typename Contents::Result;
  using Function = ProcessWindowFunction<Result, Out, K, W>;
  using TriggerT = Trigger<In, W>;

  WindowOperator(const WindowSpec<K, In, W>& spec, Contents contents, std::unique_ptr<Function> function)
      : spec_(spec),
        assigner_(spec.assigner.get()),
        event_time_(assigner_->is_event_time()),
        merging_(assigner_->is_merging()),
        lateness_(spec.allowed_lateness.count()),
        contents_(std::move(contents)),
        trigger_(spec.make_trigger ? spec.make_trigger() : assigner_->default_trigger()()),
        function_(std::move(function)),
        trigger_ctx_(this),
        evictor_ctx_(this),
        function_ctx_(this) {
    if (merging_ && !trigger_->can_merge())
      throw std::invalid_argument("the trigger " + trigger_->name() +
                                  " cannot be used with merging (session) windows");
  }

  void* record_input(int) override { return static_cast<RecordInput<In>*>(this); }

  void open() override {
    if constexpr (kFunction) {
      function_ctx_.open_restored();
      function_->open(this->subtask());
    }
  }

  void snapshot_state(CheckpointId, OperatorSnapshot& out) override {
    if constexpr (kFunction) function_ctx_.snapshot(out.keyed);
    if constexpr (!(Serializable<K> && Serializable<W> && Serializable<typename Contents::State>)) {
      if (entries_.empty()) return;
      throw std::runtime_error(std::string("window contents, key or window of types ") + typeid(K).name() + ", " +
                               typeid(typename Contents::State).name() +
                               " cannot be checkpointed: specialize sluice::Serializer for them");
    } else {
      const int maxp = this->subtask().max_parallelism;
      std::vector<const std::string*> slot_names(trigger_slots_.size());
      for (auto& [name, slot] : trigger_slots_) slot_names[slot.index] = &name;
      auto& entries = out.keyed["window/entries"];
      for (auto& [key, group] : entries_.groups()) {
        std::string& bytes = entries[key_group_of(key, maxp)];
        for (auto& e : group) {
          StateWriter w(bytes);
          write_value(w, key);
          write_value(w, e.window);
          write_value(w, e.contents);
          w.i64(e.event_timer);
          w.i64(e.processing_timer);
          w.u8(e.cleanup_registered ? 1 : 0);
          write_trigger_state(w, e.trigger_state.get(), slot_names);
        }
      }
      auto& sessions = out.keyed["window/sessions"];
      for (auto& [key, windows] : sessions_) {
        StateWriter w(sessions[key_group_of(key, maxp)]);
        write_value(w, key);
        write_value(w, windows);
      }
      std::map<int, std::string> event, processing;
      event_timers_.snapshot(event, maxp);
      processing_timers_.snapshot(processing, maxp);
      out.keyed["timers/event"] = std::move(event);
      out.keyed["timers/processing"] = std::move(processing);
      std::erase_if(out.keyed, [](auto& kv) { return kv.second.empty(); });
    }
  }

  void initialize_state(const OperatorRestore& state) override {
    if constexpr (kFunction) function_ctx_.keep_restored(state);
    if constexpr (Serializable<K> && Serializable<W> && Serializable<typename Contents::State>) {
      auto section = [&](const char* name) -> const std::vector<std::pair<int, std::string_view>>* {
        auto it = state.keyed.find(name);
        return it == state.keyed.end() ? nullptr : &it->second;
      };
      if (auto* groups = section("window/entries")) {
        for (auto& [g, bytes] : *groups) {
          StateReader r(bytes);
          while (!r.done()) {
            K key = read_value<K>(r);
            W window = read_value<W>(r);
            Entry e;
            e.window = window;
            e.contents = read_value<typename Contents::State>(r);
            e.event_timer = r.i64();
            e.processing_timer = r.i64();
            e.cleanup_registered = r.u8() != 0;
            read_trigger_state(r, e.trigger_state);
            entries_.insert_or_assign(std::move(key), std::move(e));
          }
        }
      }
      if (auto* groups = section("window/sessions")) {
        for (auto& [g, bytes] : *groups) {
          StateReader r(bytes);
          while (!r.done()) {
            K key = read_value<K>(r);
            sessions_[std::move(key)] = read_value<std::vector<W>>(r);
          }
        }
      }
      if (auto* groups = section("timers/event"))
        for (auto& [g, bytes] : *groups) event_timers_.restore(bytes);
      if (auto* groups = section("timers/processing"))
        for (auto& [g, bytes] : *groups) processing_timers_.restore(bytes);
    } else {
      for (auto& [section, groups] : state.keyed)
        if (!FunctionCtx::is_function_section(section))
          throw std::runtime_error("window state of types that have no sluice::Serializer cannot be restored");
    }
  }
  void close() override {
    if constexpr (kFunction) {
      function_->close();
      function_ctx_.close();
    }
  }

  void process_record(In&& value, Timestamp timestamp) override { process(std::move(value), timestamp); }
  // The contents keep what they need of a record (an accumulator, or a copy in a list).
  void process_borrowed(const In& value, Timestamp timestamp) override { process(value, timestamp); }

  template <class V>
  void process(V&& value, Timestamp timestamp) {
    bump(this->metrics().records_in);
    try {
      K key = spec_.key_of(value);
      windows_.clear();
      Timestamp now = event_time_ ? kMinTimestamp : this->processing_time();
      assigner_->assign(value, timestamp, now, windows_);
      bool skipped = merging_ ? add_to_merging_windows(key, value, timestamp)
                              : add_to_windows(std::move(key), value, timestamp);
      if (skipped && is_element_late(timestamp)) {
        OutputBase* late = spec_.late_tag ? this->find_side_output(*spec_.late_tag) : nullptr;
        if (!late) {
          ++late_records_dropped_;
        } else if constexpr (std::is_const_v<std::remove_reference_t<V>>) {
          static_cast<Output<In>*>(late)->emit_copy(value, timestamp);
        } else {
          static_cast<Output<In>*>(late)->emit(std::move(value), timestamp);
        }
      }
    } catch (...) {
      this->fail_on(value, timestamp);
    }
  }

  Timestamp next_processing_timer() const override { return processing_timers_.next(); }
  void on_processing_time(Timestamp now) override {
    processing_timers_.fire_until(now, [&](Timestamp time, const K& key, const W& window) {
      on_timer(time, key, window, TimeDomain::processing_time);
    });
  }

  // Records dropped because every window they belong to was late (Flink's
  // numLateRecordsDropped); late records go to the side output instead when one is set.
  uint64_t late_records_dropped() const { return late_records_dropped_; }
  // Live (key, window) entries, for tests of cleanup.
  size_t window_count() const { return entries_.size(); }

 protected:
  void on_watermark(Timestamp watermark) override {
    event_timers_.fire_until(watermark, [&](Timestamp time, const K& key, const W& window) {
      on_timer(time, key, window, TimeDomain::event_time);
    });
  }

  // A bounded input ended: every pending processing-time timer fires now, in time order,
  // as if processing time had reached it; timers set meanwhile are ignored.
  void on_end_input() override {
    ending_ = true;
    processing_timers_.fire_until(kMaxTimestamp, [&](Timestamp time, const K& key, const W& window) {
      on_timer(time, key, window, TimeDomain::processing_time);
    });
  }

 private:
  static constexpr Timestamp kNoTimer = kMinTimestamp;

  struct Entry {
    W window;
    typename Contents::State contents{};
    // Caches of the timers known to be pending, so that a trigger re-registering the same
    // timer for every record costs no ordered-set lookup.
    Timestamp event_timer = kNoTimer;
    Timestamp processing_timer = kNoTimer;
    bool cleanup_registered = false;
    std::unique_ptr<std::vector<std::any>> trigger_state;  // allocated by triggers that keep state
  };
  using Table = WindowTable<K, Entry>;

  // ---- contexts handed to the trigger, the evictor and the window function ----

  class TriggerCtx final : public TriggerT::OnMergeContext {
   public:
    explicit TriggerCtx(WindowOperator* op) : op_(op) {}
    void bind(const K* key, Entry* entry) {
      key_ = key;
      entry_ = entry;
      cursor_.owner = &entry->trigger_state;
    }
    Timestamp current_processing_time() const override { return op_->processing_time(); }
    Timestamp current_watermark() const override { return op_->StreamOperator::current_watermark(); }
    void register_event_time_timer(Timestamp time) override {
      if (entry_->event_timer == time) return;
      op_->event_timers_.add(time, *key_, entry_->window);
      entry_->event_timer = time;
    }
    void register_processing_time_timer(Timestamp time) override {
      if (op_->ending_ || entry_->processing_timer == time) return;
      op_->processing_timers_.add(time, *key_, entry_->window);
      entry_->processing_timer = time;
    }
    void delete_event_time_timer(Timestamp time) override {
      op_->event_timers_.remove(time, *key_, entry_->window);
      if (entry_->event_timer == time) entry_->event_timer = kNoTimer;
      if (op_->event_time_ && op_->cleanup_time(entry_->window) == time) entry_->cleanup_registered = false;
    }
    void delete_processing_time_timer(Timestamp time) override {
      op_->processing_timers_.remove(time, *key_, entry_->window);
      if (entry_->processing_timer == time) entry_->processing_timer = kNoTimer;
      if (!op_->event_time_ && op_->cleanup_time(entry_->window) == time) entry_->cleanup_registered = false;
    }
    std::vector<const std::vector<std::any>*> merged;

   protected:
    detail::TriggerSlot& slot(const std::string& name, const std::type_info& type) override {
      auto [it, inserted] = op_->trigger_slots_.try_emplace(name);
      if (inserted) {
        it->second.index = op_->trigger_slots_.size() - 1;
        it->second.type = &type;
      } else if (!it->second.type) {
        it->second.type = &type;  // restored from a checkpoint before its first use
      } else if (*it->second.type != type) {
        throw std::logic_error("trigger state '" + name + "' is used with two different types");
      }
      return it->second;
    }
    const detail::TriggerStateCursor* cursor() const override { return &cursor_; }
    const std::vector<const std::vector<std::any>*>& merged_slots() const override { return merged; }

   private:
    WindowOperator* op_;
    const K* key_ = nullptr;
    Entry* entry_ = nullptr;
    detail::TriggerStateCursor cursor_;
  };

  class EvictorCtx final : public Evictor<In, W>::EvictorContext {
   public:
    explicit EvictorCtx(const WindowOperator* op) : op_(op) {}
    Timestamp current_processing_time() const override { return op_->processing_time(); }
    Timestamp current_watermark() const override { return op_->StreamOperator::current_watermark(); }

   private:
    const WindowOperator* op_;
  };

  class FunctionCtx final : public Function::Context {
   public:
    explicit FunctionCtx(WindowOperator* op) : op_(op) {}
    void bind(const K* key, const W* window) {
      key_ = key;
      window_ = window;
    }
    Timestamp timestamp() const override { return window_->max_timestamp(); }
    const W& window() const override { return *window_; }
    Timestamp current_processing_time() const override { return op_->processing_time(); }
    Timestamp current_watermark() const override { return op_->StreamOperator::current_watermark(); }
    KeyedStateAccess<WindowedKey<K, W>>& window_state() override {
      if (op_->merging_)
        throw std::logic_error("per-window state is not available with merging (session) windows");
      if (!window_state_.backend) open_backend(window_state_, "window-state");
      windowed_key_.emplace(WindowedKey<K, W>{*key_, *window_});
      window_state_.backend->set_current_key(&*windowed_key_);
      return window_state_.access;
    }
    KeyedStateAccess<K>& global_state() override {
      if (!global_state_.backend) open_backend(global_state_, "global-state");
      global_state_.backend->set_current_key(key_);
      return global_state_.access;
    }

    static constexpr std::string_view kWindowSection = "window-function/window/";
    static constexpr std::string_view kGlobalSection = "window-function/global/";
    static bool is_function_section(const std::string& section) {
      return section.starts_with(kWindowSection) || section.starts_with(kGlobalSection);
    }

    // initialize_state(): copies this function's sections out of `state`, renamed to the
    // backends' own "state/<name>".
    void keep_restored(const OperatorRestore& state) {
      for (auto& [section, groups] : state.keyed) {
        auto copy = [&](auto* b, std::string_view prefix) {
          if (!b->restored) b->restored.emplace();
          auto& out = b->restored->keyed[std::string(state::KeyedStateBackend<K>::kSectionPrefix) +
                                         section.substr(prefix.size())];
          for (auto& [group, bytes] : groups) out.emplace_back(group, restored_bytes_.emplace_back(bytes));
        };
        if (section.starts_with(kWindowSection)) copy(&window_state_, kWindowSection);
        else if (section.starts_with(kGlobalSection)) copy(&global_state_, kGlobalSection);
      }
    }
    // open(): a backend with restored state exists from the start, so that the next
    // checkpoint holds that state even if no window fires before it.
    void open_restored() {
      if (window_state_.restored) open_backend(window_state_, "window-state");
      if (global_state_.restored) open_backend(global_state_, "global-state");
    }

    void snapshot(std::map<std::string, std::map<int, std::string>>& keyed) {
      snapshot_backend(window_state_, kWindowSection, "per-window state", keyed);
      snapshot_backend(global_state_, kGlobalSection, "global state", keyed);
    }

    // close(): frees both backends (a RocksDB one deletes its working directory).
    void close() {
      window_state_ = {};
      global_state_ = {};
      restored_bytes_.clear();
    }

   protected:
    OutputBase* side_output(const std::string& id) override { return op_->find_side_output(id); }

   private:
    template <class KK>
    struct Backend {
      std::unique_ptr<state::KeyedStateBackend<KK>> backend;
      KeyedStateAccess<KK> access;
      std::optional<OperatorRestore> restored;  // views into restored_bytes_
    };

    template <class KK>
    void open_backend(Backend<KK>& b, const char* what) {
      // The working directory's name starts with what it is for: names are cut at 40
      // characters, and both backends of a subtask must have their own.
      SubtaskInfo info = op_->subtask();
      info.operator_name = std::string(what) + "-" + info.operator_name;
      b.backend = make_keyed_state_backend<KK>(op_->state_backend(), op_->checkpoint_dir(), op_->clock(), info);
      if (b.restored) b.backend->restore(*b.restored);
      b.access.bind_state(b.backend.get());
    }

    template <class KK>
    static void snapshot_backend(Backend<KK>& b, std::string_view section_prefix, const char* what,
                                 std::map<std::string, std::map<int, std::string>>& keyed) {
      if (!b.backend) return;
      std::map<std::string, std::map<int, std::string>> own;
      try {
        b.backend->snapshot(own);
      } catch (const std::exception& e) {
        throw std::runtime_error(std::string("the ") + what + " of a ProcessWindowFunction: " + e.what());
      }
      constexpr std::string_view prefix = state::KeyedStateBackend<KK>::kSectionPrefix;
      for (auto& [section, groups] : own)
        keyed[std::string(section_prefix) + section.substr(prefix.size())] = std::move(groups);
    }

    WindowOperator* op_;
    const K* key_ = nullptr;
    const W* window_ = nullptr;
    std::optional<WindowedKey<K, W>> windowed_key_;
    Backend<WindowedKey<K, W>> window_state_;
    Backend<K> global_state_;
    std::deque<std::string> restored_bytes_;  // stable addresses for the restored views
  };

  // ---- checkpoints: trigger state by slot name ----

  void write_trigger_state(StateWriter& w, const std::vector<std::any>* slots,
                           const std::vector<const std::string*>& names) const {
    size_t present = 0;
    if (slots)
      for (auto& a : *slots) present += a.has_value();
    w.varint(present);
    if (!present) return;
    for (size_t i = 0; i < slots->size(); ++i) {
      const std::any& a = (*slots)[i];
      if (!a.has_value()) continue;
      w.bytes(*names.at(i));
      if (auto* pending = std::any_cast<detail::PendingSlotBytes>(&a)) {
        w.bytes(pending->bytes);
        continue;
      }
      std::string value;
      StateWriter vw(value);
      auto it = trigger_slots_.find(*names[i]);
      if (!it->second.storage) throw std::logic_error("trigger state '" + *names[i] + "' has a value but no type");
      it->second.storage->write(a, vw);
      w.bytes(value);
    }
  }

  void read_trigger_state(StateReader& r, std::unique_ptr<std::vector<std::any>>& out) {
    size_t present = r.length();
    if (!present) return;
    out = std::make_unique<std::vector<std::any>>();
    for (size_t i = 0; i < present; ++i) {
      std::string name(r.bytes());
      std::string_view value = r.bytes();
      auto [it, inserted] = trigger_slots_.try_emplace(name);
      if (inserted) it->second.index = trigger_slots_.size() - 1;  // its type comes with the first use
      if (out->size() <= it->second.index) out->resize(it->second.index + 1);
      (*out)[it->second.index] = detail::PendingSlotBytes{std::string(value)};
    }
  }

  // ---- records ----

  // Non-merging assigners; returns whether every window was late. One lookup of the key
  // for all of the record's windows.
  bool add_to_windows(K&& key, const In& value, Timestamp timestamp) {
    bool skipped = true;
    for (const W& window : windows_)
      if (!is_window_late(window)) skipped = false;
    if (skipped) return true;
    auto [stored_key, group] = entries_.group(std::move(key));
    for (const W& window : windows_) {
      if (is_window_late(window)) continue;
      // The reference lasts until the next window is added to this key's group.
      add_and_trigger(*stored_key, Table::get_or_add_in(*group, window), value, timestamp);
    }
    return false;
  }

  // Merging assigners: sessions_ lists each key's windows (Flink's MergingWindowSet).
  bool add_to_merging_windows(const K& key, const In& value, Timestamp timestamp) {
    bool skipped = true;
    auto sit = sessions_.try_emplace(key).first;
    for (const W& window : windows_) {
      W actual = add_merging_window(sit->first, sit->second, window);
      if (is_window_late(actual)) {
        // A new session that is late on its own: forget it (Flink's retireWindow).
        entries_.erase(key, actual);
        std::erase(sit->second, actual);
        continue;
      }
      skipped = false;
      auto [stored_key, entry] = entries_.find(key, actual);
      add_and_trigger(*stored_key, *entry, value, timestamp);
    }
    if (sit->second.empty()) sessions_.erase(sit);
    return skipped;
  }

  void add_and_trigger(const K& key, Entry& entry, const In& value, Timestamp timestamp) {
    contents_.add(entry.contents, value, timestamp);
    trigger_ctx_.bind(&key, &entry);
    TriggerResult r = trigger_->on_element(value, timestamp, entry.window, trigger_ctx_);
    if (is_fire(r)) fire(key, entry);
    if (is_purge(r)) contents_.clear(entry.contents);
    register_cleanup_timer(key, entry);
  }

  // MergingWindowSet.addWindow: merges `window` with the key's sessions; returns the window
  // the record belongs to (the merge result, an existing session, or `window` itself),
  // which then has an entry.
  W add_merging_window(const K& key, std::vector<W>& sessions, const W& window) {
    std::vector<W> all = sessions;
    all.push_back(window);
    merge_results_.clear();
    assigner_->merge(std::move(all), merge_results_);

    W result_window = window;
    bool merged_new = false;
    for (auto& [merged, result] : merge_results_) {
      auto self = std::find(merged.begin(), merged.end(), window);
      if (self != merged.end()) {
        merged.erase(self);
        merged_new = true;
        result_window = result;
      }
      // The new window falls inside one session without extending it: nothing to merge.
      if (merged.size() == 1 && merged[0] == result) continue;
      if (event_time_ && cleanup_time(result) <= this->StreamOperator::current_watermark())
        throw std::logic_error("merging made an event-time window end before the current watermark");
      if (!event_time_ && result.max_timestamp() <= this->processing_time())
        throw std::logic_error("merging made a processing-time window end before the current time");
      merge_into(key, sessions, merged, result);
    }
    if (merge_results_.empty() || (result_window == window && !merged_new)) {
      if (std::find(sessions.begin(), sessions.end(), window) == sessions.end()) {
        sessions.push_back(window);
        entries_.get_or_add(key, window);
      }
    }
    return result_window;
  }

  // Replaces the entries of `merged` by one entry for `result`: trigger on_merge, clear of
  // the merged windows' triggers and cleanup timers, contents merged in window order.
  void merge_into(const K& key, std::vector<W>& sessions, const std::vector<W>& merged, const W& result) {
    Entry target;
    target.window = result;
    std::vector<Entry*> sources;  // valid until the first erase below
    trigger_ctx_.merged.clear();
    for (const W& w : merged) {
      Entry* e = entries_.find(key, w).second;
      if (!e) continue;
      sources.push_back(e);
      trigger_ctx_.merged.push_back(e->trigger_state.get());
    }
    trigger_ctx_.bind(&key, &target);
    trigger_->on_merge(result, trigger_ctx_);
    trigger_ctx_.merged.clear();
    for (Entry* source : sources) {
      Entry& e = *source;
      trigger_ctx_.bind(&key, &e);
      trigger_->clear(e.window, trigger_ctx_);
      delete_cleanup_timer(key, e);
      contents_.merge(target.contents, e.contents);
    }
    for (const W& w : merged) entries_.erase(key, w);
    std::erase_if(sessions, [&](const W& w) { return std::find(merged.begin(), merged.end(), w) != merged.end(); });
    sessions.push_back(result);
    entries_.insert_or_assign(key, std::move(target));
  }

  // ---- timers ----

  void on_timer(Timestamp time, const K& key, const W& window, TimeDomain domain) {
    auto [stored_key, entry] = entries_.find(key, window);
    if (!entry) return;  // the window is gone (cleaned up or merged away)
    try {
      if (domain == TimeDomain::event_time) {
        if (entry->event_timer == time) entry->event_timer = kNoTimer;
      } else if (entry->processing_timer == time) {
        entry->processing_timer = kNoTimer;
      }
      const K& k = *stored_key;
      trigger_ctx_.bind(&k, entry);
      TriggerResult r = domain == TimeDomain::event_time ? trigger_->on_event_time(time, window, trigger_ctx_)
                                                         : trigger_->on_processing_time(time, window, trigger_ctx_);
      if (is_fire(r)) fire(k, *entry);
      if (is_purge(r)) contents_.clear(entry->contents);
      bool own_domain = event_time_ == (domain == TimeDomain::event_time);
      if (own_domain && time == cleanup_time(window)) clear_all_state(k, *entry);
    } catch (...) {
      this->fail_on(fmt::format("{} of key {}", describe_record(window), describe_record(key)), time);
    }
  }

  // `key` may be the table's own copy: the entry goes last.
  void clear_all_state(const K& key, Entry& entry) {
    trigger_ctx_.bind(&key, &entry);
    trigger_->clear(entry.window, trigger_ctx_);
    if constexpr (kFunction) {
      function_ctx_.bind(&key, &entry.window);
      function_->clear(function_ctx_);
    }
    if (merging_) {
      auto sit = sessions_.find(key);
      if (sit != sessions_.end()) {
        std::erase(sit->second, entry.window);
        if (sit->second.empty()) sessions_.erase(sit);
      }
    }
    const W window = entry.window;
    entries_.erase(key, window);
  }

  // Event time: the window's end plus the allowed lateness; processing time: its end.
  Timestamp cleanup_time(const W& window) const {
    Timestamp max = window.max_timestamp();
    if (!event_time_) return max;
    return max > kMaxTimestamp - lateness_ ? kMaxTimestamp : max + lateness_;
  }

  void register_cleanup_timer(const K& key, Entry& entry) {
    if (entry.cleanup_registered) return;
    Timestamp t = cleanup_time(entry.window);
    if (t == kMaxTimestamp) return;  // never cleaned up (global windows)
    if (event_time_ && entry.event_timer == t) {
      // The trigger's timer is the same (time, key, window) timer: one queue entry serves
      // both (delete_event_time_timer clears cleanup_registered with it).
      entry.cleanup_registered = true;
      return;
    }
    if (event_time_) {
      event_timers_.add(t, key, entry.window);
    } else {
      if (ending_) return;
      processing_timers_.add(t, key, entry.window);
    }
    entry.cleanup_registered = true;
  }

  void delete_cleanup_timer(const K& key, Entry& entry) {
    if (!entry.cleanup_registered) return;
    Timestamp t = cleanup_time(entry.window);
    if (event_time_) event_timers_.remove(t, key, entry.window); else processing_timers_.remove(t, key, entry.window);
    entry.cleanup_registered = false;
  }

  bool is_window_late(const W& window) const {
    return event_time_ && cleanup_time(window) <= this->StreamOperator::current_watermark();
  }
  bool is_element_late(Timestamp timestamp) const {
    if (!event_time_ || timestamp == kNoTimestamp) return false;
    Timestamp watermark = this->StreamOperator::current_watermark();
    return timestamp > kMaxTimestamp - lateness_ ? false : timestamp + lateness_ <= watermark;
  }

  // ---- firing ----

  void fire(const K& key, Entry& entry) {
    if (contents_.empty(entry.contents)) return;
    collector_.timestamp = entry.window.max_timestamp();
    contents_.fire(entry.contents, entry.window, evictor_ctx_, [&](std::span<const Result> results) {
      if constexpr (kFunction) {
        function_ctx_.bind(&key, &entry.window);
        function_->process(key, function_ctx_, results, collector_);
      } else {
        for (const Result& r : results) collector_.collect(Out(r));
      }
    });
  }

  WindowSpec<K, In, W> spec_;
  const WindowAssignerOps<In, W>* assigner_;
  const bool event_time_;
  const bool merging_;
  const Timestamp lateness_;
  Contents contents_;
  TriggerPtr<In, W> trigger_;
  std::unique_ptr<Function> function_;

  Table entries_;
  std::unordered_map<K, std::vector<W>> sessions_;  // merging assigners only
  TimerQueue<K, W> event_timers_;
  TimerQueue<K, W> processing_timers_;
  std::unordered_map<std::string, detail::TriggerSlot> trigger_slots_;
  bool ending_ = false;
  uint64_t late_records_dropped_ = 0;

  std::vector<W> windows_;  // the current record's windows (reused)
  typename WindowAssignerOps<In, W>::MergeResults merge_results_;
  typename OperatorWithOutput<Out>::TimestampedCollector collector_{this};
  TriggerCtx trigger_ctx_;
  EvictorCtx evictor_ctx_;
  FunctionCtx function_ctx_;
};

}  // namespace sluice::runtime
