// Windows over streams, as in Flink: window types (window.h), assigners
// (window_assigners.h), triggers (triggers.h), evictors (evictors.h), window functions
// (window_functions.h), and WindowedStream / AllWindowedStream (windowed_stream.h), reached
// through KeyedStream::window(assigner) and DataStream::window_all(assigner).
#pragma once

#include "sluice/evictors.h"
#include "sluice/triggers.h"
#include "sluice/window.h"
#include "sluice/window_assigners.h"
#include "sluice/window_functions.h"
#include "sluice/windowed_stream.h"
