#include "loa/monitoring/compliance_csv.hpp"

#include <fmt/format.h>

#include <array>

namespace loa::monitoring {
namespace {

// A text a person or an agent wrote: never let a spreadsheet read it as a formula.
std::string text_field(std::string_view text) {
    if (!text.empty() && (text.front() == '=' || text.front() == '+' || text.front() == '-' ||
                          text.front() == '@')) {
        return csv_field("'" + std::string{text});
    }
    return csv_field(text);
}

std::string join_zones(const std::vector<std::string>& zones) {
    std::string out;
    for (const auto& z : zones) {
        out += out.empty() ? z : " " + z;
    }
    return out;
}

}  // namespace

std::string csv_field(std::string_view text) {
    const bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!text.empty() && (text.front() == ' ' || text.back() == ' '));
    if (!quote) {
        return std::string{text};
    }
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"') {
            out += '"';
        }
        out += c;
    }
    out += '"';
    return out;
}

std::string compliance_csv(const std::vector<ItemCompliance>& items, Language language,
                           std::string_view zone) {
    static constexpr std::array<std::string_view, 14> kHeaderVi{"Trạm",
                                                                "Mã mục",
                                                                "Mã chương trình",
                                                                "Chương trình",
                                                                "Tên mục",
                                                                "Loại ưu tiên",
                                                                "Vùng",
                                                                "Giờ phát theo lịch",
                                                                "Thời lượng (giây)",
                                                                "Kết quả",
                                                                "Nguyên nhân",
                                                                "Mã nguyên nhân",
                                                                "Đã phát (giây)",
                                                                "Ghi chú"};
    static constexpr std::array<std::string_view, 14> kHeaderEn{
        "Station", "Item",        "Entry",         "Programme",    "Item title",
        "Class",   "Zones",       "Planned start", "Duration (s)", "Verdict",
        "Reason",  "Reason code", "Aired (s)",     "Detail"};
    std::string out = "\xEF\xBB\xBF";  // UTF-8 byte-order mark
    const auto& header = language == Language::vi ? kHeaderVi : kHeaderEn;
    for (std::size_t i = 0; i < header.size(); ++i) {
        out += (i == 0 ? "" : ",") + csv_field(header.at(i));
    }
    out += "\r\n";
    for (const auto& c : items) {
        const auto& it = c.item;
        const std::array<std::string, 14> row{
            text_field(it.station_id),
            text_field(it.item_id),
            text_field(it.entry_id),
            text_field(it.entry_title),
            text_field(it.title),
            text_field(it.priority_class),
            text_field(join_zones(it.zones)),
            csv_field(format_local(it.start, zone)),
            fmt::format("{:.0f}", c.scheduled_seconds),
            csv_field(verdict_label(c.verdict, language)),
            c.reason ? csv_field(reason_label(*c.reason, language)) : std::string{},
            c.reason ? std::string{reason_name(*c.reason)} : std::string{},
            fmt::format("{:.1f}", c.aired_seconds),
            text_field(c.detail),
        };
        for (std::size_t i = 0; i < row.size(); ++i) {
            out += (i == 0 ? "" : ",") + row.at(i);
        }
        out += "\r\n";
    }
    return out;
}

}  // namespace loa::monitoring
