#pragma once

#include <optional>
#include <string>

namespace loa::coverage {

// Coverage of a hamlet or of every hamlet under a unit: households and area, in total, within
// reach of any installed cluster, and within reach of a working one. Households within reach of
// a polygon hamlet are its households times the covered fraction of its area (people are taken
// as spread evenly); a point hamlet is covered whole or not at all and has no area.
struct CoverageFigures {
    double households = 0.0;
    double households_installed = 0.0;
    double households_working = 0.0;
    double area_m2 = 0.0;
    double area_installed_m2 = 0.0;
    double area_working_m2 = 0.0;

    // Fractions in [0, 1]; none when there is nothing to divide by.
    std::optional<double> installed() const;
    std::optional<double> working() const;
    std::optional<double> area_installed() const;
    std::optional<double> area_working() const;

    CoverageFigures& operator+=(const CoverageFigures& other);
    bool operator==(const CoverageFigures&) const = default;
};

// The coverage of one administrative unit (every hamlet in its subtree).
struct UnitCoverage {
    std::string unit_code;
    CoverageFigures figures;
    std::size_t hamlets = 0;
};

// The coverage of one hamlet.
struct HamletCoverage {
    std::string id;
    std::string unit_code;
    CoverageFigures figures;
};

}  // namespace loa::coverage
