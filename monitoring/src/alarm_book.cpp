#include "loa/monitoring/alarm_book.hpp"

#include <algorithm>
#include <set>

namespace loa::monitoring {

AlarmBook::AlarmBook(const IClock& clock, std::size_t history_limit)
    : clock_{clock}, history_limit_{history_limit} {}

void AlarmBook::restore(std::vector<AlarmEvent> active, std::vector<AlarmEvent> cleared) {
    std::lock_guard lock{mutex_};
    active_.clear();
    for (auto& e : active) {
        e.type = AlarmEvent::Type::raised;
        e.cleared_at.reset();
        const std::string key = e.alarm.key;
        active_.insert_or_assign(key, std::move(e));
    }
    cleared_.clear();
    for (auto& e : cleared) {
        if (cleared_.size() >= history_limit_) {
            break;
        }
        e.type = AlarmEvent::Type::cleared;
        cleared_.push_back(std::move(e));
    }
}

std::vector<AlarmEvent> AlarmBook::update(const std::vector<Alarm>& evaluation) {
    const TimePoint now = clock_.now();
    std::lock_guard lock{mutex_};
    std::vector<AlarmEvent> raised;
    std::set<std::string> present;
    for (const auto& alarm : evaluation) {
        if (!present.insert(alarm.key).second) {
            continue;  // the first of two alarms with one key wins
        }
        const auto it = active_.find(alarm.key);
        if (it == active_.end()) {
            AlarmEvent e{AlarmEvent::Type::raised, alarm, now, std::nullopt};
            active_.emplace(alarm.key, e);
            raised.push_back(std::move(e));
        } else {
            // Ongoing: the first times stay, the words follow the newest evaluation.
            const TimePoint since = it->second.alarm.since;
            it->second.alarm = alarm;
            it->second.alarm.since = since;
        }
    }
    std::vector<AlarmEvent> cleared;
    for (auto it = active_.begin(); it != active_.end();) {
        if (present.contains(it->first)) {
            ++it;
            continue;
        }
        AlarmEvent e = std::move(it->second);
        e.type = AlarmEvent::Type::cleared;
        e.cleared_at = now;
        cleared.push_back(e);
        cleared_.push_front(std::move(e));
        it = active_.erase(it);
    }
    while (cleared_.size() > history_limit_) {
        cleared_.pop_back();
    }
    std::sort(raised.begin(), raised.end(),
              [](const AlarmEvent& a, const AlarmEvent& b) { return a.alarm.key < b.alarm.key; });
    raised.insert(raised.end(), cleared.begin(), cleared.end());
    return raised;
}

std::vector<AlarmEvent> AlarmBook::active() const {
    std::lock_guard lock{mutex_};
    std::vector<AlarmEvent> out;
    out.reserve(active_.size());
    for (const auto& [key, e] : active_) {
        out.push_back(e);
    }
    return out;
}

std::vector<AlarmEvent> AlarmBook::cleared() const {
    std::lock_guard lock{mutex_};
    return {cleared_.begin(), cleared_.end()};
}

}  // namespace loa::monitoring
