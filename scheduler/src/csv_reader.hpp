#pragma once

#include "loa/scheduler/line_error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loa::scheduler {

// One record of a CSV file and the line it starts on.
struct CsvRecord {
    std::size_t line = 0;
    std::vector<std::string> fields;
};

// An RFC 4180 reader for the scheduler's import files: comma separated, fields optionally in
// double quotes (a quote inside doubled: ""), quoted fields may hold commas and line breaks, CRLF
// or LF line ends, a UTF-8 byte-order mark at the start is skipped, blank lines are skipped, and
// unquoted fields are trimmed of surrounding spaces and tabs. The text must be valid UTF-8.
// Pure; any thread.
class CsvReader {
public:
    explicit CsvReader(std::string_view text);

    // The records after the header, and the problems found (a line that is not valid UTF-8, a
    // quote left open, text after a closing quote, a record with the wrong number of fields).
    // A record with a problem is left out of records().
    const std::vector<CsvRecord>& records() const { return records_; }
    const std::vector<LineError>& errors() const { return errors_; }

    // Column names from the header (trimmed); empty when the text has no header line.
    const std::vector<std::string>& header() const { return header_; }
    // The position of column `name`, if the header has it.
    std::optional<std::size_t> column(std::string_view name) const;

    // Reports "line 1: missing column 'x'" for each of `required` absent from the header, and
    // "line 1: column 'x' appears twice" for repeated names. True when the header is usable.
    bool check_header(const std::vector<std::string_view>& required);

private:
    void parse(std::string_view text);

    std::vector<std::string> header_;
    std::vector<CsvRecord> records_;
    std::vector<LineError> errors_;
};

}  // namespace loa::scheduler
