#include "loa/alerting/area_resolver.hpp"

#include <fmt/format.h>
#include <geos_c.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <numbers>
#include <set>

namespace loa::alerting {

namespace {

constexpr double kEarthRadiusKm = 6371.0088;  // mean radius (IUGG)

// One GEOS context per call: GEOS contexts are not thread-safe, the resolver is.
class Geos {
public:
    Geos() : ctx_{GEOS_init_r()} {
        GEOSContext_setErrorMessageHandler_r(ctx_, &Geos::on_error, this);
    }
    ~Geos() { GEOS_finish_r(ctx_); }
    Geos(const Geos&) = delete;
    Geos& operator=(const Geos&) = delete;

    GEOSContextHandle_t handle() const { return ctx_; }
    const std::string& last_error() const { return error_; }

    struct GeomDeleter {
        GEOSContextHandle_t ctx;
        void operator()(GEOSGeometry* g) const { GEOSGeom_destroy_r(ctx, g); }
    };
    struct PreparedDeleter {
        GEOSContextHandle_t ctx;
        void operator()(const GEOSPreparedGeometry* g) const { GEOSPreparedGeom_destroy_r(ctx, g); }
    };
    using Geom = std::unique_ptr<GEOSGeometry, GeomDeleter>;
    using Prepared = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;

    // A polygon from a closed ring of points; x = longitude, y = latitude.
    Geom polygon(const std::vector<LatLon>& ring) const {
        GEOSCoordSequence* seq =
            GEOSCoordSeq_create_r(ctx_, static_cast<unsigned int>(ring.size()), 2);
        if (seq == nullptr) {
            return Geom{nullptr, {ctx_}};
        }
        for (std::size_t i = 0; i < ring.size(); ++i) {
            GEOSCoordSeq_setXY_r(ctx_, seq, static_cast<unsigned int>(i), ring[i].lon, ring[i].lat);
        }
        GEOSGeometry* shell = GEOSGeom_createLinearRing_r(ctx_, seq);  // owns seq
        if (shell == nullptr) {
            return Geom{nullptr, {ctx_}};
        }
        return Geom{GEOSGeom_createPolygon_r(ctx_, shell, nullptr, 0), {ctx_}};  // owns shell
    }

    Geom point(LatLon p) const {
        return Geom{GEOSGeom_createPointFromXY_r(ctx_, p.lon, p.lat), {ctx_}};
    }

    // Why `g` is not a valid polygon, or empty when it is.
    std::string invalid_reason(const GEOSGeometry* g) const {
        if (GEOSisValid_r(ctx_, g) == 1) {
            return {};
        }
        char* reason = GEOSisValidReason_r(ctx_, g);
        std::string out = reason != nullptr ? reason : "invalid geometry";
        GEOSFree_r(ctx_, reason);
        return out;
    }

    Prepared prepare(const GEOSGeometry* g) const {
        return Prepared{GEOSPrepare_r(ctx_, g), {ctx_}};
    }

    // 1 when `prepared` covers `g` (inside or on the boundary), 0 when not, 2 on error.
    char covers(const GEOSPreparedGeometry* prepared, const GEOSGeometry* g) const {
        return GEOSPreparedCovers_r(ctx_, prepared, g);
    }

private:
    static void on_error(const char* message, void* self) {
        static_cast<Geos*>(self)->error_ = message != nullptr ? message : "";
    }

    GEOSContextHandle_t ctx_;
    std::string error_;
};

double radians(double degrees) {
    return degrees * std::numbers::pi / 180.0;
}

std::string upper(std::string_view s) {
    std::string out{s};
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return out;
}

}  // namespace

AreaResolver::AreaResolver(std::vector<StationSite> stations,
                           std::unordered_map<std::string, std::string> unit_parents)
    : unit_parents_{std::move(unit_parents)} {
    stations_.reserve(stations.size());
    for (auto& s : stations) {
        Site site{std::move(s), {}};
        // Walk up the tree; a bound on the steps guards against a cycle in the map.
        std::string code = site.station.unit_code;
        for (std::size_t steps = 0; !code.empty() && steps <= unit_parents_.size(); ++steps) {
            site.units.push_back(code);
            const auto it = unit_parents_.find(code);
            if (it == unit_parents_.end()) {
                break;
            }
            code = it->second;
        }
        stations_.push_back(std::move(site));
    }
}

bool AreaResolver::is_unit_code_scheme(std::string_view value_name) {
    const auto u = upper(value_name);
    return u == "GSO" || u == "VN-GSO";
}

double AreaResolver::distance_km(LatLon a, LatLon b) {
    // Haversine: well-conditioned for the short distances of a province.
    const double dlat = radians(b.lat - a.lat);
    const double dlon = radians(b.lon - a.lon);
    const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                     std::cos(radians(a.lat)) * std::cos(radians(b.lat)) * std::sin(dlon / 2) *
                         std::sin(dlon / 2);
    return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

std::string_view to_string(MatchKind kind) {
    switch (kind) {
        case MatchKind::geocode:
            return "geocode";
        case MatchKind::polygon:
            return "polygon";
        case MatchKind::circle:
            return "circle";
    }
    return "unknown";
}

const std::vector<std::string>& AreaMatch::by(MatchKind kind) const {
    switch (kind) {
        case MatchKind::polygon:
            return by_polygon;
        case MatchKind::circle:
            return by_circle;
        case MatchKind::geocode:
            break;
    }
    return by_geocode;
}

std::vector<std::string> AreaMatch::stations() const {
    std::vector<std::string> ids = by_geocode;
    ids.insert(ids.end(), by_polygon.begin(), by_polygon.end());
    ids.insert(ids.end(), by_circle.begin(), by_circle.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

bool AreaResolver::has_positions() const {
    return std::any_of(stations_.begin(), stations_.end(), [](const Site& s) {
        return s.station.position.has_value() || !s.station.clusters.empty();
    });
}

Result<std::vector<std::string>> AreaResolver::stations_in(const Area& area,
                                                           std::string_view path) const {
    auto matched = match(area, path);
    if (!matched) {
        return matched.error();
    }
    return matched->stations();
}

Result<AreaMatch> AreaResolver::match(const Area& area, std::string_view path) const {
    AreaMatch out;
    out.path = std::string{path};
    out.description = area.description;

    // The points of a station that an area may hold: its own position, then its clusters.
    const auto any_point = [](const StationSite& s, const auto& inside) {
        if (s.position && inside(*s.position)) {
            return true;
        }
        return std::any_of(s.clusters.begin(), s.clusters.end(), inside);
    };

    std::vector<bool> selected(stations_.size(), false);
    for (std::size_t g = 0; g < area.geocodes.size(); ++g) {
        const auto& geocode = area.geocodes[g];
        if (!is_unit_code_scheme(geocode.name)) {
            continue;
        }
        const bool known = unit_parents_.contains(geocode.value) ||
                           std::any_of(stations_.begin(), stations_.end(), [&](const Site& s) {
                               return s.station.unit_code == geocode.value;
                           });
        if (!known) {
            return Error{fmt::format("{}.geocode[{}]: {} code '{}' is not a known admin unit", path,
                                     g + 1, geocode.name, geocode.value)};
        }
        for (std::size_t i = 0; i < stations_.size(); ++i) {
            const auto& units = stations_[i].units;
            if (std::find(units.begin(), units.end(), geocode.value) != units.end()) {
                selected[i] = true;
            }
        }
    }
    for (std::size_t i = 0; i < stations_.size(); ++i) {
        if (selected[i]) {
            out.by_geocode.push_back(stations_[i].station.id);
        }
    }

    if (!area.polygons.empty()) {
        const Geos geos;
        std::fill(selected.begin(), selected.end(), false);
        for (std::size_t p = 0; p < area.polygons.size(); ++p) {
            const auto& ring = area.polygons[p];
            const auto where = fmt::format("{}.polygon[{}]", path, p + 1);
            const auto polygon = geos.polygon(ring);
            if (!polygon) {
                return Error{fmt::format("{}: not a polygon ({})", where, geos.last_error())};
            }
            if (const auto why = geos.invalid_reason(polygon.get()); !why.empty()) {
                return Error{fmt::format("{}: not a simple polygon: {}", where, why)};
            }
            const auto prepared = geos.prepare(polygon.get());
            if (!prepared) {
                return Error{fmt::format("{}: {}", where, geos.last_error())};
            }
            // The ring's bounding box spares GEOS the points far away (most of them).
            LatLon low = ring.empty() ? LatLon{} : ring.front();
            LatLon high = low;
            for (const auto& q : ring) {
                low = {std::min(low.lat, q.lat), std::min(low.lon, q.lon)};
                high = {std::max(high.lat, q.lat), std::max(high.lon, q.lon)};
            }
            const auto inside = [&](const LatLon& q) {
                if (q.lat < low.lat || q.lat > high.lat || q.lon < low.lon || q.lon > high.lon) {
                    return false;
                }
                const auto point = geos.point(q);
                return point && geos.covers(prepared.get(), point.get()) == 1;
            };
            for (std::size_t i = 0; i < stations_.size(); ++i) {
                if (!selected[i] && any_point(stations_[i].station, inside)) {
                    selected[i] = true;
                }
            }
        }
        for (std::size_t i = 0; i < stations_.size(); ++i) {
            if (selected[i]) {
                out.by_polygon.push_back(stations_[i].station.id);
            }
        }
    }

    if (!area.circles.empty()) {
        std::fill(selected.begin(), selected.end(), false);
        for (const auto& circle : area.circles) {
            const auto inside = [&](const LatLon& q) {
                return distance_km(circle.centre, q) <= circle.radius_km;
            };
            for (std::size_t i = 0; i < stations_.size(); ++i) {
                if (!selected[i] && any_point(stations_[i].station, inside)) {
                    selected[i] = true;
                }
            }
        }
        for (std::size_t i = 0; i < stations_.size(); ++i) {
            if (selected[i]) {
                out.by_circle.push_back(stations_[i].station.id);
            }
        }
    }

    for (auto* list : {&out.by_geocode, &out.by_polygon, &out.by_circle}) {
        std::sort(list->begin(), list->end());
        list->erase(std::unique(list->begin(), list->end()), list->end());
    }
    return out;
}

Result<std::vector<std::string>> AreaResolver::stations_for(const Alert& alert) const {
    std::set<std::string> ids;
    std::vector<std::string> descriptions;
    for (std::size_t i = 0; i < alert.infos.size(); ++i) {
        const auto& areas = alert.infos[i].areas;
        for (std::size_t a = 0; a < areas.size(); ++a) {
            auto in = stations_in(areas[a], fmt::format("info[{}].area[{}]", i + 1, a + 1));
            if (!in) {
                return in.error();
            }
            ids.insert(in->begin(), in->end());
            if (std::find(descriptions.begin(), descriptions.end(), areas[a].description) ==
                descriptions.end()) {
                descriptions.push_back(areas[a].description);
            }
        }
    }
    if (ids.empty()) {
        if (descriptions.empty()) {
            return Error{"no station is in the area: the alert names no <area>"};
        }
        return Error{fmt::format("no station is in the area ({})", fmt::join(descriptions, "; "))};
    }
    return std::vector<std::string>{ids.begin(), ids.end()};
}

}  // namespace loa::alerting
