#include "loa/cli/table.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace loa::cli {
namespace {

bool is_zero_width(std::uint32_t cp) {
    return (cp >= 0x0300 && cp <= 0x036F) ||  // combining diacritical marks (Vietnamese tones)
           (cp >= 0x1AB0 && cp <= 0x1AFF) || (cp >= 0x1DC0 && cp <= 0x1DFF) ||
           (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE20 && cp <= 0xFE2F) ||
           (cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF;
}

// Replaces control characters (which would break a row) by spaces.
std::string clean(std::string cell) {
    for (char& c : cell) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            c = ' ';
        }
    }
    return cell;
}

}  // namespace

std::size_t display_width(std::string_view text) {
    std::size_t width = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 1;
        std::uint32_t cp = lead;
        if (lead >= 0xF0 && lead < 0xF8) {
            length = 4;
            cp = lead & 0x07U;
        } else if (lead >= 0xE0) {
            length = lead < 0xF0 ? 3 : 1;
            cp = lead & 0x0FU;
        } else if (lead >= 0xC0) {
            length = 2;
            cp = lead & 0x1FU;
        }
        if (length > 1) {
            bool well_formed = i + length <= text.size();
            for (std::size_t k = 1; well_formed && k < length; ++k) {
                const auto next = static_cast<unsigned char>(text[i + k]);
                well_formed = (next & 0xC0U) == 0x80U;
                cp = (cp << 6U) | (next & 0x3FU);
            }
            if (!well_formed) {
                length = 1;
                cp = lead;
            }
        }
        if (length == 1 || !is_zero_width(cp)) {
            ++width;
        }
        i += length;
    }
    return width;
}

Table::Table(std::vector<std::string> headers)
    : headers_{std::move(headers)}, right_(headers_.size(), false) {}

void Table::align_right(std::size_t column) {
    if (column < right_.size()) {
        right_[column] = true;
    }
}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    for (auto& cell : cells) {
        cell = clean(std::move(cell));
    }
    rows_.push_back(std::move(cells));
}

void Table::print(std::ostream& out) const {
    std::vector<std::size_t> widths(headers_.size());
    for (std::size_t c = 0; c < headers_.size(); ++c) {
        widths[c] = display_width(headers_[c]);
        for (const auto& row : rows_) {
            widths[c] = std::max(widths[c], display_width(row[c]));
        }
    }
    const auto print_row = [&](const std::vector<std::string>& row) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            const std::string pad(widths[c] - display_width(row[c]), ' ');
            if (c > 0) {
                line += "  ";
            }
            line += right_[c] ? pad + row[c] : row[c] + pad;
        }
        line.erase(line.find_last_not_of(' ') + 1);
        out << line << '\n';
    };
    print_row(headers_);
    for (const auto& row : rows_) {
        print_row(row);
    }
}

}  // namespace loa::cli
