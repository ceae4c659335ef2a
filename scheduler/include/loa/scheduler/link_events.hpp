#pragma once

#include "loa/wire/loa.pb.h"

#include <string>
#include <vector>

namespace loa::scheduler {

// What the rest of the scheduler tells the link about changes it made. Implementations are
// thread-safe and return at once (the link acts on its own thread).
class ILinkEvents {
public:
    virtual ~ILinkEvents() = default;
    // A station was registered: admit its CURVE key from now on.
    virtual void station_registered(const std::string& station_id,
                                    const std::string& public_key) = 0;
    // The timelines of these stations were recompiled (their revision may have changed): push
    // the newest revision to those that are connected.
    virtual void timelines_changed(const std::vector<std::string>& station_ids) = 0;
    // Sends a live message (LiveStart, LiveFrame, LiveStop) to these stations, best effort: it is
    // queued apart from timelines and assets, on a bounded queue per station whose oldest
    // messages are dropped when the station backs up. A link without live support drops it.
    virtual void send_live(const std::vector<std::string>& station_ids,
                           const wire::Envelope& envelope) {
        (void)station_ids;
        (void)envelope;
    }
};

}  // namespace loa::scheduler
