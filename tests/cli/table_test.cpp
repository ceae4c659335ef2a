#include "loa/cli/table.hpp"

#include <gtest/gtest.h>

#include <sstream>

using loa::cli::display_width;
using loa::cli::Table;

TEST(DisplayWidth, CountsCharactersNotBytes) {
    EXPECT_EQ(display_width(""), 0U);
    EXPECT_EQ(display_width("30280"), 5U);
    const std::string precomposed = "M\xE1\xBB\xB9 B\xC3\xACnh";  // "Mỹ Bình", NFC
    EXPECT_EQ(precomposed.size(), 10U);
    EXPECT_EQ(display_width(precomposed), 7U);
    // The same name decomposed: y + combining tilde + combining dot below, i + combining grave.
    const std::string decomposed = "My\xCC\x83\xCC\xA3 Bi\xCC\x80nh";
    EXPECT_EQ(display_width(decomposed), 7U);
    EXPECT_EQ(display_width("Đắk Lắk"), 7U);
    EXPECT_EQ(display_width("\xFF\xFE"), 2U);   // malformed bytes count one each
    EXPECT_EQ(display_width("a\xE1\xBB"), 3U);  // truncated sequence
}

TEST(Table, AlignsColumnsByDisplayWidth) {
    Table table{{"ID", "NAME", "N"}};
    table.align_right(2);
    table.add_row({"30280", "Mỹ Bình", "7"});
    table.add_row({"1", "Long Xuyên city", "12"});
    table.add_row({"2", "a\nb"});
    std::ostringstream out;
    table.print(out);
    EXPECT_EQ(out.str(),
              "ID     NAME              N\n"
              "30280  Mỹ Bình           7\n"
              "1      Long Xuyên city  12\n"
              "2      a b\n");
    EXPECT_EQ(table.row_count(), 3U);
}
