#pragma once

#include "loa/monitoring/compliance_types.hpp"
#include "loa/wire/loa.pb.h"

#include <string>

namespace loa::monitoring {

// The reconciliation's view of an as-run record received from `station_id` (times of 0 are
// "never started"; an unspecified status is read as FAILED). Pure; any thread.
AsRun as_run_from_wire(std::string station_id, const wire::AsRunRecord& record);

}  // namespace loa::monitoring
