#pragma once

#include <string>

namespace loa::coverage {

// A loudspeaker cluster: one pole of horns driven by one zone (amplifier output) of a station.
// It covers the disc of radius `reach_m` metres on the ground around its position.
struct Cluster {
    std::string id;          // 1–64 letters, digits, '-', '_', '.'
    std::string station_id;  // the station whose amplifier drives it
    std::string zone;        // the station's zone (amplifier output), "main" by default
    double lon = 0.0;        // WGS84 degrees east
    double lat = 0.0;        // WGS84 degrees north
    int horns = 1;           // number of horns on the pole, >= 1
    double power_w = 0.0;    // rated electrical power of the cluster in watts, > 0
    double reach_m = 0.0;    // radius within which announcements are intelligible, > 0

    bool operator==(const Cluster&) const = default;
};

}  // namespace loa::coverage
