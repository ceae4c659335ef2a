#include "angiang_fixture.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace loa::alerting::test {

std::string read_source_file(const std::string& relative) {
    std::ifstream in{std::string{LOA_SOURCE_DIR} + "/" + relative, std::ios::binary};
    if (!in) {
        throw std::runtime_error{"cannot read " + relative};
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

AnGiang::AnGiang() {
    std::istringstream csv{read_source_file("data/angiang-2019-admin-units.csv")};
    std::string line;
    std::getline(csv, line);  // header
    std::vector<std::pair<std::string, std::string>> units;
    while (std::getline(csv, line)) {
        if (line.empty()) {
            continue;
        }
        const auto first = line.find(',');
        const auto second = line.find(',', first + 1);
        const auto code = line.substr(0, first);
        const auto parent = line.substr(first + 1, second - first - 1);
        parents[code] = parent;
        units.emplace_back(code, parent);
    }
    for (const auto& [code, parent] : units) {
        if (parent == "89") {
            districts.push_back(code);
        } else if (!parent.empty()) {
            communes[parent].push_back(code);
        }
    }
    stations.push_back({"89", "89", LatLon{10.5, 105.175}, {}});
    for (std::size_t i = 0; i < districts.size(); ++i) {
        const LatLon centre{10.2 + 0.2 * static_cast<double>(i / 4),
                            104.8 + 0.25 * static_cast<double>(i % 4)};
        stations.push_back(
            {districts[i], districts[i], LatLon{centre.lat + 0.006, centre.lon + 0.006}, {}});
        const auto& list = communes[districts[i]];
        for (std::size_t k = 0; k < list.size(); ++k) {
            const double dlat = (static_cast<double>(k % 5) - 2) * 0.012;
            const double dlon = (static_cast<double>(k / 5) - 2) * 0.012;
            stations.push_back(
                {list[k], list[k], LatLon{centre.lat + dlat, centre.lon + dlon}, {}});
        }
    }
}

std::vector<std::string> AnGiang::subtree(const std::string& code) const {
    std::vector<std::string> out;
    for (const auto& s : stations) {
        // Walk up from the station's unit.
        for (std::string u = s.unit_code; !u.empty();) {
            if (u == code) {
                out.push_back(s.id);
                break;
            }
            const auto it = parents.find(u);
            u = it == parents.end() ? std::string{} : it->second;
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

const StationSite& AnGiang::station(const std::string& id) const {
    const auto it = std::find_if(stations.begin(), stations.end(),
                                 [&](const StationSite& s) { return s.id == id; });
    if (it == stations.end()) {
        throw std::runtime_error{"no station " + id};
    }
    return *it;
}

}  // namespace loa::alerting::test
