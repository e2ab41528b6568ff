// The sluice stream engine's public API in one include: StreamEnvironment, DataStream,
// keyed state and functions, windows, sources and sinks, collections.
#pragma once

#include "sluice/collection.h"
#include "sluice/data_stream.h"
#include "sluice/functions.h"
#include "sluice/sink.h"
#include "sluice/source.h"
#include "sluice/state.h"
#include "sluice/stream_environment.h"
#include "sluice/time.h"
#include "sluice/watermark_strategy.h"
#include "sluice/windows.h"
