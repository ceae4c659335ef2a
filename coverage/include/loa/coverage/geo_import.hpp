#pragma once

#include "loa/coverage/cluster.hpp"
#include "loa/coverage/residential_area.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace loa::coverage {

// A problem with one record of an imported file: "line 12: reach_m -5 is not a positive number"
// (CSV: `line` counts from 1, the header is line 1) or "feature 3: geometry type LineString is
// not a Point or Polygon" (GeoJSON: features count from 1 in the order of the array). A problem
// with a whole document (not JSON, not a FeatureCollection) has Where::document and no index.
struct ImportError {
    enum class Where { line, feature, document };
    Where where = Where::line;
    std::size_t index = 0;
    std::string message;

    std::string to_string() const;
    bool operator==(const ImportError&) const = default;
};

// Every error on its own line, in order.
std::string join_errors(const std::vector<ImportError>& errors);

// What an import produced: every record, or every problem. All or nothing: when `errors` is not
// empty, `clusters` / `areas` is empty.
struct ClusterImport {
    std::vector<Cluster> clusters;
    std::vector<ImportError> errors;
    bool ok() const { return errors.empty(); }
};
struct AreaImport {
    std::vector<ResidentialArea> areas;
    std::vector<ImportError> errors;
    bool ok() const { return errors.empty(); }
};

// clusters.csv: columns id, station_id, zone, lon, lat, horns, power_w, reach_m (any order, other
// columns ignored; an empty zone means "main"). Checks: ids of 1–64 letters, digits, '-', '_',
// '.', unique; lon in [-180, 180], lat in [-90, 90]; horns a whole number 1–1000; power_w and
// reach_m positive numbers, reach_m at most 20000. Pure; any thread.
ClusterImport parse_cluster_csv(std::string_view csv);

// hamlets.csv: columns id, unit_code, name, households and either lon, lat (a point) or wkt (a
// POINT, POLYGON or MULTIPOLYGON in lon/lat order); a file may have all three, each row filling
// either lon and lat or wkt. Checks ids as above and unique, households a whole number >= 0,
// positions in range, polygons closed and valid (the reason GEOS gives is in the message).
// Pure; any thread.
AreaImport parse_area_csv(std::string_view csv);

// A GeoJSON FeatureCollection of Point features whose properties hold id, station_id, zone
// (optional), horns, power_w and reach_m (numbers, or strings holding numbers), checked as the
// CSV. Pure; any thread.
ClusterImport parse_cluster_geojson(std::string_view json);

// A GeoJSON FeatureCollection of Point, Polygon or MultiPolygon features whose properties hold
// id, unit_code, name (optional) and households. Pure; any thread.
AreaImport parse_area_geojson(std::string_view json);

// The CSV forms read back by parse_cluster_csv / parse_area_csv (hamlets with the columns id,
// unit_code, name, households, lon, lat, wkt; a point fills lon and lat, a polygon wkt).
// Positions with 7 decimals (about 1 cm). Pure; any thread.
std::string to_cluster_csv(const std::vector<Cluster>& clusters);
std::string to_area_csv(const std::vector<ResidentialArea>& areas);

}  // namespace loa::coverage
