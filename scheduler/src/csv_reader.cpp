#include "csv_reader.hpp"

#include <cstdint>

namespace loa::scheduler {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_blank(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<std::uint8_t>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size()) {
            return false;
        }
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<std::uint8_t>(s[i + k]);
            if ((cc & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        const std::uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

}  // namespace

CsvReader::CsvReader(std::string_view text) {
    parse(text);
}

void CsvReader::parse(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) {
        text.remove_prefix(3);
    }
    std::size_t pos = 0;
    std::size_t line = 1;
    bool have_header = false;
    while (pos < text.size()) {
        const std::size_t first_line = line;
        const std::size_t begin = pos;
        std::vector<std::string> fields;
        std::string field;
        bool quoted = false;       // the current field opened with a quote
        bool in_quotes = false;    // inside those quotes now
        bool after_quote = false;  // the closing quote was seen
        std::string problem;
        auto finish_field = [&] {
            fields.push_back(quoted ? std::move(field) : std::string{trim(field)});
            field.clear();
            quoted = false;
            after_quote = false;
        };
        while (true) {
            if (pos >= text.size()) {
                if (in_quotes) {
                    problem = "a quoted field is not closed";
                }
                finish_field();
                break;
            }
            const char c = text[pos++];
            if (in_quotes) {
                if (c == '"' && pos < text.size() && text[pos] == '"') {
                    field += '"';
                    ++pos;
                } else if (c == '"') {
                    in_quotes = false;
                    after_quote = true;
                } else {
                    line += c == '\n' ? 1 : 0;
                    field += c;
                }
            } else if (c == ',') {
                finish_field();
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && pos < text.size() && text[pos] == '\n') {
                    ++pos;
                }
                ++line;
                finish_field();
                break;
            } else if (after_quote) {
                if (!is_blank(c) && problem.empty()) {
                    problem = "text after a closing quote";
                }
            } else if (c == '"' && !quoted && trim(field).empty()) {
                field.clear();
                quoted = true;
                in_quotes = true;
            } else {
                field += c;
            }
        }
        const std::string_view raw = text.substr(begin, pos - begin);
        if (problem.empty() && fields.size() == 1 && fields[0].empty() &&
            raw.find('"') == std::string_view::npos) {
            continue;  // a blank line
        }
        if (!valid_utf8(raw)) {
            problem = "not valid UTF-8";
        }
        if (!problem.empty()) {
            errors_.push_back({first_line, problem});
            have_header = true;
            continue;
        }
        if (!have_header) {
            have_header = true;
            header_ = std::move(fields);
            continue;
        }
        if (!header_.empty() && fields.size() != header_.size()) {
            errors_.push_back({first_line, std::to_string(fields.size()) + " fields, expected " +
                                               std::to_string(header_.size())});
            continue;
        }
        records_.push_back({first_line, std::move(fields)});
    }
}

std::optional<std::size_t> CsvReader::column(std::string_view name) const {
    for (std::size_t i = 0; i < header_.size(); ++i) {
        if (header_[i] == name) {
            return i;
        }
    }
    return std::nullopt;
}

bool CsvReader::check_header(const std::vector<std::string_view>& required) {
    bool ok = true;
    if (header_.empty()) {
        errors_.push_back({1, "the file has no header line"});
        return false;
    }
    for (std::size_t i = 0; i < header_.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (header_[i] == header_[j] && !header_[i].empty()) {
                errors_.push_back({1, "column '" + header_[i] + "' appears twice"});
                ok = false;
            }
        }
    }
    for (const auto name : required) {
        if (!column(name)) {
            errors_.push_back({1, "missing column '" + std::string{name} + "'"});
            ok = false;
        }
    }
    return ok;
}

}  // namespace loa::scheduler
