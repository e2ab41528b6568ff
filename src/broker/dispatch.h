// Turns one request frame (header + body, without the size prefix) into its response
// frame: decodes the header, checks the API and version, decodes the body, runs the
// API's handler, encodes the response. The frame buffer is the connection's: handlers may
// patch record batches in it (the log assigns offsets in place); it is free again once
// dispatch_request returns, even when the answer is deferred.
#pragma once

#include <asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kafka/protocol/wire.h"

namespace sluice::broker {

class Broker;

struct DispatchResult {
  /// The response frame; none when the request expects no answer (Produce with acks=0)
  /// or when it is deferred.
  std::optional<std::vector<kafka::WirePiece>> pieces;
  /// Non-empty: the request cannot be answered; close the connection and log this.
  std::string close_reason;
  /// A Produce whose appends wait for their fsync (group commit): awaiting this gives the
  /// response frame once they are durable. The request's work is done (appended, offsets
  /// assigned); only the answer waits, so the connection may handle the next request.
  std::optional<asio::awaitable<std::vector<kafka::WirePiece>>> deferred;
};

asio::awaitable<DispatchResult> dispatch_request(Broker& broker, std::string& frame,
                                                 const std::string& peer);

}  // namespace sluice::broker
