#pragma once

#include "loa/alerting/area_resolver.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace loa::alerting::test {

// The file's bytes, from the source tree (`relative` to the repository root).
std::string read_source_file(const std::string& relative);

// An Giang 2019 (data/angiang-2019-admin-units.csv): one station per unit, the station id being
// the unit code, at synthetic positions: district number i (in file order, 0..10) around
// (10.2 + 0.2 * (i / 4), 104.8 + 0.25 * (i % 4)), its station 0.006 degrees north-east of that
// centre, its communes on a grid 0.012 degrees (about 1.3 km) apart within 0.03 degrees of it;
// the province station at (10.5, 105.175), away from every district. So district 883 (Long
// Xuyên, the first) lies inside 10.17..10.23 N, 104.77..104.83 E and nothing else does.
struct AnGiang {
    AnGiang();

    std::unordered_map<std::string, std::string> parents;                // code -> parent code
    std::vector<std::string> districts;                                  // in file order
    std::unordered_map<std::string, std::vector<std::string>> communes;  // district -> communes
    std::vector<StationSite> stations;

    // Station ids of `code` and every unit under it, sorted.
    std::vector<std::string> subtree(const std::string& code) const;
    const StationSite& station(const std::string& id) const;
    AreaResolver resolver() const { return AreaResolver{stations, parents}; }
};

}  // namespace loa::alerting::test
