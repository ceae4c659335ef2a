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

Result<std::vector<std::string>> AreaResolver::stations_in(const Area& area,
                                                           std::string_view path) const {
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

    if (!area.polygons.empty()) {
        const Geos geos;
        for (std::size_t p = 0; p < area.polygons.size(); ++p) {
            const auto where = fmt::format("{}.polygon[{}]", path, p + 1);
            const auto polygon = geos.polygon(area.polygons[p]);
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
            for (std::size_t i = 0; i < stations_.size(); ++i) {
                const auto& pos = stations_[i].station.position;
                if (selected[i] || !pos) {
                    continue;
                }
                const auto point = geos.point(*pos);
                if (point && geos.covers(prepared.get(), point.get()) == 1) {
                    selected[i] = true;
                }
            }
        }
    }

    for (const auto& circle : area.circles) {
        for (std::size_t i = 0; i < stations_.size(); ++i) {
            const auto& pos = stations_[i].station.position;
            if (!selected[i] && pos && distance_km(circle.centre, *pos) <= circle.radius_km) {
                selected[i] = true;
            }
        }
    }

    std::vector<std::string> ids;
    for (std::size_t i = 0; i < stations_.size(); ++i) {
        if (selected[i]) {
            ids.push_back(stations_[i].station.id);
        }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
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
