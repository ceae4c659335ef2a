#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace loa::scheduler {

// A problem with one line of an imported file ("line 17: parent_code 999 is not a known unit").
// `line` counts from 1; a record whose quoted field spans lines is named by its first line.
struct LineError {
    std::size_t line = 0;
    std::string message;

    std::string to_string() const;
    bool operator==(const LineError&) const = default;
};

// Every error on its own line, in order: what an import reports to the operator.
std::string join_errors(const std::vector<LineError>& errors);

}  // namespace loa::scheduler
