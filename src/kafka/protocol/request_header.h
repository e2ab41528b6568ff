// Request and response headers. Request header v1 is api_key, api_version,
// correlation_id, client_id (a non-compact nullable string even in flexible versions);
// v2 adds a tagged-field section. Response header v0 is the correlation id; v1 adds
// tagged fields — except ApiVersions, whose response header is always v0 so that a client
// can read it before the versions are agreed.
#pragma once

#include <optional>
#include <string>

#include "kafka/protocol/api_keys.h"
#include "kafka/protocol/wire.h"

namespace sluice::kafka {

struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
};

/// Reads the fixed part (key, version, correlation id) and the client id. The caller
/// then calls skip_tagged_fields() if the API's version is flexible.
RequestHeader read_request_header(WireReader& r);
void write_request_header(WireWriter& w, const RequestHeader& h, bool flexible);

/// Whether the response to (key, version) carries header v1 (tagged fields).
bool response_header_is_flexible(const ApiInfo& api, int16_t version);

}  // namespace sluice::kafka
