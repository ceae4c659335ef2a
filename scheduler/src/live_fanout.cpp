#include "live_fanout.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace loa::scheduler {

LiveFanout::LiveFanout(std::size_t per_station_limit)
    : limit_{per_station_limit == 0 ? 1 : per_station_limit},
      fd_{::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)} {
    if (fd_ < 0) {
        throw std::runtime_error(std::string{"live fan-out: eventfd: "} + std::strerror(errno));
    }
}

LiveFanout::~LiveFanout() {
    ::close(fd_);
}

void LiveFanout::publish(const std::vector<std::string>& station_ids, std::string bytes) {
    auto shared = std::make_shared<const std::string>(std::move(bytes));
    {
        std::lock_guard lock{mu_};
        for (const auto& id : station_ids) {
            auto& q = queues_[id];
            if (q.size() >= limit_) {
                q.pop_front();
                ++dropped_;
            }
            q.push_back(shared);
            ++queued_;
        }
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(fd_, &one, sizeof one);
}

void LiveFanout::drain(const std::function<bool(const std::string&, const std::string&)>& send) {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto n = ::read(fd_, &count, sizeof count);
    std::map<std::string, std::deque<std::shared_ptr<const std::string>>> taken;
    {
        std::lock_guard lock{mu_};
        taken.swap(queues_);
    }
    std::uint64_t ok = 0;
    std::uint64_t failed = 0;
    for (const auto& [station, q] : taken) {
        for (const auto& bytes : q) {
            if (send(station, *bytes)) {
                ++ok;
            } else {
                ++failed;
            }
        }
    }
    std::lock_guard lock{mu_};
    sent_ += ok;
    dropped_ += failed;
}

std::uint64_t LiveFanout::queued() const {
    std::lock_guard lock{mu_};
    return queued_;
}

std::uint64_t LiveFanout::sent() const {
    std::lock_guard lock{mu_};
    return sent_;
}

std::uint64_t LiveFanout::dropped() const {
    std::lock_guard lock{mu_};
    return dropped_;
}

}  // namespace loa::scheduler
