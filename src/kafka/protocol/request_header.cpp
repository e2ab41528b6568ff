#include "kafka/protocol/request_header.h"

namespace sluice::kafka {

RequestHeader read_request_header(WireReader& r) {
  RequestHeader h;
  h.api_key = r.int16();
  h.api_version = r.int16();
  h.correlation_id = r.int32();
  if (auto id = r.nullable_string(/*compact=*/false)) h.client_id.emplace(*id);
  return h;
}

void write_request_header(WireWriter& w, const RequestHeader& h, bool flexible) {
  w.int16(h.api_key);
  w.int16(h.api_version);
  w.int32(h.correlation_id);
  w.nullable_string(h.client_id ? std::optional<std::string_view>(*h.client_id) : std::nullopt,
                    false);
  if (flexible) w.empty_tagged_fields();
}

bool response_header_is_flexible(const ApiInfo& api, int16_t version) {
  return api.key != ApiKey::kApiVersions && api.flexible(version);
}

}  // namespace sluice::kafka
