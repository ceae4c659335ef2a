#include "loa/monitoring/wire_as_run.hpp"

#include <utility>

namespace loa::monitoring {

AsRun as_run_from_wire(std::string station_id, const wire::AsRunRecord& record) {
    AsRun r;
    r.station_id = std::move(station_id);
    r.item_id = record.item_id();
    switch (record.status()) {
        case wire::COMPLETED:
            r.status = AsRunStatus::completed;
            break;
        case wire::INTERRUPTED:
            r.status = AsRunStatus::interrupted;
            break;
        default:
            r.status = AsRunStatus::failed;
            break;
    }
    r.reason = record.reason();
    if (record.started_at_us() != 0) {
        r.started_at = from_unix_us(record.started_at_us());
    }
    if (record.ended_at_us() != 0) {
        r.ended_at = from_unix_us(record.ended_at_us());
    }
    r.paused_ms = record.paused_ms();
    r.preempted_by = record.preempted_by();
    return r;
}

}  // namespace loa::monitoring
