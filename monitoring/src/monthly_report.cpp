#include "loa/monitoring/monthly_report.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace loa::monitoring {
namespace {

constexpr std::string_view kStyle = R"(
@page { size: A4; margin: 15mm 12mm; }
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt;
       color: #000; margin: 0; }
h1 { font-size: 16pt; margin: 0 0 4mm 0; }
h2 { font-size: 13pt; margin: 0 0 3mm 0; }
h3 { font-size: 11pt; margin: 5mm 0 2mm 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 3mm; }
th, td { border: 0.3mm solid #555; padding: 1mm 2mm; text-align: left; vertical-align: top; }
td.number { text-align: right; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
.unit.district { page-break-before: always; break-before: page; }
.meta { color: #444; font-size: 9pt; }
@media screen { body { max-width: 190mm; margin: 10mm auto; } }
)";

// "12,5": one decimal, with the Vietnamese decimal comma.
std::string decimal(double v) {
    std::string s = fmt::format("{:.1f}", v);
    std::replace(s.begin(), s.end(), '.', ',');
    return s;
}

std::string percent(double fraction) {
    return decimal(fraction * 100.0) + " %";
}

// "2026-11-27 17:00" in `zone`.
std::string local_minute(TimePoint t, std::string_view zone) {
    std::string s = format_local(t, zone).substr(0, 16);
    std::replace(s.begin(), s.end(), 'T', ' ');
    return s;
}

void row(std::string& out, std::string_view label, std::string_view cls, const std::string& value) {
    out += fmt::format("<tr><th>{}</th><td class=\"number {}\">{}</td></tr>\n", html_escape(label),
                       cls, html_escape(value));
}

void unit_section(std::string& out, const UnitReport& unit, bool district, const std::string& title,
                  std::string_view zone) {
    out += fmt::format("<div class=\"unit{}\" id=\"unit-{}\">\n", district ? " district" : "",
                       html_escape(unit.unit_code));
    out += fmt::format("<h1>{}</h1>\n", html_escape(title));
    out += fmt::format("<h2>{}: {} (mã {})</h2>\n", district ? "Đơn vị" : "Toàn tỉnh",
                       html_escape(unit.unit_name), html_escape(unit.unit_code));

    const ComplianceTotals& t = unit.totals;
    out += "<table class=\"totals\"><tbody>\n";
    out += fmt::format("<tr><th>Đơn vị</th><td class=\"unit-name\">{}</td></tr>\n",
                       html_escape(unit.unit_name));
    row(out, "Số chương trình theo lịch", "n-scheduled", std::to_string(t.scheduled));
    row(out, "Đã phát", "n-aired", std::to_string(t.aired));
    row(out, "Phát một phần", "n-partly", std::to_string(t.partly_aired));
    row(out, "Bỏ lỡ", "n-missed", std::to_string(t.missed));
    row(out, "Giờ đã phát / giờ theo lịch", "hours",
        decimal(t.aired_seconds / 3600.0) + " / " + decimal(t.scheduled_seconds / 3600.0));
    if (const auto r = t.aired_ratio()) {
        row(out, "Tỉ lệ thời lượng đã phát", "aired-ratio", percent(*r));
    }
    if (unit.coverage_working) {
        row(out, "Tỉ lệ phủ sóng (đang hoạt động)", "coverage-working",
            percent(*unit.coverage_working));
    }
    if (unit.coverage_installed) {
        row(out, "Tỉ lệ phủ sóng (đã lắp đặt)", "coverage-installed",
            percent(*unit.coverage_installed));
    }
    out += "</tbody></table>\n";

    out += "<h3>Bỏ lỡ theo nguyên nhân</h3>\n";
    out +=
        "<table class=\"reasons\"><thead><tr><th>Nguyên nhân</th><th>Bỏ lỡ</th>"
        "<th>Phát một phần</th></tr></thead><tbody>\n";
    for (const MissReason r : kMissReasons) {
        out += fmt::format(
            "<tr class=\"reason-{}\"><td>{}</td><td class=\"number\">{}</td>"
            "<td class=\"number\">{}</td></tr>\n",
            reason_name(r), html_escape(reason_label(r, Language::vi)), t.missed_for(r),
            t.partly_for(r));
    }
    out += "</tbody></table>\n";

    out += "<h3>Danh sách sự cố</h3>\n";
    if (unit.incidents.empty()) {
        out += "<p class=\"no-incidents\">Không có sự cố.</p>\n";
    } else {
        std::vector<const Incident*> sorted;
        for (const auto& i : unit.incidents) {
            sorted.push_back(&i);
        }
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const Incident* a, const Incident* b) { return a->began < b->began; });
        out +=
            "<table class=\"incidents\"><thead><tr><th>Bắt đầu</th><th>Kết thúc</th>"
            "<th>Trạm</th><th>Mô tả</th></tr></thead><tbody>\n";
        for (const Incident* i : sorted) {
            out += fmt::format(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                html_escape(local_minute(i->began, zone)),
                i->ended ? html_escape(local_minute(*i->ended, zone)) : std::string{"đang diễn ra"},
                html_escape(i->station), html_escape(i->text));
        }
        out += "</tbody></table>\n";
    }
    out += "</div>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
                break;
        }
    }
    return out;
}

Incident incident_from(const AlarmEvent& event) {
    Incident i;
    i.began = event.alarm.since;
    i.ended = event.cleared_at;
    i.station = event.alarm.station_id;
    i.text = event.alarm.text_vi;
    return i;
}

std::string monthly_report_html(const MonthlyReportInput& input, std::string_view zone) {
    const std::string title = fmt::format("Báo cáo tháng {:02}/{}", input.month, input.year);
    std::string out;
    out += "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\"/>\n";
    out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
                       html_escape(title + " - " + input.province.unit_name), kStyle);
    unit_section(out, input.province, false, title, zone);
    for (const auto& d : input.districts) {
        unit_section(out, d, true, title, zone);
    }
    out += fmt::format("<p class=\"meta\">Lập lúc {}</p>\n",
                       html_escape(local_minute(input.generated_at, zone)));
    out += "</body>\n</html>\n";
    return out;
}

}  // namespace loa::monitoring
