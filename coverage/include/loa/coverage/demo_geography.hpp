#pragma once

#include "loa/common/result.hpp"
#include "loa/coverage/cluster.hpp"
#include "loa/coverage/coverage_engine.hpp"
#include "loa/coverage/residential_area.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace loa::coverage {

// One row of an admin-unit CSV (data/angiang-2019-admin-units.csv: code, parent_code, level,
// name; other columns ignored).
struct DemoUnit {
    std::string code;
    std::string parent_code;  // "" for the province
    std::string level;        // province | district | commune
    std::string name;
};

// Reads the admin-unit CSV; the error lists every problem with its line. Pure; any thread.
Result<std::vector<DemoUnit>> parse_demo_units(std::string_view csv);

// The unit hierarchy of `units` as the coverage engine takes it.
UnitParents unit_parents(const std::vector<DemoUnit>& units);

struct DemoBox {
    double lon_min = 104.75;
    double lon_max = 105.60;
    double lat_min = 10.20;
    double lat_max = 10.95;
};

struct DemoOptions {
    std::uint64_t seed = 2019;
    DemoBox province;              // An Giang's bounding box by default
    double target_working = 0.86;  // household coverage with every station online
};

// SYNTHETIC geography: positions, shapes, households and clusters are made up from the seed.
// Each district gets a rough box inside the province box, each commune a sub-box of its
// district's; each commune 5–8 hamlet polygons (100–600 households each) with loudspeaker
// clusters of its commune station along them; district and province stations have a few
// clusters over their seat commune. One station per unit (id = unit code), zone "main". The
// clusters' reach is scaled (one factor for the whole province, found by bisection) so that
// household coverage with every cluster working lands near `target_working`.
struct DemoGeography {
    std::vector<Cluster> clusters;
    std::vector<ResidentialArea> areas;
    UnitParents parents;
    double reach_scale = 1.0;       // the calibration factor applied to the nominal reach
    double working_coverage = 0.0;  // province household coverage, every station online
};

// Deterministic: the same units and options give the same geography, bit for bit. The error
// names a problem with the units (no province, a commune without a district...). Pure; any thread.
Result<DemoGeography> make_demo_geography(const std::vector<DemoUnit>& units,
                                          const DemoOptions& options);

// Writes clusters.csv, hamlets.csv and README.md (which says the data are synthetic, with the
// seed and the calibration) into `dir`, creating it. The error names the file that failed.
Status write_demo_geography(const DemoGeography& geography, const DemoOptions& options,
                            const std::filesystem::path& dir);

}  // namespace loa::coverage
