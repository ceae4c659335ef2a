#pragma once

#include "loa/common/time_format.hpp"
#include "loa/monitoring/compliance_types.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace loa::monitoring {

// One CSV field quoted as RFC 4180 says: enclosed in double quotes (inner quotes doubled) when
// it holds a comma, a double quote, CR or LF, or starts or ends with a space; as is otherwise.
std::string csv_field(std::string_view text);

// The compliance result as CSV for a spreadsheet: UTF-8 with a byte-order mark (so Excel reads
// Vietnamese correctly), CRLF line ends, a header row in `language`, one row per item:
// station, item, programme (entry id, title), item title, class, planned start (local time in
// `zone`), duration s, verdict (label), reason (label), aired s, the detail text. A text field
// starting with = + - @ is prefixed with ' so a spreadsheet never reads it as a formula.
// Pure; any thread.
std::string compliance_csv(const std::vector<ItemCompliance>& items,
                           Language language = Language::vi, std::string_view zone = kDefaultZone);

}  // namespace loa::monitoring
