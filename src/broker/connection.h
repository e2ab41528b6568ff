// One client connection: reads size-prefixed request frames, answers each in order, sends
// record batches from log files with sendfile. Requests are handled one at a time, as
// Kafka does, with one exception: a Produce whose answer waits for its fsync (group commit
// under --flush every-batch) lets the next Produce requests on the connection be read and
// appended meanwhile (up to 16 answers queued), so that a client's pipelined produces share
// fsyncs too. Any other request waits until every earlier answer is sent. Answers go out in
// request order whatever order their fsyncs finish in. A malformed frame closes the
// connection with a log line (after the earlier answers); other connections are unaffected.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

namespace sluice::broker {

class Broker;

asio::awaitable<void> serve_connection(Broker& broker, asio::ip::tcp::socket socket);

}  // namespace sluice::broker
