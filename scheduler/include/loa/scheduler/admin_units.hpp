#pragma once

#include "loa/scheduler/line_error.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace loa::scheduler {

// One administrative unit: a province, district, commune, or any level a reform brings.
struct AdminUnit {
    std::string code;         // official code (General Statistics Office), e.g. "30280"
    std::string parent_code;  // empty for a root (a province)
    std::string level;        // level name: "province", "district", "commune", ...
    std::string unit_type;  // in Vietnamese: "tỉnh", "huyện", "thị xã", "phường", "xã", ...
    std::string name;       // "Mỹ Bình"
    std::string name_with_type;  // "Phường Mỹ Bình"; the name when the source has none

    bool operator==(const AdminUnit&) const = default;
};

// True for a code or station id: 1–64 characters of ASCII letters, digits, '-', '_', '.'.
bool is_valid_code(std::string_view code);

// The tree of administrative units, of any depth (2019: province → district → commune; since
// 1 July 2025: province → commune). Units are kept in pre-order: each unit is followed by its
// whole subtree, so "every unit under X" is the index range [index_of(X), subtree_end(X)).
// Children keep the order in which they were first added.
//
// Not thread-safe: one thread builds it; once built, any number of threads may read it.
class AdminUnitTree {
public:
    static constexpr std::uint32_t kNoParent = UINT32_MAX;

    // Adds `units` to the tree, all or nothing: a unit whose code is already in the tree replaces
    // it (an import is an update). Checks that codes are valid and not repeated within `units`,
    // that every parent_code names a unit (in the tree or in `units`), and that no unit is its
    // own ancestor. Returns every problem found, each naming `lines[i]` for units[i] (or i + 1
    // when `lines` is empty); when there is any, the tree is left unchanged.
    std::vector<LineError> merge(std::vector<AdminUnit> units,
                                 std::span<const std::size_t> lines = {});

    std::size_t size() const { return units_.size(); }
    bool empty() const { return units_.empty(); }

    // All units in pre-order.
    std::span<const AdminUnit> units() const { return units_; }
    const AdminUnit& unit(std::uint32_t index) const { return units_[index]; }
    std::optional<std::uint32_t> index_of(std::string_view code) const;
    const AdminUnit* find(std::string_view code) const;

    // One past the last unit of the subtree rooted at `index`.
    std::uint32_t subtree_end(std::uint32_t index) const { return nodes_[index].subtree_end; }
    std::uint32_t parent_index(std::uint32_t index) const { return nodes_[index].parent; }
    // 0 for a root.
    std::uint32_t depth(std::uint32_t index) const { return nodes_[index].depth; }

    // The unit `code` and every unit under it, in pre-order; empty for an unknown code.
    std::span<const AdminUnit> subtree(std::string_view code) const;
    std::vector<const AdminUnit*> children(std::string_view code) const;
    std::vector<const AdminUnit*> roots() const;
    // True when `code` is `ancestor` or lies under it.
    bool is_within(std::string_view code, std::string_view ancestor) const;
    // How many units have level name `level`.
    std::size_t count_level(std::string_view level) const;

private:
    struct Node {
        std::uint32_t parent = kNoParent;
        std::uint32_t depth = 0;
        std::uint32_t subtree_end = 0;
    };

    // Lays `units` (valid, acyclic) out in pre-order and indexes them.
    void rebuild(std::vector<AdminUnit> units);

    // Lets the index be searched with a string_view, without making a string.
    struct CodeHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };

    std::vector<AdminUnit> units_;
    std::vector<Node> nodes_;
    std::unordered_map<std::string, std::uint32_t, CodeHash, std::equal_to<>> index_;
};

// Reads a unit CSV with the columns code, parent_code, name (required) and level, unit_type,
// name_with_type (optional; other columns are ignored), in any order, and merges it into
// `tree`. Returns every problem found, line by line ("line 17: parent_code 999 is not a known
// unit"); when there is any, `tree` is left unchanged. Units may come in any order (a child
// before its parent).
std::vector<LineError> import_admin_unit_csv(std::string_view csv, AdminUnitTree& tree);

}  // namespace loa::scheduler
