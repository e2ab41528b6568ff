#include "kafka/client/metadata.h"

namespace sluice::kafka::client {

const TopicInfo* ClusterMetadata::find(const std::string& topic) const {
  for (const auto& t : topics) {
    if (t.name == topic) return &t;
  }
  return nullptr;
}

}  // namespace sluice::kafka::client
