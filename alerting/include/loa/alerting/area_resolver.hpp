#pragma once

#include "loa/alerting/alert.hpp"
#include "loa/common/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loa::alerting {

// A station as the area mapping sees it: where it is and where its loudspeakers are.
struct StationSite {
    std::string id;
    std::string unit_code;           // the admin unit it serves (GSO code), may be empty
    std::optional<LatLon> position;  // where it is (its own building), if known
    // Where its loudspeaker clusters are (what people hear). A station with neither a position
    // nor a cluster is found by unit code only.
    std::vector<LatLon> clusters;
};

// How an area selected a station.
enum class MatchKind { geocode, polygon, circle };
// "geocode", "polygon", "circle".
std::string_view to_string(MatchKind kind);

// What one area selected, and how.
struct AreaMatch {
    std::string path;         // names the area: "info[1].area[2]"
    std::string description;  // its <areaDesc>
    // Station ids, sorted, selected by its GSO geocodes, by its polygons, by its circles; a
    // station may be in more than one list.
    std::vector<std::string> by_geocode;
    std::vector<std::string> by_polygon;
    std::vector<std::string> by_circle;

    const std::vector<std::string>& by(MatchKind kind) const;
    // The union of the three lists, sorted and unique.
    std::vector<std::string> stations() const;
};

// Maps CAP areas to the stations in them.
//
// An area selects the union of:
// - its <geocode>s whose valueName is a unit-code scheme (is_unit_code_scheme(): "GSO" or
//   "VN-GSO", any case; the value is the General Statistics Office code of an admin unit, e.g.
//   "89", "883", "30280"): every station whose unit is that unit or lies under it. A GSO code
//   that is not a known unit is an error; geocodes of other schemes (SAME, FIPS, ...) select
//   nothing;
// - its <polygon>s: every station whose position or ANY of whose loudspeaker clusters lies
//   inside or on the boundary (GEOS, in the plane of longitude and latitude, as CAP draws
//   polygons). A polygon whose ring crosses itself is an error;
// - its <circle>s: every station whose position or any of whose clusters is within the radius,
//   by great-circle distance on a sphere of radius 6371.0088 km.
// Areas outside every station select nothing; stations_for() then answers "no station is in the
// area".
//
// Immutable once built: any number of threads may call it at once.
class AreaResolver {
public:
    // `unit_parents`: unit code -> parent code (empty or absent for a root), e.g. from the admin
    // unit tree.
    AreaResolver(std::vector<StationSite> stations,
                 std::unordered_map<std::string, std::string> unit_parents);

    // Station ids in `area`, sorted. `path` names the area in errors ("info[1].area[2]").
    Result<std::vector<std::string>> stations_in(const Area& area,
                                                 std::string_view path = "area") const;

    // What `area` selected, by geocode, polygon and circle; the same errors as stations_in().
    Result<AreaMatch> match(const Area& area, std::string_view path = "area") const;

    // True when some station has a position or a cluster: polygons and circles can select.
    bool has_positions() const;

    // Station ids in any area of any of `alert`'s infos, sorted and unique; an error naming the
    // area for an unknown unit code or a bad polygon, and "no station is in the area" (naming the
    // areas) when they hold none.
    Result<std::vector<std::string>> stations_for(const Alert& alert) const;

    // True for the geocode valueNames read as admin unit codes: "GSO", "VN-GSO" (any case).
    static bool is_unit_code_scheme(std::string_view value_name);

    // Great-circle distance in kilometres.
    static double distance_km(LatLon a, LatLon b);

    std::size_t station_count() const { return stations_.size(); }

private:
    struct Site {
        StationSite station;
        std::vector<std::string> units;  // its unit and every ancestor
    };

    std::vector<Site> stations_;
    std::unordered_map<std::string, std::string> unit_parents_;
};

}  // namespace loa::alerting
