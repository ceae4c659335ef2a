#include "loa/coverage/geo_import.hpp"

#include "csv_table.hpp"
#include "geos_context.hpp"
#include "shape_geometry.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>

namespace loa::coverage {

std::string ImportError::to_string() const {
    switch (where) {
        case Where::line:
            return "line " + std::to_string(index) + ": " + message;
        case Where::feature:
            return "feature " + std::to_string(index) + ": " + message;
        case Where::document:
            break;
    }
    return message;
}

std::string join_errors(const std::vector<ImportError>& errors) {
    std::string out;
    for (const ImportError& e : errors) {
        if (!out.empty()) {
            out += '\n';
        }
        out += e.to_string();
    }
    return out;
}

namespace {

constexpr double kMaxReachM = 20000.0;
constexpr long long kMaxHorns = 1000;
constexpr long long kMaxHouseholds = 1000000;

// A field's text by name; none when the record has no such field (or it is JSON null).
using Fields = std::function<std::optional<std::string>(std::string_view)>;

bool valid_id(std::string_view s) {
    if (s.empty() || s.size() > 64) {
        return false;
    }
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool valid_zone(std::string_view s) {
    if (s.empty() || s.size() > 32) {
        return false;
    }
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::optional<double> to_number(std::string_view s) {
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
    }
    double v = 0.0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

std::optional<long long> to_whole(std::string_view s) {
    const auto v = to_number(s);
    if (!v || *v != std::floor(*v) || std::fabs(*v) > 1e15) {
        return std::nullopt;
    }
    return static_cast<long long>(*v);
}

// Reads a required field into `out`; reports it missing otherwise.
bool require(const Fields& fields, std::string_view name, std::string& out,
             std::vector<std::string>& problems) {
    auto v = fields(name);
    if (!v || v->empty()) {
        problems.push_back(fmt::format("{} is missing", name));
        return false;
    }
    out = std::move(*v);
    return true;
}

void check_id(std::string_view name, const std::string& value, std::vector<std::string>& problems) {
    if (!valid_id(value)) {
        problems.push_back(
            fmt::format("{} '{}' is not 1-64 letters, digits, '-', '_' or '.'", name, value));
    }
}

std::optional<double> coordinate(const Fields& fields, std::string_view name, double limit,
                                 std::vector<std::string>& problems) {
    std::string text;
    if (!require(fields, name, text, problems)) {
        return std::nullopt;
    }
    const auto v = to_number(text);
    if (!v) {
        problems.push_back(fmt::format("{} '{}' is not a number", name, text));
        return std::nullopt;
    }
    if (*v < -limit || *v > limit) {
        problems.push_back(fmt::format("{} {} is not in [-{}, {}]", name, text, limit, limit));
        return std::nullopt;
    }
    return v;
}

std::optional<double> positive(const Fields& fields, std::string_view name, double max,
                               std::vector<std::string>& problems) {
    std::string text;
    if (!require(fields, name, text, problems)) {
        return std::nullopt;
    }
    const auto v = to_number(text);
    if (!v || *v <= 0.0) {
        problems.push_back(fmt::format("{} {} is not a positive number", name, text));
        return std::nullopt;
    }
    if (*v > max) {
        problems.push_back(fmt::format("{} {} is more than {}", name, text, max));
        return std::nullopt;
    }
    return v;
}

std::optional<long long> whole(const Fields& fields, std::string_view name, long long min,
                               long long max, std::vector<std::string>& problems) {
    std::string text;
    if (!require(fields, name, text, problems)) {
        return std::nullopt;
    }
    const auto v = to_whole(text);
    if (!v || *v < min || *v > max) {
        problems.push_back(
            fmt::format("{} {} is not a whole number from {} to {}", name, text, min, max));
        return std::nullopt;
    }
    return v;
}

// The common checks of a cluster record, position excluded.
std::vector<std::string> read_cluster(const Fields& fields, Cluster& c) {
    std::vector<std::string> problems;
    if (require(fields, "id", c.id, problems)) {
        check_id("id", c.id, problems);
    }
    if (require(fields, "station_id", c.station_id, problems)) {
        check_id("station_id", c.station_id, problems);
    }
    c.zone = fields("zone").value_or("");
    if (c.zone.empty()) {
        c.zone = "main";
    } else if (!valid_zone(c.zone)) {
        problems.push_back(
            fmt::format("zone '{}' is not 1-32 letters, digits, '-' or '_'", c.zone));
    }
    if (auto horns = whole(fields, "horns", 1, kMaxHorns, problems)) {
        c.horns = static_cast<int>(*horns);
    }
    if (auto power = positive(fields, "power_w", 1e6, problems)) {
        c.power_w = *power;
    }
    if (auto reach = positive(fields, "reach_m", kMaxReachM, problems)) {
        c.reach_m = *reach;
    }
    return problems;
}

std::vector<std::string> read_area(const Fields& fields, ResidentialArea& a) {
    std::vector<std::string> problems;
    if (require(fields, "id", a.id, problems)) {
        check_id("id", a.id, problems);
    }
    if (require(fields, "unit_code", a.unit_code, problems)) {
        check_id("unit_code", a.unit_code, problems);
    }
    a.name = fields("name").value_or("");
    if (auto households = whole(fields, "households", 0, kMaxHouseholds, problems)) {
        a.households = *households;
    }
    return problems;
}

template <class Record>
void report_duplicate(std::unordered_map<std::string, std::size_t>& seen, const Record& r,
                      std::size_t index, std::string_view where,
                      std::vector<std::string>& problems) {
    if (r.id.empty()) {
        return;
    }
    const auto [it, inserted] = seen.emplace(r.id, index);
    if (!inserted) {
        problems.push_back(fmt::format("id {} is already on {} {}", r.id, where, it->second));
    }
}

void add_errors(std::vector<ImportError>& errors, ImportError::Where where, std::size_t index,
                std::vector<std::string>& problems) {
    for (std::string& p : problems) {
        errors.push_back(ImportError{where, index, std::move(p)});
    }
}

Fields csv_fields(const CsvTable& table, const CsvTable::Row& row) {
    return [&table, &row](std::string_view name) -> std::optional<std::string> {
        const auto column = table.column(name);
        if (!column) {
            return std::nullopt;
        }
        return row.fields[*column];
    };
}

// Header checks shared by both CSV imports: an empty file, missing columns.
std::vector<ImportError> header_errors(const CsvTable& table,
                                       const std::vector<std::string_view>& required) {
    std::vector<ImportError> errors;
    if (table.header().empty()) {
        errors.push_back(ImportError{ImportError::Where::line, 1, "the file has no header line"});
        return errors;
    }
    for (std::string_view name : required) {
        if (!table.column(name)) {
            errors.push_back(
                ImportError{ImportError::Where::line, 1, fmt::format("missing column '{}'", name)});
        }
    }
    return errors;
}

// The problems of the text itself (quotes, field counts) with the others, in line order.
void merge_table_problems(const CsvTable& table, std::vector<ImportError>& errors) {
    for (const auto& [line, problem] : table.problems()) {
        errors.push_back(ImportError{ImportError::Where::line, line, problem});
    }
    std::stable_sort(errors.begin(), errors.end(),
                     [](const ImportError& a, const ImportError& b) { return a.index < b.index; });
}

std::string csv_field(std::string_view s) {
    const bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!s.empty() && (s.front() == ' ' || s.back() == ' '));
    if (!quote) {
        return std::string{s};
    }
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') {
            out += '"';
        }
        out += c;
    }
    out += '"';
    return out;
}

// --- GeoJSON ---------------------------------------------------------------------------------

std::optional<std::string> property_text(const nlohmann::json& properties, std::string_view name) {
    if (!properties.is_object()) {
        return std::nullopt;
    }
    const auto it = properties.find(name);
    if (it == properties.end() || it->is_null()) {
        return std::nullopt;
    }
    if (it->is_string()) {
        return it->get<std::string>();
    }
    if (it->is_number()) {
        return it->dump();
    }
    return std::string{"(a JSON "} + it->type_name() + ")";
}

std::optional<LonLat> json_position(const nlohmann::json& j, std::string& problem) {
    if (!j.is_array() || j.size() < 2 || !j[0].is_number() || !j[1].is_number()) {
        problem = "a position is not an array of two numbers";
        return std::nullopt;
    }
    return LonLat{j[0].get<double>(), j[1].get<double>()};
}

std::optional<Polygon> json_polygon(const nlohmann::json& j, std::string& problem) {
    if (!j.is_array() || j.empty()) {
        problem = "polygon coordinates are not an array of rings";
        return std::nullopt;
    }
    Polygon polygon;
    for (std::size_t r = 0; r < j.size(); ++r) {
        if (!j[r].is_array()) {
            problem = "a ring is not an array of positions";
            return std::nullopt;
        }
        Ring ring;
        for (const auto& position : j[r]) {
            auto p = json_position(position, problem);
            if (!p) {
                return std::nullopt;
            }
            ring.push_back(*p);
        }
        (r == 0 ? polygon.outer : polygon.holes.emplace_back()) = std::move(ring);
    }
    return polygon;
}

// The features of a FeatureCollection, or a document-level error.
const nlohmann::json* features_of(const nlohmann::json& doc, std::vector<ImportError>& errors) {
    if (!doc.is_object() || doc.value("type", "") != "FeatureCollection") {
        errors.push_back(ImportError{ImportError::Where::document, 0,
                                     "the document is not a GeoJSON FeatureCollection"});
        return nullptr;
    }
    const auto it = doc.find("features");
    if (it == doc.end() || !it->is_array()) {
        errors.push_back(ImportError{ImportError::Where::document, 0,
                                     "the FeatureCollection has no features array"});
        return nullptr;
    }
    return &*it;
}

std::optional<nlohmann::json> parse_json(std::string_view text, std::vector<ImportError>& errors) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        errors.push_back(ImportError{ImportError::Where::document, 0,
                                     std::string{"the document is not JSON: "} + e.what()});
        return std::nullopt;
    }
}

const nlohmann::json& geometry_of(const nlohmann::json& feature, std::string& type) {
    static const nlohmann::json null_json;
    if (!feature.is_object() || feature.value("type", "") != "Feature") {
        type = "(not a Feature)";
        return null_json;
    }
    const auto it = feature.find("geometry");
    if (it == feature.end() || !it->is_object()) {
        type = "(none)";
        return null_json;
    }
    const auto t = it->find("type");
    type = t != it->end() && t->is_string() ? t->get<std::string>() : "(none)";
    return *it;
}

Fields json_fields(const nlohmann::json& feature) {
    return [&feature](std::string_view name) -> std::optional<std::string> {
        const auto it = feature.find("properties");
        if (it == feature.end()) {
            return std::nullopt;
        }
        return property_text(*it, name);
    };
}

}  // namespace

ClusterImport parse_cluster_csv(std::string_view csv) {
    ClusterImport out;
    const CsvTable table{csv};
    out.errors = header_errors(
        table, {"id", "station_id", "zone", "lon", "lat", "horns", "power_w", "reach_m"});
    if (!out.errors.empty()) {
        return out;
    }
    std::unordered_map<std::string, std::size_t> seen;
    for (const CsvTable::Row& row : table.rows()) {
        const Fields fields = csv_fields(table, row);
        Cluster c;
        std::vector<std::string> problems = read_cluster(fields, c);
        const auto lon = coordinate(fields, "lon", 180.0, problems);
        const auto lat = coordinate(fields, "lat", 90.0, problems);
        c.lon = lon.value_or(0.0);
        c.lat = lat.value_or(0.0);
        report_duplicate(seen, c, row.line, "line", problems);
        add_errors(out.errors, ImportError::Where::line, row.line, problems);
        out.clusters.push_back(std::move(c));
    }
    merge_table_problems(table, out.errors);
    if (!out.errors.empty()) {
        out.clusters.clear();
    }
    return out;
}

AreaImport parse_area_csv(std::string_view csv) {
    AreaImport out;
    const CsvTable table{csv};
    out.errors = header_errors(table, {"id", "unit_code", "name", "households"});
    const bool has_point = table.column("lon") && table.column("lat");
    const bool has_wkt = table.column("wkt").has_value();
    if (!table.header().empty() && !has_point && !has_wkt) {
        out.errors.push_back(ImportError{ImportError::Where::line, 1,
                                         "missing columns: either lon and lat, or wkt"});
    }
    if (!out.errors.empty()) {
        return out;
    }
    GeosContext geos;
    std::unordered_map<std::string, std::size_t> seen;
    for (const CsvTable::Row& row : table.rows()) {
        const Fields fields = csv_fields(table, row);
        ResidentialArea a;
        std::vector<std::string> problems = read_area(fields, a);
        const std::string wkt = fields("wkt").value_or("");
        const bool point =
            !fields("lon").value_or("").empty() || !fields("lat").value_or("").empty();
        if (!wkt.empty() && point) {
            problems.emplace_back("both lon/lat and wkt are given; give one of them");
        } else if (!wkt.empty()) {
            auto shape = shape_from_wkt(geos, wkt);
            if (!shape) {
                problems.push_back(shape.error().message);
            } else if (auto problem = shape_problem(geos, *shape); !problem.empty()) {
                problems.push_back("wkt: " + problem);
            } else {
                a.shape = std::move(*shape);
            }
        } else if (point) {
            const auto lon = coordinate(fields, "lon", 180.0, problems);
            const auto lat = coordinate(fields, "lat", 90.0, problems);
            a.shape = LonLat{lon.value_or(0.0), lat.value_or(0.0)};
        } else {
            problems.emplace_back("neither lon and lat nor wkt is given");
        }
        report_duplicate(seen, a, row.line, "line", problems);
        add_errors(out.errors, ImportError::Where::line, row.line, problems);
        out.areas.push_back(std::move(a));
    }
    merge_table_problems(table, out.errors);
    if (!out.errors.empty()) {
        out.areas.clear();
    }
    return out;
}

ClusterImport parse_cluster_geojson(std::string_view json) {
    ClusterImport out;
    const auto doc = parse_json(json, out.errors);
    if (!doc) {
        return out;
    }
    const nlohmann::json* features = features_of(*doc, out.errors);
    if (features == nullptr) {
        return out;
    }
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < features->size(); ++i) {
        const nlohmann::json& feature = (*features)[i];
        const std::size_t index = i + 1;
        std::vector<std::string> problems;
        std::string type;
        const nlohmann::json& geometry = geometry_of(feature, type);
        Cluster c;
        if (type != "Point") {
            problems.push_back(fmt::format("geometry type {} is not a Point", type));
        } else {
            std::string problem;
            const auto coordinates = geometry.find("coordinates");
            auto p =
                coordinates == geometry.end() ? std::nullopt : json_position(*coordinates, problem);
            if (!p) {
                problems.push_back(problem.empty() ? "the Point has no coordinates" : problem);
            } else if (!std::isfinite(p->lon) || p->lon < -180.0 || p->lon > 180.0 ||
                       !std::isfinite(p->lat) || p->lat < -90.0 || p->lat > 90.0) {
                problems.push_back(
                    fmt::format("position ({}, {}) is out of range", p->lon, p->lat));
            } else {
                c.lon = p->lon;
                c.lat = p->lat;
            }
        }
        if (feature.is_object()) {
            auto more = read_cluster(json_fields(feature), c);
            problems.insert(problems.end(), more.begin(), more.end());
        }
        report_duplicate(seen, c, index, "feature", problems);
        add_errors(out.errors, ImportError::Where::feature, index, problems);
        out.clusters.push_back(std::move(c));
    }
    if (!out.errors.empty()) {
        out.clusters.clear();
    }
    return out;
}

AreaImport parse_area_geojson(std::string_view json) {
    AreaImport out;
    const auto doc = parse_json(json, out.errors);
    if (!doc) {
        return out;
    }
    const nlohmann::json* features = features_of(*doc, out.errors);
    if (features == nullptr) {
        return out;
    }
    GeosContext geos;
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < features->size(); ++i) {
        const nlohmann::json& feature = (*features)[i];
        const std::size_t index = i + 1;
        std::vector<std::string> problems;
        std::string type;
        const nlohmann::json& geometry = geometry_of(feature, type);
        ResidentialArea a;
        std::optional<AreaShape> shape;
        std::string problem;
        const auto coordinates =
            geometry.is_object() ? geometry.find("coordinates") : geometry.end();
        const bool has_coordinates = geometry.is_object() && coordinates != geometry.end();
        if (type == "Point") {
            if (auto p = has_coordinates ? json_position(*coordinates, problem) : std::nullopt) {
                shape = AreaShape{*p};
            }
        } else if (type == "Polygon") {
            if (auto p = has_coordinates ? json_polygon(*coordinates, problem) : std::nullopt) {
                shape = AreaShape{std::vector<Polygon>{std::move(*p)}};
            }
        } else if (type == "MultiPolygon") {
            if (has_coordinates && coordinates->is_array()) {
                std::vector<Polygon> polygons;
                for (const auto& part : *coordinates) {
                    auto p = json_polygon(part, problem);
                    if (!p) {
                        break;
                    }
                    polygons.push_back(std::move(*p));
                }
                if (problem.empty()) {
                    shape = AreaShape{std::move(polygons)};
                }
            }
        } else {
            problem = fmt::format("geometry type {} is not a Point or Polygon", type);
        }
        if (!shape && problem.empty()) {
            problem = fmt::format("the {} has no coordinates", type);
        }
        if (shape) {
            problem = shape_problem(geos, *shape);
            if (problem.empty()) {
                a.shape = std::move(*shape);
            }
        }
        if (!problem.empty()) {
            problems.push_back(std::move(problem));
        }
        if (feature.is_object()) {
            auto more = read_area(json_fields(feature), a);
            problems.insert(problems.end(), more.begin(), more.end());
        }
        report_duplicate(seen, a, index, "feature", problems);
        add_errors(out.errors, ImportError::Where::feature, index, problems);
        out.areas.push_back(std::move(a));
    }
    if (!out.errors.empty()) {
        out.areas.clear();
    }
    return out;
}

std::string to_cluster_csv(const std::vector<Cluster>& clusters) {
    std::string out = "id,station_id,zone,lon,lat,horns,power_w,reach_m\n";
    for (const Cluster& c : clusters) {
        out += fmt::format("{},{},{},{:.7f},{:.7f},{},{},{}\n", csv_field(c.id),
                           csv_field(c.station_id), csv_field(c.zone), c.lon, c.lat, c.horns,
                           c.power_w, c.reach_m);
    }
    return out;
}

std::string to_area_csv(const std::vector<ResidentialArea>& areas) {
    std::string out = "id,unit_code,name,households,lon,lat,wkt\n";
    for (const ResidentialArea& a : areas) {
        out += fmt::format("{},{},{},{},", csv_field(a.id), csv_field(a.unit_code),
                           csv_field(a.name), a.households);
        if (const auto* p = std::get_if<LonLat>(&a.shape)) {
            out += fmt::format("{:.7f},{:.7f},\n", p->lon, p->lat);
        } else {
            out += ",," + csv_field(shape_to_wkt(a.shape)) + "\n";
        }
    }
    return out;
}

}  // namespace loa::coverage
