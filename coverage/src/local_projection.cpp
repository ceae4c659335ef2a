#include "loa/coverage/local_projection.hpp"

#include <cmath>
#include <numbers>

namespace loa::coverage {

namespace {

// WGS84 ellipsoid.
constexpr double kSemiMajorAxis = 6378137.0;
constexpr double kFlattening = 1.0 / 298.257223563;
constexpr double kEccentricity2 = kFlattening * (2.0 - kFlattening);
constexpr double kRadiansPerDegree = std::numbers::pi / 180.0;

}  // namespace

LocalProjection::LocalProjection(LonLat origin) : origin_{origin} {
    const double phi = origin.lat * kRadiansPerDegree;
    const double s = std::sin(phi);
    const double w = 1.0 - kEccentricity2 * s * s;
    const double meridian = kSemiMajorAxis * (1.0 - kEccentricity2) / (w * std::sqrt(w));
    const double prime_vertical = kSemiMajorAxis / std::sqrt(w);
    metres_per_deg_lat_ = meridian * kRadiansPerDegree;
    metres_per_deg_lon_ = prime_vertical * std::cos(phi) * kRadiansPerDegree;
}

PlanePoint LocalProjection::to_plane(LonLat p) const {
    return {(p.lon - origin_.lon) * metres_per_deg_lon_,
            (p.lat - origin_.lat) * metres_per_deg_lat_};
}

LonLat LocalProjection::to_lonlat(PlanePoint p) const {
    return {origin_.lon + p.x / metres_per_deg_lon_, origin_.lat + p.y / metres_per_deg_lat_};
}

}  // namespace loa::coverage
