#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loa::coverage {

// A small RFC 4180 reader for the coverage imports: comma separated, fields optionally in double
// quotes ("" for a quote; quoted fields may hold commas and line breaks), LF or CRLF line ends, a
// UTF-8 byte-order mark skipped, blank lines skipped, unquoted fields trimmed of spaces and tabs.
// The first record is the header. Pure; any thread.
class CsvTable {
public:
    struct Row {
        std::size_t line = 0;  // the line the record starts on, counting from 1
        std::vector<std::string> fields;
    };

    explicit CsvTable(std::string_view text);

    const std::vector<std::string>& header() const { return header_; }
    const std::vector<Row>& rows() const { return rows_; }
    // Problems of the text itself (a quote left open, a row with the wrong number of fields),
    // each with its line. A row with a problem is left out of rows().
    const std::vector<std::pair<std::size_t, std::string>>& problems() const { return problems_; }

    std::optional<std::size_t> column(std::string_view name) const;

private:
    std::vector<std::string> header_;
    std::vector<Row> rows_;
    std::vector<std::pair<std::size_t, std::string>> problems_;
};

}  // namespace loa::coverage
