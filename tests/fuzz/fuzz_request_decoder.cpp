// libFuzzer target: a request frame (without its size prefix) through the same decoding
// the broker does: header, API lookup, body at the stated version. Any input must either
// decode or throw DecodeError: no crash, no out-of-bounds read, no unbounded allocation.
#include <cstddef>
#include <cstdint>

#include "kafka/protocol/messages.h"
#include "kafka/protocol/request_header.h"

using namespace sluice::kafka;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    WireReader r(data, size);
    RequestHeader header = read_request_header(r);
    auto api = find_api(header.api_key);
    if (!api || !api->supports(header.api_version)) return 0;
    bool flexible = api->flexible(header.api_version);
    if (flexible) r.skip_tagged_fields();
    with_request_type(api->key, [&](auto type) {
      using Request = typename decltype(type)::type;
      auto request = decode_message<Request>(r, header.api_version, flexible);
      // Re-encoding what was decoded must not fail either.
      WireWriter w;
      encode_message(w, request, header.api_version, flexible);
      (void)w.finish();
    });
  } catch (const DecodeError&) {
    // Rejected as malformed: the expected outcome for most inputs.
  }
  return 0;
}
