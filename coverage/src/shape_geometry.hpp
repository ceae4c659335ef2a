#pragma once

#include "geos_context.hpp"
#include "loa/common/result.hpp"
#include "loa/coverage/local_projection.hpp"
#include "loa/coverage/residential_area.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace loa::coverage {

// Conversions between AreaShape, WKT and GEOS geometry. Same thread rules as the context.

// Reads a WKT POINT, POLYGON or MULTIPOLYGON in lon/lat order (a Z value is dropped). The error
// says what is wrong ("wkt is not valid WKT: ...", "wkt is a LINESTRING, not a POINT, POLYGON or
// MULTIPOLYGON"); the shape is not checked further (see shape_problem).
Result<AreaShape> shape_from_wkt(GeosContext& geos, std::string_view wkt);

// What is wrong with a shape, or "" when nothing is: positions finite and in range, rings closed
// with at least 4 positions, polygons valid as GEOS sees them (with its reason).
std::string shape_problem(GeosContext& geos, const AreaShape& shape);

// WKT with 7 decimals, as shape_from_wkt reads it back.
std::string shape_to_wkt(const AreaShape& shape);

// The polygons of a shape on the local plane (a Polygon or MultiPolygon geometry).
GeomPtr polygons_on_plane(const GeosContext& geos, const std::vector<Polygon>& polygons,
                          const LocalProjection& projection);

// A closed ring on the plane from its positions (first == last).
GEOSGeometry* plane_ring(const GeosContext& geos, const std::vector<PlanePoint>& points);

}  // namespace loa::coverage
