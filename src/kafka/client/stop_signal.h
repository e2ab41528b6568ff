// StopSignal: lets a console tool's loop notice Ctrl-C (SIGINT) and SIGTERM and stop
// cleanly instead of dying mid-write. install() replaces the two handlers for the rest of
// the process (without SA_RESTART, so a blocking read returns EINTR); requested() is
// async-signal-safe to set and cheap to read from any thread.
#pragma once

namespace sluice::kafka::client {

class StopSignal {
 public:
  static void install();
  static bool requested();
  // The signal that asked to stop, or 0.
  static int signal_number();
};

}  // namespace sluice::kafka::client
