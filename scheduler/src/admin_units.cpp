#include "loa/scheduler/admin_units.hpp"

#include "csv_reader.hpp"

#include <algorithm>
#include <unordered_set>

namespace loa::scheduler {

bool is_valid_code(std::string_view code) {
    if (code.empty() || code.size() > 64) {
        return false;
    }
    return std::all_of(code.begin(), code.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '-' || c == '_' || c == '.';
    });
}

std::vector<LineError> AdminUnitTree::merge(std::vector<AdminUnit> units,
                                            std::span<const std::size_t> lines) {
    auto line_of = [&](std::size_t i) { return i < lines.size() ? lines[i] : i + 1; };
    std::vector<LineError> errors;
    std::vector<bool> usable(units.size(), true);
    std::unordered_set<std::string> rejected;  // codes of units with their own problems
    std::unordered_map<std::string, std::size_t> first;

    for (std::size_t i = 0; i < units.size(); ++i) {
        auto& u = units[i];
        const std::size_t line = line_of(i);
        if (!is_valid_code(u.code)) {
            errors.push_back({line, u.code.empty() ? "code is empty"
                                                   : "code '" + u.code +
                                                         "' is not 1-64 letters, digits, '-', "
                                                         "'_' or '.'"});
            usable[i] = false;
            continue;
        }
        if (const auto [it, inserted] = first.emplace(u.code, i); !inserted) {
            errors.push_back({line, "code " + u.code + " is already on line " +
                                        std::to_string(line_of(it->second))});
            usable[i] = false;
            continue;
        }
        if (!u.parent_code.empty() && !is_valid_code(u.parent_code)) {
            errors.push_back({line, "parent_code '" + u.parent_code + "' is not a valid code"});
            usable[i] = false;
        } else if (u.parent_code == u.code) {
            errors.push_back({line, "unit " + u.code + " is its own parent"});
            usable[i] = false;
        }
        if (u.name.empty()) {
            errors.push_back({line, "name is empty"});
            usable[i] = false;
        }
        if (!usable[i]) {
            rejected.insert(u.code);
        }
        if (u.name_with_type.empty()) {
            u.name_with_type = u.name;
        }
    }

    // The tree as it would be: the current units, replaced or extended by the new ones.
    std::vector<AdminUnit> combined = units_;
    std::unordered_map<std::string, std::uint32_t> at;
    at.reserve(combined.size() + units.size());
    for (std::uint32_t i = 0; i < combined.size(); ++i) {
        at.emplace(combined[i].code, i);
    }
    std::vector<std::size_t> source(combined.size(), SIZE_MAX);  // index into `units`
    for (std::size_t i = 0; i < units.size(); ++i) {
        if (!usable[i]) {
            continue;
        }
        if (const auto it = at.find(units[i].code); it != at.end()) {
            combined[it->second] = units[i];
            source[it->second] = i;
        } else {
            at.emplace(units[i].code, static_cast<std::uint32_t>(combined.size()));
            combined.push_back(units[i]);
            source.push_back(i);
        }
    }

    std::vector<std::uint32_t> parent(combined.size(), kNoParent);
    for (std::uint32_t i = 0; i < combined.size(); ++i) {
        const auto& pc = combined[i].parent_code;
        if (pc.empty()) {
            continue;
        }
        if (const auto it = at.find(pc); it != at.end()) {
            parent[i] = it->second;
        } else if (source[i] != SIZE_MAX && !rejected.contains(pc)) {
            errors.push_back({line_of(source[i]), "parent_code " + pc + " is not a known unit"});
        }
    }

    // Cycles: follow parents; 0 = not seen, 1 = on the current path, 2 = leads to a root.
    std::vector<std::uint8_t> state(combined.size(), 0);
    std::vector<std::uint32_t> path;
    for (std::uint32_t start = 0; start < combined.size(); ++start) {
        path.clear();
        std::uint32_t i = start;
        while (i != kNoParent && state[i] == 0) {
            state[i] = 1;
            path.push_back(i);
            i = parent[i];
        }
        if (i != kNoParent && state[i] == 1) {
            // `i` is on the path: the part of the path from `i` on is a cycle.
            const auto from = std::find(path.begin(), path.end(), i);
            std::string chain;
            for (auto it = from; it != path.end(); ++it) {
                chain += combined[*it].code + " → ";
            }
            chain += combined[i].code;
            std::size_t line = SIZE_MAX;
            for (auto it = from; it != path.end(); ++it) {
                if (source[*it] != SIZE_MAX) {
                    line = std::min(line, line_of(source[*it]));
                }
            }
            errors.push_back({line == SIZE_MAX ? 0 : line,
                              "unit " + combined[i].code + " is its own ancestor (" + chain + ")"});
        }
        for (const auto p : path) {
            state[p] = 2;
        }
    }

    if (!errors.empty()) {
        std::stable_sort(errors.begin(), errors.end(),
                         [](const LineError& a, const LineError& b) { return a.line < b.line; });
        return errors;
    }
    rebuild(std::move(combined));
    return {};
}

void AdminUnitTree::rebuild(std::vector<AdminUnit> units) {
    const auto n = static_cast<std::uint32_t>(units.size());
    std::unordered_map<std::string_view, std::uint32_t> at;
    at.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        at.emplace(units[i].code, i);
    }
    // Children lists in input order, as offsets into one array.
    std::vector<std::uint32_t> parent(n, kNoParent);
    std::vector<std::uint32_t> child_count(n + 1, 0);
    std::vector<std::uint32_t> roots;
    for (std::uint32_t i = 0; i < n; ++i) {
        if (units[i].parent_code.empty()) {
            roots.push_back(i);
        } else {
            parent[i] = at.at(units[i].parent_code);
            ++child_count[parent[i] + 1];
        }
    }
    for (std::uint32_t i = 0; i < n; ++i) {
        child_count[i + 1] += child_count[i];
    }
    std::vector<std::uint32_t> children(child_count[n]);
    std::vector<std::uint32_t> fill(child_count.begin(), child_count.end() - 1);
    for (std::uint32_t i = 0; i < n; ++i) {
        if (parent[i] != kNoParent) {
            children[fill[parent[i]]++] = i;
        }
    }

    // Iterative depth-first walk: pre-order positions and subtree ends.
    std::vector<std::uint32_t> order;
    order.reserve(n);
    std::vector<std::uint32_t> position(n, 0);
    std::vector<Node> nodes(n);
    struct Frame {
        std::uint32_t unit;
        std::uint32_t next_child;
    };
    std::vector<Frame> stack;
    for (const auto root : roots) {
        stack.push_back({root, child_count[root]});
        position[root] = static_cast<std::uint32_t>(order.size());
        order.push_back(root);
        while (!stack.empty()) {
            auto& top = stack.back();
            if (top.next_child < child_count[top.unit + 1]) {
                const auto c = children[top.next_child++];
                position[c] = static_cast<std::uint32_t>(order.size());
                nodes[position[c]].depth = static_cast<std::uint32_t>(stack.size());
                nodes[position[c]].parent = position[top.unit];
                order.push_back(c);
                stack.push_back({c, child_count[c]});
            } else {
                nodes[position[top.unit]].subtree_end = static_cast<std::uint32_t>(order.size());
                stack.pop_back();
            }
        }
    }

    units_.clear();
    units_.reserve(n);
    for (const auto i : order) {
        units_.push_back(std::move(units[i]));
    }
    nodes_ = std::move(nodes);
    index_.clear();
    index_.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        index_.emplace(units_[i].code, i);
    }
}

std::optional<std::uint32_t> AdminUnitTree::index_of(std::string_view code) const {
    const auto it = index_.find(code);
    if (it == index_.end()) {
        return std::nullopt;
    }
    return it->second;
}

const AdminUnit* AdminUnitTree::find(std::string_view code) const {
    const auto i = index_of(code);
    return i ? &units_[*i] : nullptr;
}

std::span<const AdminUnit> AdminUnitTree::subtree(std::string_view code) const {
    const auto i = index_of(code);
    if (!i) {
        return {};
    }
    return std::span<const AdminUnit>{units_}.subspan(*i, nodes_[*i].subtree_end - *i);
}

std::vector<const AdminUnit*> AdminUnitTree::children(std::string_view code) const {
    std::vector<const AdminUnit*> out;
    const auto i = index_of(code);
    if (!i) {
        return out;
    }
    for (std::uint32_t c = *i + 1; c < nodes_[*i].subtree_end; c = nodes_[c].subtree_end) {
        out.push_back(&units_[c]);
    }
    return out;
}

std::vector<const AdminUnit*> AdminUnitTree::roots() const {
    std::vector<const AdminUnit*> out;
    for (std::uint32_t i = 0; i < units_.size(); i = nodes_[i].subtree_end) {
        out.push_back(&units_[i]);
    }
    return out;
}

bool AdminUnitTree::is_within(std::string_view code, std::string_view ancestor) const {
    const auto i = index_of(code);
    const auto a = index_of(ancestor);
    return i && a && *i >= *a && *i < nodes_[*a].subtree_end;
}

std::size_t AdminUnitTree::count_level(std::string_view level) const {
    return static_cast<std::size_t>(std::count_if(
        units_.begin(), units_.end(), [&](const AdminUnit& u) { return u.level == level; }));
}

std::vector<LineError> import_admin_unit_csv(std::string_view csv, AdminUnitTree& tree) {
    CsvReader reader{csv};
    std::vector<LineError> errors;
    if (!reader.check_header({"code", "parent_code", "name"})) {
        return reader.errors();
    }
    errors = reader.errors();
    const auto code = *reader.column("code");
    const auto parent = *reader.column("parent_code");
    const auto name = *reader.column("name");
    const auto level = reader.column("level");
    const auto unit_type = reader.column("unit_type");
    const auto with_type = reader.column("name_with_type");

    std::vector<AdminUnit> units;
    std::vector<std::size_t> lines;
    units.reserve(reader.records().size());
    lines.reserve(reader.records().size());
    for (const auto& r : reader.records()) {
        AdminUnit u;
        u.code = r.fields[code];
        u.parent_code = r.fields[parent];
        u.name = r.fields[name];
        u.level = level ? r.fields[*level] : std::string{};
        u.unit_type = unit_type ? r.fields[*unit_type] : std::string{};
        u.name_with_type = with_type ? r.fields[*with_type] : std::string{};
        units.push_back(std::move(u));
        lines.push_back(r.line);
    }
    if (!errors.empty()) {
        // Report the tree's problems too, on a copy, so the operator sees them all at once.
        AdminUnitTree scratch = tree;
        auto more = scratch.merge(std::move(units), lines);
        errors.insert(errors.end(), more.begin(), more.end());
        std::stable_sort(errors.begin(), errors.end(),
                         [](const LineError& a, const LineError& b) { return a.line < b.line; });
        return errors;
    }
    return tree.merge(std::move(units), lines);
}

}  // namespace loa::scheduler
