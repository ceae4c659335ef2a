#include "loa/coverage/coverage_engine.hpp"

#include "geos_context.hpp"
#include "shape_geometry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace loa::coverage {

bool OperatingState::works(std::string_view station_id, std::string_view zone) const {
    if (offline_stations.contains(station_id)) {
        return false;
    }
    if (faulty_zones.empty()) {
        return true;
    }
    return !faulty_zones.contains(StationZone{std::string{station_id}, std::string{zone}});
}

namespace {

struct ClusterEntry {
    PlanePoint centre;
    double reach = 0.0;
    GeomPtr disc;
    bool working = true;
    std::vector<std::uint32_t> hamlets;  // hamlets the disc reaches
};

// A cluster that reaches a hamlet, and whether its disc holds the whole hamlet.
struct Candidate {
    std::uint32_t cluster = 0;
    bool covers_whole = false;
};

struct HamletEntry {
    std::string id;
    std::string unit_code;
    double households = 0.0;
    bool point = false;
    PlanePoint centre;  // a point hamlet's position
    GeomPtr geometry;   // a polygon hamlet's polygons on the plane
    PreparedPtr prepared;
    double area_m2 = 0.0;
    std::vector<Candidate> candidates;
    std::vector<std::uint32_t> units;  // its unit and every ancestor
    CoverageFigures figures;
};

struct UnitEntry {
    std::string code;
    CoverageFigures figures;
    std::size_t hamlets = 0;
};

bool valid_position(double lon, double lat) {
    return std::isfinite(lon) && std::isfinite(lat) && lon >= -180.0 && lon <= 180.0 &&
           lat >= -90.0 && lat <= 90.0;
}

void extend(LonLat p, LonLat& lo, LonLat& hi) {
    lo.lon = std::min(lo.lon, p.lon);
    lo.lat = std::min(lo.lat, p.lat);
    hi.lon = std::max(hi.lon, p.lon);
    hi.lat = std::max(hi.lat, p.lat);
}

// Every vertex of `g` (a Polygon or MultiPolygon) within `radius` of `centre`.
bool vertices_within(GEOSContextHandle_t h, const GEOSGeometry* g, PlanePoint centre,
                     double radius) {
    const double r2 = radius * radius;
    auto ring_within = [&](const GEOSGeometry* ring) {
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(h, ring);
        unsigned int size = 0;
        GEOSCoordSeq_getSize_r(h, seq, &size);
        for (unsigned int i = 0; i < size; ++i) {
            double x = 0.0;
            double y = 0.0;
            GEOSCoordSeq_getXY_r(h, seq, i, &x, &y);
            const double dx = x - centre.x;
            const double dy = y - centre.y;
            if (dx * dx + dy * dy > r2) {
                return false;
            }
        }
        return true;
    };
    const int parts = GEOSGetNumGeometries_r(h, g);
    for (int p = 0; p < parts; ++p) {
        const GEOSGeometry* polygon = GEOSGetGeometryN_r(h, g, p);
        // Holes lie inside the shell: the shell's vertices decide.
        if (!ring_within(GEOSGetExteriorRing_r(h, polygon))) {
            return false;
        }
    }
    return true;
}

}  // namespace

class CoverageEngine::Impl {
public:
    Impl(const LocalProjection& projection, int segments)
        : projection_{projection}, segments_{segments} {}

    Status load(std::vector<Cluster>& clusters, std::vector<ResidentialArea>& areas,
                const UnitParents& parents);
    std::size_t apply(const OperatingState& state);
    void recompute_all();
    void aggregate();

    // The covered households and area of hamlet `h`, counting only working clusters or all.
    std::pair<double, double> cover(const HamletEntry& h, bool working_only) const;

    GeosContext geos_;
    LocalProjection projection_;
    int segments_;
    OperatingState state_;
    std::vector<Cluster> cluster_data_;
    std::vector<ClusterEntry> clusters_;
    std::vector<HamletEntry> hamlets_;
    std::vector<UnitEntry> units_;  // ordered by code
    std::unordered_map<std::string, std::uint32_t> hamlet_index_;
    TreePtr tree_;  // declared last: destroyed before the discs it points into
};

Status CoverageEngine::Impl::load(std::vector<Cluster>& clusters,
                                  std::vector<ResidentialArea>& areas, const UnitParents& parents) {
    const GEOSContextHandle_t h = geos_.handle();
    // Clusters: checks, discs, the STRtree.
    std::unordered_set<std::string_view> ids;
    for (const Cluster& c : clusters) {
        if (c.id.empty() || !ids.insert(c.id).second) {
            return Error{fmt::format("cluster id '{}' is empty or appears twice", c.id)};
        }
        if (!valid_position(c.lon, c.lat)) {
            return Error{
                fmt::format("cluster {}: position ({}, {}) is out of range", c.id, c.lon, c.lat)};
        }
        if (!std::isfinite(c.reach_m) || c.reach_m <= 0.0) {
            return Error{
                fmt::format("cluster {}: reach_m {} is not a positive number", c.id, c.reach_m)};
        }
    }
    // A regular polygon with the circle's area: radius r·sqrt(2π / (n·sin(2π/n))).
    const double n = segments_;
    const double area_scale =
        std::sqrt(2.0 * std::numbers::pi / (n * std::sin(2.0 * std::numbers::pi / n)));
    const double inscribed = area_scale * std::cos(std::numbers::pi / n);
    clusters_.reserve(clusters.size());
    tree_ = geos_.own(GEOSSTRtree_create_r(h, 10));
    std::vector<PlanePoint> ring(static_cast<std::size_t>(segments_) + 1);
    for (const Cluster& c : clusters) {
        ClusterEntry e;
        e.centre = projection_.to_plane({c.lon, c.lat});
        e.reach = c.reach_m;
        const double r = c.reach_m * area_scale;
        for (int i = 0; i < segments_; ++i) {
            const double a = 2.0 * std::numbers::pi * i / n;
            ring[static_cast<std::size_t>(i)] = {e.centre.x + r * std::cos(a),
                                                 e.centre.y + r * std::sin(a)};
        }
        ring.back() = ring.front();
        e.disc = geos_.own(GEOSGeom_createPolygon_r(h, plane_ring(geos_, ring), nullptr, 0));
        clusters_.push_back(std::move(e));
    }
    for (std::size_t i = 0; i < clusters_.size(); ++i) {
        GEOSSTRtree_insert_r(h, tree_.get(), clusters_[i].disc.get(), &clusters_[i]);
    }

    // Units: every code of the hierarchy and of the hamlets, ordered by code.
    std::map<std::string, std::uint32_t, std::less<>> unit_index;
    for (const auto& [code, parent] : parents) {
        unit_index.emplace(code, 0);
        if (!parent.empty()) {
            unit_index.emplace(parent, 0);
        }
    }
    for (const ResidentialArea& a : areas) {
        unit_index.emplace(a.unit_code, 0);
    }
    for (auto& [code, index] : unit_index) {
        index = static_cast<std::uint32_t>(units_.size());
        units_.push_back(UnitEntry{code, {}, 0});
    }

    // Hamlets: checks, geometry on the plane, candidate clusters, installed coverage.
    hamlets_.reserve(areas.size());
    for (const ResidentialArea& a : areas) {
        if (a.id.empty() || hamlet_index_.contains(a.id)) {
            return Error{fmt::format("hamlet id '{}' is empty or appears twice", a.id)};
        }
        if (a.unit_code.empty()) {
            return Error{fmt::format("hamlet {}: unit_code is empty", a.id)};
        }
        if (a.households < 0) {
            return Error{fmt::format("hamlet {}: households {} is negative", a.id, a.households)};
        }
        if (auto problem = shape_problem(geos_, a.shape); !problem.empty()) {
            return Error{fmt::format("hamlet {}: {}", a.id, problem)};
        }
        HamletEntry e;
        e.id = a.id;
        e.unit_code = a.unit_code;
        e.households = static_cast<double>(a.households);
        e.point = a.is_point();
        GeomPtr query;
        if (e.point) {
            e.centre = projection_.to_plane(std::get<LonLat>(a.shape));
            query = geos_.own(GEOSGeom_createPointFromXY_r(h, e.centre.x, e.centre.y));
        } else {
            e.geometry =
                polygons_on_plane(geos_, std::get<std::vector<Polygon>>(a.shape), projection_);
            GEOSArea_r(h, e.geometry.get(), &e.area_m2);
            e.prepared = geos_.own(GEOSPrepare_r(h, e.geometry.get()));
        }
        // The unit chain: the hamlet's unit and its ancestors (stopping at a cycle).
        std::string_view code = a.unit_code;
        std::unordered_set<std::string_view> seen;
        while (!code.empty() && seen.insert(code).second) {
            const auto it = unit_index.find(code);
            if (it == unit_index.end()) {
                break;
            }
            e.units.push_back(it->second);
            const auto parent = parents.find(code);
            code = parent == parents.end() ? std::string_view{} : std::string_view{parent->second};
        }
        // Candidates: clusters whose disc envelope meets the hamlet's, kept when the disc
        // really reaches it.
        struct Query {
            std::vector<const ClusterEntry*> found;
        } found;
        GEOSSTRtree_query_r(
            h, tree_.get(), e.point ? query.get() : e.geometry.get(),
            [](void* item, void* user) {
                static_cast<Query*>(user)->found.push_back(static_cast<const ClusterEntry*>(item));
            },
            &found);
        std::sort(found.found.begin(), found.found.end());
        const auto hamlet_no = static_cast<std::uint32_t>(hamlets_.size());
        for (const ClusterEntry* c : found.found) {
            const auto cluster_no = static_cast<std::uint32_t>(c - clusters_.data());
            Candidate candidate{cluster_no, false};
            if (e.point) {
                const double dx = e.centre.x - c->centre.x;
                const double dy = e.centre.y - c->centre.y;
                if (dx * dx + dy * dy > c->reach * c->reach) {
                    continue;
                }
                candidate.covers_whole = true;
            } else {
                if (GEOSPreparedIntersects_r(h, e.prepared.get(), c->disc.get()) != 1) {
                    continue;
                }
                candidate.covers_whole =
                    vertices_within(h, e.geometry.get(), c->centre, c->reach * inscribed);
            }
            e.candidates.push_back(candidate);
            clusters_[cluster_no].hamlets.push_back(hamlet_no);
        }
        hamlet_index_.emplace(e.id, hamlet_no);
        hamlets_.push_back(std::move(e));
    }
    cluster_data_ = std::move(clusters);

    for (HamletEntry& e : hamlets_) {
        const auto [households, area] = cover(e, false);
        e.figures.households = e.households;
        e.figures.area_m2 = e.area_m2;
        e.figures.households_installed = households;
        e.figures.area_installed_m2 = area;
        e.figures.households_working = households;
        e.figures.area_working_m2 = area;
    }
    aggregate();
    return Status::success();
}

std::pair<double, double> CoverageEngine::Impl::cover(const HamletEntry& e,
                                                      bool working_only) const {
    const GEOSContextHandle_t h = geos_.handle();
    std::vector<const GEOSGeometry*> discs;
    for (const Candidate& c : e.candidates) {
        const ClusterEntry& cluster = clusters_[c.cluster];
        if (working_only && !cluster.working) {
            continue;
        }
        if (c.covers_whole) {
            return {e.households, e.area_m2};
        }
        discs.push_back(cluster.disc.get());
    }
    if (discs.empty() || e.point) {
        return {0.0, 0.0};
    }
    GeomPtr covered;
    if (discs.size() == 1) {
        covered = geos_.own(GEOSIntersection_r(h, e.geometry.get(), discs.front()));
    } else {
        std::vector<GEOSGeometry*> copies;
        copies.reserve(discs.size());
        for (const GEOSGeometry* d : discs) {
            copies.push_back(GEOSGeom_clone_r(h, d));
        }
        GeomPtr all = geos_.own(GEOSGeom_createCollection_r(
            h, GEOS_GEOMETRYCOLLECTION, copies.data(), static_cast<unsigned int>(copies.size())));
        GeomPtr merged = geos_.own(GEOSUnaryUnion_r(h, all.get()));
        if (merged) {
            covered = geos_.own(GEOSIntersection_r(h, e.geometry.get(), merged.get()));
        }
    }
    if (!covered) {
        // GEOS failed on this overlay (it should not on valid input): count nothing rather than
        // stop the daemon.
        return {0.0, 0.0};
    }
    double area = 0.0;
    GEOSArea_r(h, covered.get(), &area);
    area = std::min(area, e.area_m2);
    const double fraction = e.area_m2 > 0.0 ? area / e.area_m2 : 0.0;
    return {e.households * fraction, area};
}

void CoverageEngine::Impl::aggregate() {
    for (UnitEntry& u : units_) {
        u.figures = {};
        u.hamlets = 0;
    }
    for (const HamletEntry& e : hamlets_) {
        for (std::uint32_t u : e.units) {
            units_[u].figures += e.figures;
            ++units_[u].hamlets;
        }
    }
}

std::size_t CoverageEngine::Impl::apply(const OperatingState& state) {
    std::vector<std::uint32_t> dirty;
    for (std::size_t i = 0; i < clusters_.size(); ++i) {
        const Cluster& c = cluster_data_[i];
        const bool works = state.works(c.station_id, c.zone);
        if (works != clusters_[i].working) {
            clusters_[i].working = works;
            dirty.insert(dirty.end(), clusters_[i].hamlets.begin(), clusters_[i].hamlets.end());
        }
    }
    state_ = state;
    std::sort(dirty.begin(), dirty.end());
    dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());
    for (std::uint32_t i : dirty) {
        HamletEntry& e = hamlets_[i];
        const bool all_working =
            std::all_of(e.candidates.begin(), e.candidates.end(),
                        [this](const Candidate& c) { return clusters_[c.cluster].working; });
        if (all_working) {
            e.figures.households_working = e.figures.households_installed;
            e.figures.area_working_m2 = e.figures.area_installed_m2;
            continue;
        }
        const auto [households, area] = cover(e, true);
        e.figures.households_working = households;
        e.figures.area_working_m2 = area;
    }
    if (!dirty.empty()) {
        aggregate();
    }
    return dirty.size();
}

void CoverageEngine::Impl::recompute_all() {
    for (HamletEntry& e : hamlets_) {
        const auto [households, area] = cover(e, true);
        e.figures.households_working = households;
        e.figures.area_working_m2 = area;
    }
    aggregate();
}

Result<CoverageEngine> CoverageEngine::build(std::vector<Cluster> clusters,
                                             std::vector<ResidentialArea> areas,
                                             UnitParents parents) {
    return build(std::move(clusters), std::move(areas), std::move(parents), Options{});
}

Result<CoverageEngine> CoverageEngine::build(std::vector<Cluster> clusters,
                                             std::vector<ResidentialArea> areas,
                                             UnitParents parents, const Options& options) {
    if (options.disc_segments < 8 || options.disc_segments > 4096) {
        return Error{fmt::format("disc_segments {} is not in [8, 4096]", options.disc_segments)};
    }
    LonLat origin = LocalProjection::an_giang_centre();
    if (options.origin) {
        origin = *options.origin;
    } else {
        constexpr double inf = std::numeric_limits<double>::infinity();
        LonLat lo{inf, inf};
        LonLat hi{-inf, -inf};
        for (const Cluster& c : clusters) {
            if (valid_position(c.lon, c.lat)) {
                extend({c.lon, c.lat}, lo, hi);
            }
        }
        for (const ResidentialArea& a : areas) {
            if (const auto* p = std::get_if<LonLat>(&a.shape)) {
                if (valid_position(p->lon, p->lat)) {
                    extend(*p, lo, hi);
                }
                continue;
            }
            for (const Polygon& polygon : std::get<std::vector<Polygon>>(a.shape)) {
                for (const LonLat& p : polygon.outer) {
                    if (valid_position(p.lon, p.lat)) {
                        extend(p, lo, hi);
                    }
                }
            }
        }
        if (lo.lon <= hi.lon) {
            origin = {(lo.lon + hi.lon) / 2.0, (lo.lat + hi.lat) / 2.0};
        }
    }
    if (!valid_position(origin.lon, origin.lat)) {
        return Error{"the projection origin is out of range"};
    }
    auto impl = std::make_unique<Impl>(LocalProjection{origin}, options.disc_segments);
    if (Status s = impl->load(clusters, areas, parents); !s) {
        return Error{s.message()};
    }
    return CoverageEngine{std::move(impl)};
}

CoverageEngine::CoverageEngine(std::unique_ptr<Impl> impl) : impl_{std::move(impl)} {}
CoverageEngine::CoverageEngine(CoverageEngine&&) noexcept = default;
CoverageEngine& CoverageEngine::operator=(CoverageEngine&&) noexcept = default;
CoverageEngine::~CoverageEngine() = default;

std::size_t CoverageEngine::apply(const OperatingState& state) {
    return impl_->apply(state);
}

const OperatingState& CoverageEngine::state() const {
    return impl_->state_;
}

void CoverageEngine::recompute_all() {
    impl_->recompute_all();
}

CoverageFigures CoverageEngine::unit(std::string_view unit_code) const {
    const auto it =
        std::lower_bound(impl_->units_.begin(), impl_->units_.end(), unit_code,
                         [](const UnitEntry& u, std::string_view code) { return u.code < code; });
    if (it == impl_->units_.end() || it->code != unit_code) {
        return {};
    }
    return it->figures;
}

std::vector<UnitCoverage> CoverageEngine::units() const {
    std::vector<UnitCoverage> out;
    out.reserve(impl_->units_.size());
    for (const UnitEntry& u : impl_->units_) {
        out.push_back(UnitCoverage{u.code, u.figures, u.hamlets});
    }
    return out;
}

std::optional<HamletCoverage> CoverageEngine::hamlet(std::string_view id) const {
    const auto it = impl_->hamlet_index_.find(std::string{id});
    if (it == impl_->hamlet_index_.end()) {
        return std::nullopt;
    }
    const HamletEntry& e = impl_->hamlets_[it->second];
    return HamletCoverage{e.id, e.unit_code, e.figures};
}

std::vector<HamletCoverage> CoverageEngine::hamlets() const {
    std::vector<HamletCoverage> out;
    out.reserve(impl_->hamlets_.size());
    for (const HamletEntry& e : impl_->hamlets_) {
        out.push_back(HamletCoverage{e.id, e.unit_code, e.figures});
    }
    return out;
}

CoverageFigures CoverageEngine::total() const {
    CoverageFigures sum;
    for (const HamletEntry& e : impl_->hamlets_) {
        sum += e.figures;
    }
    return sum;
}

std::size_t CoverageEngine::cluster_count() const {
    return impl_->clusters_.size();
}

std::size_t CoverageEngine::hamlet_count() const {
    return impl_->hamlets_.size();
}

const LocalProjection& CoverageEngine::projection() const {
    return impl_->projection_;
}

}  // namespace loa::coverage
