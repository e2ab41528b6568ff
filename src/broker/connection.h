// One client connection: reads size-prefixed request frames, answers each in order (as
// Kafka does, one request at a time per connection), sends record batches from log
// files with sendfile. A malformed frame closes the connection with a log line; other
// connections are unaffected.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

namespace sluice::broker {

class Broker;

asio::awaitable<void> serve_connection(Broker& broker, asio::ip::tcp::socket socket);

}  // namespace sluice::broker
