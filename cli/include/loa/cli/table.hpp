#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace loa::cli {

// The number of terminal columns `text` (UTF-8) takes: one per code point, none for combining
// marks, so "Mỹ Bình" is 7 wide whether its accents are precomposed or not. Malformed bytes
// count one each.
std::size_t display_width(std::string_view text);

// A text table with aligned columns, as the commands print them: a header row, then one row per
// record, columns two spaces apart, no trailing spaces. Not thread-safe.
class Table {
public:
    explicit Table(std::vector<std::string> headers);

    // Numbers read better right-aligned.
    void align_right(std::size_t column);

    // A row with as many cells as there are headers (missing cells are empty, extra ones
    // dropped). Control characters in cells become spaces so a row stays one line.
    void add_row(std::vector<std::string> cells);

    std::size_t row_count() const { return rows_.size(); }

    void print(std::ostream& out) const;

private:
    std::vector<std::string> headers_;
    std::vector<bool> right_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace loa::cli
