#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/time_format.hpp"
#include "loa/monitoring/alarm.hpp"
#include "loa/monitoring/compliance_summary.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loa::monitoring {

// Something that went wrong during the month (an alarm's span, typically).
struct Incident {
    TimePoint began{};
    std::optional<TimePoint> ended;  // none: still going on
    std::string station;             // station id or name; may be empty for a unit's incident
    std::string text;                // in Vietnamese
};

// One unit's page of the report.
struct UnitReport {
    std::string unit_code;
    std::string unit_name;
    ComplianceTotals totals;
    std::optional<double> coverage_working;    // fraction in [0, 1]; none: not shown
    std::optional<double> coverage_installed;  // fraction in [0, 1]; none: not shown
    std::vector<Incident> incidents;
};

struct MonthlyReportInput {
    int year = 2026;
    int month = 1;  // 1..12
    UnitReport province;
    std::vector<UnitReport> districts;
    TimePoint generated_at{};
};

// Builds an incident from an alarm event (its Vietnamese text, raised/cleared times).
Incident incident_from(const AlarmEvent& event);

// The printable monthly report, "Báo cáo tháng MM/YYYY", in Vietnamese: the province first,
// then one page per district (CSS for A4 paper, a page break before each district), each with
// the number of programme items scheduled, aired, partly aired and missed, missed by reason,
// aired hours over scheduled hours, coverage when given, and the list of incidents. All text
// is escaped; the document is well-formed XHTML-compatible HTML (every element closed). Times
// are local in `zone`; decimals use a comma. Pure; any thread.
std::string monthly_report_html(const MonthlyReportInput& input,
                                std::string_view zone = kDefaultZone);

// Text escaped for HTML element content and attribute values (& < > " ').
std::string html_escape(std::string_view text);

}  // namespace loa::monitoring
