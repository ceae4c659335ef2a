#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace loa::coverage {

// A position in WGS84 degrees.
struct LonLat {
    double lon = 0.0;
    double lat = 0.0;
    bool operator==(const LonLat&) const = default;
};

// A closed ring: the first position is repeated as the last; at least 4 positions.
using Ring = std::vector<LonLat>;

// A polygon: its outer ring and any holes.
struct Polygon {
    Ring outer;
    std::vector<Ring> holes;
    bool operator==(const Polygon&) const = default;
};

// Where the people of a residential area live: one point (a hamlet known only by its centre),
// or one or more polygons (a hamlet drawn as its built-up area).
using AreaShape = std::variant<LonLat, std::vector<Polygon>>;

// A residential area (in Vietnam a hamlet: ấp, thôn, khóm, tổ dân phố) of one commune-level
// unit, with the households living in it.
struct ResidentialArea {
    std::string id;         // 1–64 letters, digits, '-', '_', '.'
    std::string unit_code;  // the administrative unit (commune) it belongs to
    std::string name;
    std::int64_t households = 0;  // >= 0
    AreaShape shape;

    bool is_point() const { return std::holds_alternative<LonLat>(shape); }
    bool operator==(const ResidentialArea&) const = default;
};

}  // namespace loa::coverage
