#include "loa/scheduler/station_csv.hpp"

#include "csv_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>

namespace loa::scheduler {

namespace {

bool valid_zone_name(std::string_view zone) {
    return !zone.empty() && zone.size() <= 32 && std::all_of(zone.begin(), zone.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '-' || c == '_';
    });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

std::vector<std::string> split_zones(std::string_view text) {
    std::vector<std::string> zones;
    if (trim(text).empty()) {
        zones.emplace_back(kMainZone);
        return zones;
    }
    while (true) {
        const auto semi = text.find(';');
        zones.emplace_back(trim(text.substr(0, semi)));
        if (semi == std::string_view::npos) {
            break;
        }
        text.remove_prefix(semi + 1);
    }
    return zones;
}

// A coordinate of the CSV: a decimal number within [-limit, limit]; nullopt when the cell is
// empty. A problem goes to `problems`, naming the column and the text.
std::optional<double> coordinate(std::string_view column, std::string_view text, double limit,
                                 std::vector<std::string>& problems) {
    text = trim(text);
    if (text.empty()) {
        return std::nullopt;
    }
    double value = 0;
    const char* first = text.data();
    if (text.size() > 1 && text[0] == '+' && text[1] != '-') {
        ++first;  // from_chars takes no '+'
    }
    const auto [end, ec] =
        std::from_chars(first, text.data() + text.size(), value, std::chars_format::fixed);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
        problems.push_back(std::string{column} + " '" + std::string{text} +
                           "' is not a number (decimal degrees, e.g. 10.3712)");
        return std::nullopt;
    }
    if (value < -limit || value > limit) {
        problems.push_back(std::string{column} + " " + std::string{text} + " is outside " +
                           (limit == 90 ? "-90..90" : "-180..180"));
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::vector<Station> default_stations(const AdminUnitTree& tree) {
    std::vector<Station> stations;
    stations.reserve(tree.size());
    for (const auto& u : tree.units()) {
        stations.push_back({u.code, u.code, u.name_with_type, {std::string{kMainZone}}});
    }
    return stations;
}

std::vector<std::string> station_problems(const Station& station, const AdminUnitTree& tree) {
    std::vector<std::string> problems;
    if (!is_valid_code(station.id)) {
        problems.push_back(station.id.empty() ? "station_id is empty"
                                              : "station_id '" + station.id +
                                                    "' is not 1-64 letters, digits, '-', '_' "
                                                    "or '.'");
    }
    if (station.unit_code.empty()) {
        problems.emplace_back("unit_code is empty");
    } else if (tree.find(station.unit_code) == nullptr) {
        problems.push_back("unit_code " + station.unit_code + " is not a known unit");
    }
    if (station.zones.empty()) {
        problems.emplace_back("a station needs at least one zone");
    }
    if (station.zones.size() > kMaxZones) {
        problems.push_back(std::to_string(station.zones.size()) + " zones, at most " +
                           std::to_string(kMaxZones));
    }
    for (std::size_t i = 0; i < station.zones.size(); ++i) {
        const auto& z = station.zones[i];
        if (!valid_zone_name(z)) {
            problems.push_back(z.empty()
                                   ? "a zone name is empty"
                                   : "zone '" + z + "' is not 1-32 letters, digits, '-' or '_'");
        } else if (std::find(station.zones.begin(), station.zones.begin() + static_cast<long>(i),
                             z) != station.zones.begin() + static_cast<long>(i)) {
            problems.push_back("zone '" + z + "' is listed twice");
        }
    }
    return problems;
}

StationImport parse_station_csv(std::string_view csv, const AdminUnitTree& tree) {
    CsvReader reader{csv};
    StationImport out;
    if (!reader.check_header({"station_id", "unit_code"})) {
        out.errors = reader.errors();
        return out;
    }
    out.errors = reader.errors();
    const auto id = *reader.column("station_id");
    const auto unit = *reader.column("unit_code");
    const auto name = reader.column("name");
    const auto zones = reader.column("zones");
    const auto lat = reader.column("lat");
    const auto lon = reader.column("lon");
    if (lat.has_value() != lon.has_value()) {
        out.errors.push_back({1, lat ? "column 'lat' is given without column 'lon'"
                                     : "column 'lon' is given without column 'lat'"});
        return out;
    }

    std::unordered_map<std::string, std::size_t> first;
    for (const auto& r : reader.records()) {
        Station s;
        s.id = r.fields[id];
        s.unit_code = r.fields[unit];
        s.name = name ? r.fields[*name] : std::string{};
        s.zones = split_zones(zones ? std::string_view{r.fields[*zones]} : std::string_view{});
        auto problems = station_problems(s, tree);
        if (lat && lon) {
            const std::string_view lat_text = trim(r.fields[*lat]);
            const std::string_view lon_text = trim(r.fields[*lon]);
            const auto y = coordinate("lat", lat_text, 90, problems);
            const auto x = coordinate("lon", lon_text, 180, problems);
            if (lat_text.empty() != lon_text.empty()) {
                problems.emplace_back(lat_text.empty() ? "lon is given without lat"
                                                       : "lat is given without lon");
            } else if (x && y) {
                s.position = StationPosition{*y, *x};
            }
        }
        for (auto& p : problems) {
            out.errors.push_back({r.line, std::move(p)});
        }
        if (!s.id.empty()) {
            if (const auto [it, inserted] = first.emplace(s.id, r.line); !inserted) {
                out.errors.push_back({r.line, "station_id " + s.id + " is already on line " +
                                                  std::to_string(it->second)});
            }
        }
        if (s.name.empty()) {
            if (const auto* u = tree.find(s.unit_code)) {
                s.name = u->name_with_type;
            }
        }
        out.stations.push_back(std::move(s));
    }
    if (!out.errors.empty()) {
        std::stable_sort(out.errors.begin(), out.errors.end(),
                         [](const LineError& a, const LineError& b) { return a.line < b.line; });
        out.stations.clear();
    }
    return out;
}

}  // namespace loa::scheduler
