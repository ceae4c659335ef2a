#include "loa/coverage/coverage_figures.hpp"

namespace loa::coverage {

namespace {

std::optional<double> ratio(double part, double whole) {
    if (!(whole > 0.0)) {
        return std::nullopt;
    }
    return part / whole;
}

}  // namespace

std::optional<double> CoverageFigures::installed() const {
    return ratio(households_installed, households);
}

std::optional<double> CoverageFigures::working() const {
    return ratio(households_working, households);
}

std::optional<double> CoverageFigures::area_installed() const {
    return ratio(area_installed_m2, area_m2);
}

std::optional<double> CoverageFigures::area_working() const {
    return ratio(area_working_m2, area_m2);
}

CoverageFigures& CoverageFigures::operator+=(const CoverageFigures& other) {
    households += other.households;
    households_installed += other.households_installed;
    households_working += other.households_working;
    area_m2 += other.area_m2;
    area_installed_m2 += other.area_installed_m2;
    area_working_m2 += other.area_working_m2;
    return *this;
}

}  // namespace loa::coverage
