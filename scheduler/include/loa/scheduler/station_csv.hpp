#pragma once

#include "loa/scheduler/admin_units.hpp"
#include "loa/scheduler/line_error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loa::scheduler {

// The zone a station has when nothing else is said: its one amplifier output.
inline constexpr std::string_view kMainZone = "main";
// A station has at most this many zones (the compiler keeps them as bits of a 64-bit mask).
inline constexpr std::size_t kMaxZones = 64;

// Where a station is: WGS 84 degrees (latitude -90..90, longitude -180..180).
struct StationPosition {
    double lat = 0;
    double lon = 0;

    bool operator==(const StationPosition&) const = default;
};

// A station as the planning core sees it: attached to one administrative unit, with its zones
// (amplifier outputs) in order, and where it is when known (CAP polygons and circles match it,
// docs/alerts.md).
struct Station {
    Station() = default;
    // Positional like the aggregate it was: Station{id, unit_code, name, zones[, position]}.
    Station(std::string station_id, std::string unit, std::string station_name,
            std::vector<std::string> station_zones,
            std::optional<StationPosition> where = std::nullopt)
        : id{std::move(station_id)},
          unit_code{std::move(unit)},
          name{std::move(station_name)},
          zones{std::move(station_zones)},
          position{where} {}

    std::string id;         // 1–64 letters, digits, '-', '_', '.'
    std::string unit_code;  // the unit it serves
    std::string name;
    std::vector<std::string> zones;           // at least one; names distinct
    std::optional<StationPosition> position;  // its own position, if given

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

// Reads a station CSV with the columns station_id, unit_code (required), name, zones, lat and lon
// (optional; other columns are ignored). `zones` is a ';'-separated list ("main;market"); empty,
// or absent, means the one zone "main"; an empty name means the unit's name_with_type. `lat` and
// `lon` are the station's position in decimal degrees (WGS 84, a '.' for the decimal point): both
// or neither on a line; empty or absent means no position. Every problem is reported with its
// line ("line 4: unit_code 999 is not a known unit", "line 9: station_id 30280 is already on line
// 3", "line 5: lat '10,38' is not a number", "line 6: lon 190 is outside -180..180", "line 7: lat
// is given without lon"); when there is any, no station is returned.
// Pure; any thread.
StationImport parse_station_csv(std::string_view csv, const AdminUnitTree& tree);

}  // namespace loa::scheduler
