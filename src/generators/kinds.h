// The table of kinds (generator.cpp), indexed for the generators' constructors.
#pragma once

#include "generators/generator.h"

namespace sluice::generators {

enum class Kind { clicks, url_clicks, numbers, orders, transactions, frames, nexmark };

const KindInfo& kind_info(Kind kind);

}  // namespace sluice::generators
