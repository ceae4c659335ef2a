#pragma once

#include "loa/scheduler/admin_units.hpp"
#include "loa/scheduler/line_error.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace loa::scheduler {

// The zone a station has when nothing else is said: its one amplifier output.
inline constexpr std::string_view kMainZone = "main";
// A station has at most this many zones (the compiler keeps them as bits of a 64-bit mask).
inline constexpr std::size_t kMaxZones = 64;

// A station as the planning core sees it: attached to one administrative unit, with its zones
// (amplifier outputs) in order.
struct Station {
    std::string id;         // 1–64 letters, digits, '-', '_', '.'
    std::string unit_code;  // the unit it serves
    std::string name;
    std::vector<std::string> zones;  // at least one; names distinct

    bool operator==(const Station&) const = default;
};

// What a station import produced: the stations, or every problem with them.
struct StationImport {
    std::vector<Station> stations;
    std::vector<LineError> errors;  // when not empty, `stations` is empty
    bool ok() const { return errors.empty(); }
};

// The default layout: one station per unit, with the unit's code as its id, the unit's
// name_with_type as its name, and the one zone "main". In the tree's pre-order. Pure; any thread.
std::vector<Station> default_stations(const AdminUnitTree& tree);

// Checks one station against `tree`: a valid id, a known unit, zone names of 1–32 letters,
// digits, '-' or '_', distinct, at most kMaxZones. The message names the problem.
std::vector<std::string> station_problems(const Station& station, const AdminUnitTree& tree);

// Reads a station CSV with the columns station_id, unit_code (required), name and zones
// (optional; other columns are ignored). `zones` is a ';'-separated list ("main;market"); empty,
// or absent, means the one zone "main"; an empty name means the unit's name_with_type. Every
// problem is reported with its line ("line 4: unit_code 999 is not a known unit", "line 9:
// station_id 30280 is already on line 3"); when there is any, no station is returned.
// Pure; any thread.
StationImport parse_station_csv(std::string_view csv, const AdminUnitTree& tree);

}  // namespace loa::scheduler
