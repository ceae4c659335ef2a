#include "loa/scheduler/planning.hpp"

#include <array>
#include <chrono>
#include <utility>

namespace loa::scheduler {

namespace {

constexpr std::array<std::pair<PriorityClass, std::string_view>, 5> kClasses{{
    {wire::EMERGENCY, "emergency"},
    {wire::PROVINCE, "province"},
    {wire::DISTRICT, "district"},
    {wire::COMMUNE, "commune"},
    {wire::FILLER, "filler"},
}};

constexpr std::array<std::string_view, 3> kPolicies{"shorten", "move", "drop"};
constexpr std::array<std::string_view, 3> kStates{"draft", "approved", "retired"};

std::string seconds_text(Duration d) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    if (ms % 1000 == 0) {
        return std::to_string(ms / 1000) + " s";
    }
    return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 + 1000).substr(1) + " s";
}

}  // namespace

std::string_view priority_class_name(PriorityClass priority) {
    for (const auto& [p, name] : kClasses) {
        if (p == priority) {
            return name;
        }
    }
    return "unspecified";
}

std::optional<PriorityClass> parse_priority_class(std::string_view name) {
    for (const auto& [p, n] : kClasses) {
        if (n == name) {
            return p;
        }
    }
    return std::nullopt;
}

std::string_view cut_policy_name(CutPolicy policy) {
    return kPolicies[static_cast<std::size_t>(policy)];
}

std::optional<CutPolicy> parse_cut_policy(std::string_view name) {
    for (std::size_t i = 0; i < kPolicies.size(); ++i) {
        if (kPolicies[i] == name) {
            return static_cast<CutPolicy>(i);
        }
    }
    return std::nullopt;
}

std::string_view entry_state_name(EntryState state) {
    return kStates[static_cast<std::size_t>(state)];
}

std::optional<EntryState> parse_entry_state(std::string_view name) {
    for (std::size_t i = 0; i < kStates.size(); ++i) {
        if (kStates[i] == name) {
            return static_cast<EntryState>(i);
        }
    }
    return std::nullopt;
}

std::string_view conflict_action_name(ConflictAction action) {
    switch (action) {
        case ConflictAction::shortened:
            return "shortened";
        case ConflictAction::moved:
            return "moved";
        case ConflictAction::dropped:
            return "dropped";
        case ConflictAction::retired_while_airing:
            return "retired while airing";
        case ConflictAction::changed_while_airing:
            return "changed while airing";
    }
    return "unknown";
}

Duration Programme::total_duration() const {
    Duration total{};
    for (const auto& a : assets) {
        total += a.duration;
    }
    return total;
}

std::string Conflict::describe(std::string_view station_id, std::string_view zone) const {
    std::string out = "entry " + std::to_string(entry_id) + " (" +
                      std::string{priority_class_name(priority)} + ") at " +
                      format_local(occurrence, zone);
    switch (action) {
        case ConflictAction::retired_while_airing:
        case ConflictAction::changed_while_airing:
            return out + " at station " + std::string{station_id} + ": " +
                   std::string{conflict_action_name(action)} + " (on air since " +
                   format_local(start, zone) + ")";
        case ConflictAction::shortened:
        case ConflictAction::moved:
        case ConflictAction::dropped:
            break;
    }
    out += " lost to entry " + std::to_string(winner_entry_id) + " (" +
           std::string{priority_class_name(winner_priority)} + ") at " +
           format_local(winner_occurrence, zone) + " at station " + std::string{station_id} + ": ";
    switch (action) {
        case ConflictAction::shortened:
            return out + "shortened to " + seconds_text(duration);
        case ConflictAction::moved:
            return out + "moved to " + format_local(start, zone);
        default:
            return out + "dropped";
    }
}

}  // namespace loa::scheduler
