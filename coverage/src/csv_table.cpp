#include "csv_table.hpp"

namespace loa::coverage {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

CsvTable::CsvTable(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) {
        text.remove_prefix(3);
    }
    std::size_t pos = 0;
    std::size_t line = 1;
    bool have_header = false;
    while (pos < text.size()) {
        const std::size_t first_line = line;
        std::vector<std::string> fields;
        std::string field;
        bool quoted = false;  // the current field was quoted
        bool broken = false;  // a problem was found in this record
        bool end_of_record = false;
        std::string problem;
        while (!end_of_record) {
            if (pos >= text.size()) {
                end_of_record = true;
                break;
            }
            const char c = text[pos];
            if (c == '"' && trim(field).empty() && !quoted) {
                // A quoted field: read to the closing quote.
                field.clear();
                quoted = true;
                ++pos;
                bool closed = false;
                while (pos < text.size()) {
                    const char q = text[pos];
                    if (q == '"') {
                        if (pos + 1 < text.size() && text[pos + 1] == '"') {
                            field += '"';
                            pos += 2;
                            continue;
                        }
                        ++pos;
                        closed = true;
                        break;
                    }
                    if (q == '\n') {
                        ++line;
                    }
                    field += q;
                    ++pos;
                }
                if (!closed) {
                    broken = true;
                    problem = "a quoted field is not closed";
                    pos = text.size();
                }
                // Only blanks may follow the closing quote.
                while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t')) {
                    ++pos;
                }
                if (pos < text.size() && text[pos] != ',' && text[pos] != '\n' &&
                    text[pos] != '\r') {
                    broken = true;
                    problem = "text after a closing quote";
                    while (pos < text.size() && text[pos] != ',' && text[pos] != '\n') {
                        ++pos;
                    }
                }
                continue;
            }
            if (c == ',') {
                fields.push_back(quoted ? field : std::string{trim(field)});
                field.clear();
                quoted = false;
                ++pos;
                continue;
            }
            if (c == '\n' || c == '\r') {
                if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') {
                    ++pos;
                }
                ++pos;
                ++line;
                end_of_record = true;
                break;
            }
            field += c;
            ++pos;
        }
        fields.push_back(quoted ? field : std::string{trim(field)});
        const bool blank = fields.size() == 1 && fields[0].empty() && !quoted;
        if (blank && !broken) {
            continue;
        }
        if (broken) {
            problems_.emplace_back(first_line, problem);
            continue;
        }
        if (!have_header) {
            header_ = std::move(fields);
            have_header = true;
            continue;
        }
        if (fields.size() != header_.size()) {
            problems_.emplace_back(first_line, "has " + std::to_string(fields.size()) +
                                                   " fields, the header has " +
                                                   std::to_string(header_.size()));
            continue;
        }
        rows_.push_back(Row{first_line, std::move(fields)});
    }
}

std::optional<std::size_t> CsvTable::column(std::string_view name) const {
    for (std::size_t i = 0; i < header_.size(); ++i) {
        if (header_[i] == name) {
            return i;
        }
    }
    return std::nullopt;
}

}  // namespace loa::coverage
