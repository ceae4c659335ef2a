#pragma once

#include "loa/common/result.hpp"
#include "loa/coverage/cluster.hpp"
#include "loa/coverage/coverage_figures.hpp"
#include "loa/coverage/local_projection.hpp"
#include "loa/coverage/residential_area.hpp"

#include <compare>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace loa::coverage {

// The administrative hierarchy as plain data: unit code -> parent code ("" for a root). Hamlets
// count towards their unit and every ancestor found here; a unit missing from the map is a root.
using UnitParents = std::map<std::string, std::string, std::less<>>;

// One zone (amplifier output) of one station.
struct StationZone {
    std::string station_id;
    std::string zone;
    auto operator<=>(const StationZone&) const = default;
};

// What is not working right now. A cluster works when its station is not offline and its
// (station, zone) has no fault; the empty state means every cluster works.
struct OperatingState {
    std::set<std::string, std::less<>> offline_stations;
    std::set<StationZone> faulty_zones;

    bool works(std::string_view station_id, std::string_view zone) const;
};

// Loudspeaker coverage of residential areas, computed with GEOS on a local metric plane.
//
// At construction every hamlet gets its candidate clusters (those whose disc reaches its
// envelope, found through an STRtree of the clusters' discs), a prepared geometry, and its
// installed coverage; working coverage starts equal to installed (every cluster working).
// apply() then recomputes only the hamlets within reach of a cluster whose working state changed,
// and the unit totals from the kept per-hamlet results.
//
// A disc is a regular polygon (Options::disc_segments sides) with the circle's area; a point
// hamlet is tested against the exact circle.
//
// Not thread-safe: one thread at a time (the scheduler's coverage owner). Each engine has its own
// GEOS context, so different engines may be used on different threads. Movable, not copyable.
class CoverageEngine {
public:
    struct Options {
        int disc_segments = 64;  // sides of the polygon standing for a disc, >= 8
        // The plane's origin; none: the centre of the data's bounding box.
        std::optional<LonLat> origin;
    };

    // Checks the data (unique ids, finite positions in range, positive reach, valid polygons)
    // and computes installed coverage. The error names the first problem found.
    static Result<CoverageEngine> build(std::vector<Cluster> clusters,
                                        std::vector<ResidentialArea> areas, UnitParents parents,
                                        const Options& options);
    static Result<CoverageEngine> build(std::vector<Cluster> clusters,
                                        std::vector<ResidentialArea> areas, UnitParents parents);

    CoverageEngine(CoverageEngine&&) noexcept;
    CoverageEngine& operator=(CoverageEngine&&) noexcept;
    CoverageEngine(const CoverageEngine&) = delete;
    CoverageEngine& operator=(const CoverageEngine&) = delete;
    ~CoverageEngine();

    // Sets the operating state and recomputes the hamlets near every cluster whose working state
    // changed. Returns how many hamlets were recomputed.
    std::size_t apply(const OperatingState& state);
    const OperatingState& state() const;

    // Every hamlet computed again from scratch with the current state (what apply() keeps up to
    // date incrementally); for checks and benchmarks.
    void recompute_all();

    // Coverage of a unit's subtree; zero figures for a unit without hamlets.
    CoverageFigures unit(std::string_view unit_code) const;
    // Every unit of the hierarchy and every unit holding hamlets, ordered by code.
    std::vector<UnitCoverage> units() const;
    // The coverage of one hamlet, if there is such a hamlet.
    std::optional<HamletCoverage> hamlet(std::string_view id) const;
    // Every hamlet in the order given to build().
    std::vector<HamletCoverage> hamlets() const;
    // Coverage summed over every hamlet.
    CoverageFigures total() const;

    std::size_t cluster_count() const;
    std::size_t hamlet_count() const;
    const LocalProjection& projection() const;

private:
    class Impl;
    explicit CoverageEngine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace loa::coverage
