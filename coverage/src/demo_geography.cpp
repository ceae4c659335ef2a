#include "loa/coverage/demo_geography.hpp"

#include "csv_table.hpp"
#include "loa/coverage/geo_import.hpp"
#include "loa/coverage/local_projection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <numbers>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

namespace loa::coverage {

namespace {

// splitmix64: a small generator whose output is the same on every platform (the standard
// distributions are not), so a seed gives the same bytes everywhere.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_{seed} {}

    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31U);
    }
    // Uniform in [lo, hi).
    double uniform(double lo, double hi) {
        const double u = static_cast<double>(next() >> 11U) * 0x1.0p-53;
        return lo + (hi - lo) * u;
    }
    // Uniform whole number in [lo, hi].
    int between(int lo, int hi) {
        const auto span = static_cast<std::uint64_t>(hi - lo + 1);
        return lo + static_cast<int>(next() % span);
    }

private:
    std::uint64_t state_;
};

// A generator for one unit: the seed mixed with the unit's code, so a unit's geography does not
// depend on the units generated before it.
Rng unit_rng(std::uint64_t seed, std::string_view code, std::uint64_t purpose) {
    std::uint64_t h = 0xCBF29CE484222325ULL;  // FNV-1a
    for (char c : code) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001B3ULL;
    }
    Rng mix{seed ^ h ^ (purpose * 0x9E3779B97F4A7C15ULL)};
    mix.next();
    return mix;
}

// A box on the plane, metres.
struct Box {
    double x0 = 0.0;
    double y0 = 0.0;
    double x1 = 0.0;
    double y1 = 0.0;
    double width() const { return x1 - x0; }
    double height() const { return y1 - y0; }
};

// Splits `box` into a grid of at least `n` cells, as square as the box allows, and gives the
// first n cells (row by row from the north-west), each shrunk by a random margin (a rough box).
std::vector<Box> split(const Box& box, std::size_t n, double margin_min, double margin_max,
                       Rng& rng) {
    const double aspect = box.width() / box.height();
    auto cols = static_cast<std::size_t>(
        std::max(1.0, std::round(std::sqrt(static_cast<double>(n) * aspect))));
    cols = std::min(cols, n);
    const std::size_t rows = (n + cols - 1) / cols;
    std::vector<Box> out;
    out.reserve(n);
    const double w = box.width() / static_cast<double>(cols);
    const double h = box.height() / static_cast<double>(rows);
    for (std::size_t i = 0; i < n; ++i) {
        const double cx0 = box.x0 + w * static_cast<double>(i % cols);
        const double cy1 = box.y1 - h * static_cast<double>(i / cols);
        Box cell{cx0, cy1 - h, cx0 + w, cy1};
        cell.x0 += w * rng.uniform(margin_min, margin_max);
        cell.x1 -= w * rng.uniform(margin_min, margin_max);
        cell.y0 += h * rng.uniform(margin_min, margin_max);
        cell.y1 -= h * rng.uniform(margin_min, margin_max);
        out.push_back(cell);
    }
    return out;
}

double round7(double v) {
    return std::round(v * 1e7) / 1e7;
}

LonLat to_lonlat7(const LocalProjection& projection, PlanePoint p) {
    const LonLat q = projection.to_lonlat(p);
    return {round7(q.lon), round7(q.lat)};
}

// A hamlet as laid out on the plane: a strip along a canal or road.
struct HamletLayout {
    PlanePoint centre;
    double length = 0.0;
    double width = 0.0;
    double angle = 0.0;
    PlanePoint along(double t, double offset) const {
        const double ux = std::cos(angle);
        const double uy = std::sin(angle);
        return {centre.x + t * ux - offset * uy, centre.y + t * uy + offset * ux};
    }
};

// The strip's outline: five stations along the spine, each with its own half-width.
Ring strip_ring(const HamletLayout& h, const LocalProjection& projection, Rng& rng) {
    constexpr int kStations = 5;
    std::array<double, kStations> half{};
    for (double& w : half) {
        w = h.width / 2.0 * rng.uniform(0.7, 1.3);
    }
    Ring ring;
    for (int i = 0; i < kStations; ++i) {
        const double t = -h.length / 2.0 + h.length * i / (kStations - 1);
        ring.push_back(to_lonlat7(projection, h.along(t, -half[static_cast<std::size_t>(i)])));
    }
    for (int i = kStations - 1; i >= 0; --i) {
        const double t = -h.length / 2.0 + h.length * i / (kStations - 1);
        ring.push_back(to_lonlat7(projection, h.along(t, half[static_cast<std::size_t>(i)])));
    }
    ring.push_back(ring.front());
    return ring;
}

// Nominal reach of a cluster: the sound intensity falls with the square of the distance, so the
// distance at which a horn is still intelligible grows with the square root of its power.
constexpr double kReachPerSqrtWatt = 25.0;

struct ClusterDraft {
    Cluster cluster;
    double nominal_reach = 0.0;
};

ClusterDraft make_cluster(std::string id, const std::string& station, PlanePoint position,
                          int horns, double watts_per_horn, const LocalProjection& projection) {
    ClusterDraft d;
    d.cluster.id = std::move(id);
    d.cluster.station_id = station;
    d.cluster.zone = "main";
    const LonLat p = to_lonlat7(projection, position);
    d.cluster.lon = p.lon;
    d.cluster.lat = p.lat;
    d.cluster.horns = horns;
    d.cluster.power_w = horns * watts_per_horn;
    d.nominal_reach = kReachPerSqrtWatt * std::sqrt(d.cluster.power_w);
    return d;
}

std::vector<Cluster> scaled(const std::vector<ClusterDraft>& drafts, double scale) {
    std::vector<Cluster> out;
    out.reserve(drafts.size());
    for (const ClusterDraft& d : drafts) {
        Cluster c = d.cluster;
        c.reach_m = std::max(1.0, std::round(d.nominal_reach * scale));
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace

Result<std::vector<DemoUnit>> parse_demo_units(std::string_view csv) {
    const CsvTable table{csv};
    std::vector<std::string> errors;
    for (const auto& [line, problem] : table.problems()) {
        errors.push_back(fmt::format("line {}: {}", line, problem));
    }
    for (std::string_view name : {"code", "parent_code", "level", "name"}) {
        if (!table.column(name)) {
            errors.push_back(fmt::format("line 1: missing column '{}'", name));
        }
    }
    std::vector<DemoUnit> units;
    if (errors.empty()) {
        const std::size_t code = *table.column("code");
        const std::size_t parent = *table.column("parent_code");
        const std::size_t level = *table.column("level");
        const std::size_t name = *table.column("name");
        std::unordered_map<std::string, std::size_t> seen;
        for (const CsvTable::Row& row : table.rows()) {
            DemoUnit u{row.fields[code], row.fields[parent], row.fields[level], row.fields[name]};
            if (u.code.empty()) {
                errors.push_back(fmt::format("line {}: code is missing", row.line));
            } else if (const auto [it, inserted] = seen.emplace(u.code, row.line); !inserted) {
                errors.push_back(fmt::format("line {}: code {} is already on line {}", row.line,
                                             u.code, it->second));
            }
            if (u.level != "province" && u.level != "district" && u.level != "commune") {
                errors.push_back(fmt::format(
                    "line {}: level '{}' is not province, district or commune", row.line, u.level));
            }
            units.push_back(std::move(u));
        }
    }
    if (!errors.empty()) {
        std::string message;
        for (const std::string& e : errors) {
            message += (message.empty() ? "" : "\n") + e;
        }
        return Error{message};
    }
    return units;
}

UnitParents unit_parents(const std::vector<DemoUnit>& units) {
    UnitParents parents;
    for (const DemoUnit& u : units) {
        parents.emplace(u.code, u.parent_code);
    }
    return parents;
}

Result<DemoGeography> make_demo_geography(const std::vector<DemoUnit>& units,
                                          const DemoOptions& options) {
    const DemoUnit* province = nullptr;
    std::vector<const DemoUnit*> districts;
    std::map<std::string, std::vector<const DemoUnit*>, std::less<>> communes;  // by district
    for (const DemoUnit& u : units) {
        if (u.level == "province") {
            if (province != nullptr) {
                return Error{
                    fmt::format("units {} and {} are both provinces", province->code, u.code)};
            }
            province = &u;
        }
    }
    if (province == nullptr) {
        return Error{"the units have no province"};
    }
    for (const DemoUnit& u : units) {
        if (u.level == "district") {
            if (u.parent_code != province->code) {
                return Error{
                    fmt::format("district {} is not under province {}", u.code, province->code)};
            }
            districts.push_back(&u);
            communes[u.code];
        }
    }
    for (const DemoUnit& u : units) {
        if (u.level == "commune") {
            const auto it = communes.find(u.parent_code);
            if (it == communes.end()) {
                return Error{fmt::format("commune {} is not under a district", u.code)};
            }
            it->second.push_back(&u);
        }
    }
    if (districts.empty()) {
        return Error{"the units have no district"};
    }
    const DemoBox& pb = options.province;
    if (!(pb.lon_min < pb.lon_max && pb.lat_min < pb.lat_max)) {
        return Error{"the province box is empty"};
    }

    const LocalProjection projection{
        {(pb.lon_min + pb.lon_max) / 2.0, (pb.lat_min + pb.lat_max) / 2.0}};
    const PlanePoint lo = projection.to_plane({pb.lon_min, pb.lat_min});
    const PlanePoint hi = projection.to_plane({pb.lon_max, pb.lat_max});
    Rng province_rng = unit_rng(options.seed, province->code, 1);
    const std::vector<Box> district_boxes =
        split(Box{lo.x, lo.y, hi.x, hi.y}, districts.size(), 0.02, 0.08, province_rng);

    DemoGeography geo;
    geo.parents = unit_parents(units);
    std::vector<ClusterDraft> drafts;
    // Hamlet layouts of each district's seat commune (its first), for the district's clusters.
    std::vector<std::vector<HamletLayout>> seats(districts.size());

    for (std::size_t d = 0; d < districts.size(); ++d) {
        const auto& members = communes[districts[d]->code];
        if (members.empty()) {
            continue;
        }
        Rng district_rng = unit_rng(options.seed, districts[d]->code, 2);
        const std::vector<Box> commune_boxes =
            split(district_boxes[d], members.size(), 0.03, 0.10, district_rng);
        for (std::size_t c = 0; c < members.size(); ++c) {
            const DemoUnit& commune = *members[c];
            Rng rng = unit_rng(options.seed, commune.code, 3);
            const int hamlets = rng.between(5, 8);
            const std::vector<Box> cells =
                split(commune_boxes[c], static_cast<std::size_t>(hamlets), 0.0, 0.0, rng);
            int cluster_no = 0;
            for (int k = 0; k < hamlets; ++k) {
                const Box& cell = cells[static_cast<std::size_t>(k)];
                HamletLayout layout;
                const double side = std::min(cell.width(), cell.height());
                layout.centre = {
                    (cell.x0 + cell.x1) / 2.0 + cell.width() * rng.uniform(-0.05, 0.05),
                    (cell.y0 + cell.y1) / 2.0 + cell.height() * rng.uniform(-0.05, 0.05)};
                layout.length = side * rng.uniform(0.5, 0.7);
                layout.width = layout.length * rng.uniform(0.12, 0.22);
                layout.angle = rng.uniform(0.0, std::numbers::pi);

                ResidentialArea area;
                area.id = fmt::format("{}-{:02}", commune.code, k + 1);
                area.unit_code = commune.code;
                area.name = fmt::format("Ấp {}", k + 1);
                area.households = rng.between(100, 600);
                area.shape = std::vector<Polygon>{Polygon{strip_ring(layout, projection, rng), {}}};
                geo.areas.push_back(std::move(area));

                // The commune station's clusters along the strip; about one hamlet in twenty is
                // a dead zone with none.
                const bool dead = rng.uniform(0.0, 1.0) < 0.05;
                const int count = dead ? 0 : std::array{2, 3, 3, 4}[rng.between(0, 3)];
                for (int j = 0; j < count; ++j) {
                    const double step = layout.length / count;
                    const double t =
                        -layout.length / 2.0 + step * (j + 0.5) + step * rng.uniform(-0.15, 0.15);
                    const double offset = layout.width * rng.uniform(-0.2, 0.2);
                    const int horns = rng.between(2, 4);
                    const double watts = std::array{25.0, 30.0, 50.0}[rng.between(0, 2)];
                    drafts.push_back(make_cluster(
                        fmt::format("{}-c{:02}", commune.code, ++cluster_no), commune.code,
                        layout.along(t, offset), horns, watts, projection));
                }
                if (c == 0) {
                    seats[d].push_back(layout);
                }
            }
        }
    }

    // District stations: 12–18 clusters over their seat commune's hamlets; the province station
    // 20–30 over the seat of its first district.
    auto seat_clusters = [&](const DemoUnit& station, const std::vector<HamletLayout>& seat,
                             int lo_count, int hi_count, std::uint64_t purpose) {
        if (seat.empty()) {
            return;
        }
        Rng rng = unit_rng(options.seed, station.code, purpose);
        const int count = rng.between(lo_count, hi_count);
        for (int j = 0; j < count; ++j) {
            const HamletLayout& h = seat[static_cast<std::size_t>(j) % seat.size()];
            const double t = h.length * rng.uniform(-0.45, 0.45);
            const double offset = h.width * rng.uniform(-0.3, 0.3);
            drafts.push_back(make_cluster(fmt::format("{}-c{:02}", station.code, j + 1),
                                          station.code, h.along(t, offset), 4,
                                          j % 2 == 0 ? 50.0 : 30.0, projection));
        }
    };
    for (std::size_t d = 0; d < districts.size(); ++d) {
        seat_clusters(*districts[d], seats[d], 12, 18, 4);
    }
    seat_clusters(*province, seats.front(), 20, 30, 5);

    // Calibration: one reach factor for the province, by bisection on household coverage.
    // The search uses coarse discs (24 sides, a few times cheaper); the result is then measured
    // with the engine's default discs, as anyone reading the files back would.
    auto coverage_at = [&](double scale, int segments = 24) -> Result<double> {
        CoverageEngine::Options engine_options;
        engine_options.disc_segments = segments;
        auto engine =
            CoverageEngine::build(scaled(drafts, scale), geo.areas, geo.parents, engine_options);
        if (!engine) {
            return engine.error();
        }
        return engine->total().working().value_or(0.0);
    };
    // Illinois (modified regula falsi) on f(scale) = coverage - target, from the bracket
    // [0.5, 1] widened (down to 0.1, up to 4) until it holds the target: a handful of builds.
    double a = 0.5;
    double b = 1.0;
    auto fa = coverage_at(a);
    auto fb = coverage_at(b);
    while (fa && fb && *fa > options.target_working && a > 0.1) {
        b = a;
        fb = fa;
        a /= 1.5;
        fa = coverage_at(a);
    }
    while (fa && fb && *fb < options.target_working && b < 4.0) {
        a = b;
        fa = fb;
        b *= 1.5;
        fb = coverage_at(b);
    }
    if (!fa || !fb) {
        return !fa ? fa.error() : fb.error();
    }
    double ya = *fa - options.target_working;
    double yb = *fb - options.target_working;
    double best = std::fabs(ya) < std::fabs(yb) ? a : b;
    double best_error = std::min(std::fabs(ya), std::fabs(yb));
    if (ya < 0.0 && yb > 0.0) {
        int side = 0;
        for (int i = 0; i < 24 && best_error > 0.0005 && b - a > 1e-4; ++i) {
            const double m = (a * yb - b * ya) / (yb - ya);
            auto fm = coverage_at(m);
            if (!fm) {
                return fm.error();
            }
            const double ym = *fm - options.target_working;
            if (std::fabs(ym) < best_error) {
                best = m;
                best_error = std::fabs(ym);
            }
            if (ym < 0.0) {
                a = m;
                ya = ym;
                if (side == -1) {
                    yb /= 2.0;
                }
                side = -1;
            } else {
                b = m;
                yb = ym;
                if (side == 1) {
                    ya /= 2.0;
                }
                side = 1;
            }
        }
    }
    geo.reach_scale = best;
    geo.clusters = scaled(drafts, geo.reach_scale);
    auto measured = coverage_at(geo.reach_scale, CoverageEngine::Options{}.disc_segments);
    if (!measured) {
        return measured.error();
    }
    geo.working_coverage = *measured;
    return geo;
}

Status write_demo_geography(const DemoGeography& geography, const DemoOptions& options,
                            const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return Error{fmt::format("cannot create {}: {}", dir.string(), ec.message())};
    }
    std::size_t households = 0;
    for (const ResidentialArea& a : geography.areas) {
        households += static_cast<std::size_t>(a.households);
    }
    const std::string readme = fmt::format(
        "# Demo geography (SYNTHETIC)\n\n"
        "These files are made up by `loa-geo-demo` from seed {}: the positions, shapes and\n"
        "households of the hamlets and the loudspeaker clusters are NOT real data. Only the\n"
        "administrative units (their codes, names and hierarchy) are real. Each district has a\n"
        "rough box inside the province's bounding box ({}-{} E, {}-{} N), each commune a sub-box\n"
        "of its district's; hamlets are strips along an imagined canal or road.\n\n"
        "- hamlets.csv: {} hamlets, {} households (id,unit_code,name,households,lon,lat,wkt)\n"
        "- clusters.csv: {} clusters (id,station_id,zone,lon,lat,horns,power_w,reach_m); one\n"
        "  station per unit, station id = unit code, zone \"main\"\n\n"
        "Calibration: every reach is 25 m x sqrt(power_w) x {:.4f}, the factor found so that\n"
        "household coverage with every station online is {:.2f} % (target {:.2f} %).\n"
        "See docs/coverage.md.\n",
        options.seed, options.province.lon_min, options.province.lon_max, options.province.lat_min,
        options.province.lat_max, geography.areas.size(), households, geography.clusters.size(),
        geography.reach_scale, geography.working_coverage * 100.0, options.target_working * 100.0);
    const std::pair<const char*, std::string> files[] = {
        {"clusters.csv", to_cluster_csv(geography.clusters)},
        {"hamlets.csv", to_area_csv(geography.areas)},
        {"README.md", readme},
    };
    for (const auto& [name, text] : files) {
        const std::filesystem::path path = dir / name;
        std::ofstream out{path, std::ios::binary | std::ios::trunc};
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.close();
        if (!out) {
            return Error{fmt::format("cannot write {}", path.string())};
        }
    }
    return Status::success();
}

}  // namespace loa::coverage
