#pragma once

#include "loa/coverage/residential_area.hpp"

namespace loa::coverage {

// A point on the local plane, in metres east and north of the projection's origin.
struct PlanePoint {
    double x = 0.0;
    double y = 0.0;
};

// An equirectangular projection of WGS84 positions to metres on a plane tangent at `origin`,
// with the WGS84 ellipsoid's radii of curvature at the origin's latitude (meridian M for north,
// prime vertical N·cos(lat0) for east). Within ±0.4° of latitude of the origin (An Giang spans
// 10.2–10.95° N) the east–west scale is off by at most tan(lat0)·Δlat ≈ 0.13 %, the north–south
// scale by less than 0.01 %: under 0.4 m on a 300 m reach. See docs/coverage.md.
// Immutable; any thread.
class LocalProjection {
public:
    explicit LocalProjection(LonLat origin);

    // The centre of An Giang province (105.175° E, 10.575° N).
    static LonLat an_giang_centre() { return {105.175, 10.575}; }

    LonLat origin() const { return origin_; }
    PlanePoint to_plane(LonLat p) const;
    LonLat to_lonlat(PlanePoint p) const;

private:
    LonLat origin_;
    double metres_per_deg_lon_;
    double metres_per_deg_lat_;
};

}  // namespace loa::coverage
