#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace loa::scheduler {

// The link's queue of live messages, apart from timelines and assets: one bounded queue per
// station of encoded envelopes (shared between the stations a message goes to). When a station's
// queue is full its oldest message is dropped and counted, so a slow agent never holds up the
// others or the rest of the link. An eventfd wakes the link thread when something is queued.
//
// Threads: publish() and the counters from any thread (the live sessions' threads); fd() and
// drain() from the link thread only.
class LiveFanout {
public:
    explicit LiveFanout(std::size_t per_station_limit = 50);
    ~LiveFanout();
    LiveFanout(const LiveFanout&) = delete;
    LiveFanout& operator=(const LiveFanout&) = delete;

    void publish(const std::vector<std::string>& station_ids, std::string bytes);
    // The eventfd to poll for input.
    int fd() const { return fd_; }
    // Clears the eventfd and hands every queued message to `send` (station id, bytes), oldest
    // first per station; `send` answers false when the message could not be sent (counted as
    // dropped).
    void drain(const std::function<bool(const std::string&, const std::string&)>& send);

    std::uint64_t queued() const;
    std::uint64_t sent() const;
    std::uint64_t dropped() const;

private:
    std::size_t limit_;
    int fd_ = -1;
    mutable std::mutex mu_;
    std::map<std::string, std::deque<std::shared_ptr<const std::string>>> queues_;  // guarded
    std::uint64_t queued_ = 0;                                                      // guarded
    std::uint64_t sent_ = 0;                                                        // guarded
    std::uint64_t dropped_ = 0;                                                     // guarded
};

}  // namespace loa::scheduler
