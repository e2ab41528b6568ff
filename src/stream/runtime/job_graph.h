// JobGraph: what the DataStream API builds and the runtime executes. Nodes are operators
// (sources included) in creation order, which is a topological order; edges connect an
// output stream of a node (main "" or a side output's id) to an input of another, with a
// partitioning. The types of records are erased here; each output stream carries a
// StreamOps made by the typed API that can build its channels, outputs and input gates.
#pragma once

#include "sluice/checkpoint.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/subtask_info.h"
#include "stream/runtime/channel.h"
#include "stream/runtime/input_gate.h"
#include "stream/runtime/key_groups.h"
#include "stream/runtime/operator.h"
#include "stream/runtime/output.h"

namespace sluice::runtime {

// Typed operations for one output stream's record type, erased behind void pointers.
class StreamOps {
 public:
  virtual ~StreamOps() = default;
  virtual std::shared_ptr<ChannelBase> make_channel(size_t capacity, TaskWakeup* consumer) const = 0;
  virtual std::unique_ptr<OutputBase> make_network_output(
      const std::vector<std::shared_ptr<ChannelBase>>& channels, Partitioning partitioning,
      const std::shared_ptr<const void>& key_hash, int max_parallelism, size_t batch_size,
      size_t first_target) const = 0;
  virtual std::unique_ptr<OutputBase> make_chained_output(StreamOperator* next, int input) const = 0;
  virtual std::unique_ptr<OutputBase> make_fan_out(std::vector<OutputBase*> targets) const = 0;
  virtual std::unique_ptr<OutputBase> make_discarding_output() const = 0;
  virtual std::unique_ptr<InputGate> make_input_gate(const std::vector<std::shared_ptr<ChannelBase>>& channels,
                                                     StreamOperator* op, int input,
                                                     size_t first_channel) const = 0;
};

// The hash of a record's key, for hash edges: a std::function<size_t(const T&)>.
template <class T>
using KeyHash = std::function<size_t(const T&)>;

template <class T>
class TypedStreamOps final : public StreamOps {
 public:
  std::shared_ptr<ChannelBase> make_channel(size_t capacity, TaskWakeup* consumer) const override {
    return std::make_shared<Channel<T>>(capacity, consumer);
  }
  std::unique_ptr<OutputBase> make_network_output(const std::vector<std::shared_ptr<ChannelBase>>& channels,
                                                  Partitioning partitioning,
                                                  const std::shared_ptr<const void>& key_hash,
                                                  int max_parallelism, size_t batch_size,
                                                  size_t first_target) const override {
    typename PartitionedOutput<T>::ChannelOf channel_of;
    if (partitioning == Partitioning::hash) {
      auto hash = std::static_pointer_cast<const KeyHash<T>>(key_hash);
      int n = static_cast<int>(channels.size());
      channel_of = [hash, max_parallelism, n](const T& value) {
        return static_cast<size_t>(subtask_of_key_group(
            key_group_of_hash((*hash)(value), max_parallelism), max_parallelism, n));
      };
    }
    return std::make_unique<PartitionedOutput<T>>(typed(channels), partitioning, std::move(channel_of),
                                                  batch_size, first_target);
  }
  std::unique_ptr<OutputBase> make_chained_output(StreamOperator* next, int input) const override {
    return std::make_unique<ChainedOutput<T>>(static_cast<RecordInput<T>*>(next->record_input(input)), next);
  }
  std::unique_ptr<OutputBase> make_fan_out(std::vector<OutputBase*> targets) const override {
    std::vector<Output<T>*> typed_targets;
    for (auto* t : targets) typed_targets.push_back(static_cast<Output<T>*>(t));
    return std::make_unique<FanOutOutput<T>>(std::move(typed_targets));
  }
  std::unique_ptr<OutputBase> make_discarding_output() const override {
    return std::make_unique<DiscardingOutput<T>>();
  }
  std::unique_ptr<InputGate> make_input_gate(const std::vector<std::shared_ptr<ChannelBase>>& channels,
                                             StreamOperator* op, int input,
                                             size_t first_channel) const override {
    return std::make_unique<TypedInputGate<T>>(
        typed(channels), static_cast<RecordInput<T>*>(op->record_input(input)), first_channel);
  }

 private:
  static std::vector<std::shared_ptr<Channel<T>>> typed(const std::vector<std::shared_ptr<ChannelBase>>& channels) {
    std::vector<std::shared_ptr<Channel<T>>> out;
    for (auto& c : channels) out.push_back(std::static_pointer_cast<Channel<T>>(c));
    return out;
  }
};

struct GraphEdge {
  int source = 0;
  std::string source_stream;  // "" for the main output, else a side output's id
  int target = 0;
  int target_input = 0;       // 0, or 1 for the second input of a two-input operator
  std::optional<Partitioning> partitioning;  // unset: forward if parallelisms match, else rebalance
  std::shared_ptr<const void> key_hash;      // for Partitioning::hash
};

struct GraphNode {
  int id = 0;
  std::string name;
  std::string uid;
  std::string kind;  // "source", "map", "keyed-process", "window", "sink", ...
  int parallelism = 0;  // 0: the environment's
  bool chainable = true;
  bool route_failures = false;
  std::function<std::unique_ptr<StreamOperator>(const SubtaskInfo&)> make_operator;
  std::map<std::string, std::shared_ptr<const StreamOps>> outputs;  // stream id -> record type
  std::vector<int> input_edges;  // indices into JobGraph::edges
  std::shared_ptr<CheckpointCommitter> committer;  // sinks with job-wide commits
};

struct JobGraph {
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;

  GraphNode& add_node(std::string kind, std::string name) {
    GraphNode node;
    node.id = static_cast<int>(nodes.size());
    node.kind = std::move(kind);
    node.name = std::move(name);
    nodes.push_back(std::move(node));
    return nodes.back();
  }
  void add_edge(GraphEdge edge) {
    nodes[edge.target].input_edges.push_back(static_cast<int>(edges.size()));
    edges.push_back(std::move(edge));
  }
};

}  // namespace sluice::runtime
