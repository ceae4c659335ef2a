#include "toml_reader.hpp"

#include "loa/config/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <utility>

namespace loa::config {
namespace {

// "a string", "an integer": how a TOML type is named in an error.
std::string_view type_name(toml::node_type type) {
    switch (type) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a floating-point number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

// Levenshtein distance, to suggest the key an operator probably meant.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// " (did you mean 'output'?)" when one candidate is close to `name`, else "".
std::string suggestion(std::string_view name, const std::vector<std::string_view>& candidates) {
    std::string_view best;
    std::size_t best_distance = 3;  // further than two edits away is no suggestion
    for (const auto candidate : candidates) {
        const auto d = edit_distance(name, candidate);
        if (d < best_distance) {
            best = candidate;
            best_distance = d;
        }
    }
    return best.empty() ? std::string{} : fmt::format(" (did you mean '{}'?)", best);
}

}  // namespace

TomlReader::TomlReader(std::string_view toml, std::string origin, std::vector<SectionSchema> schema)
    : origin_{std::move(origin)}, schema_{std::move(schema)} {
    try {
        root_ = toml::parse(toml, origin_);
    } catch (const toml::parse_error& e) {
        throw ConfigError{
            fmt::format("{}:{}: {}", origin_, e.source().begin.line, e.description())};
    }
    check_known_keys();
}

void TomlReader::check_known_keys() const {
    std::vector<std::string_view> section_names;
    for (const auto& s : schema_) {
        section_names.push_back(s.name);
    }
    for (const auto& [name, node] : root_) {
        const std::string_view section = name.str();
        const auto schema = std::find_if(schema_.begin(), schema_.end(),
                                         [&](const SectionSchema& s) { return s.name == section; });
        if (schema == schema_.end()) {
            if (node.is_table()) {
                throw ConfigError{fmt::format("{}: unknown section '[{}]'{} (sections: {})",
                                              origin_, section, suggestion(section, section_names),
                                              fmt::join(section_names, ", "))};
            }
            throw ConfigError{
                fmt::format("{}: unknown key '{}': every key belongs in a section (sections: {})",
                            origin_, section, fmt::join(section_names, ", "))};
        }
        std::vector<const toml::table*> tables;
        if (schema->repeated) {
            const auto* array = node.as_array();
            if (array == nullptr || !array->is_array_of_tables()) {
                throw ConfigError{fmt::format("{}: {}: must be an array of tables ([[{}]]), not {}",
                                              origin_, section, section, type_name(node.type()))};
            }
            for (const auto& entry : *array) {
                tables.push_back(entry.as_table());
            }
        } else if (const auto* table = node.as_table()) {
            tables.push_back(table);
        } else {
            throw ConfigError{fmt::format("{}: {}: must be a table ([{}]), not {}", origin_,
                                          section, section, type_name(node.type()))};
        }
        for (std::size_t i = 0; i < tables.size(); ++i) {
            const std::string where =
                schema->repeated ? fmt::format("{}[{}]", section, i) : std::string{section};
            for (const auto& [key_name, value] : *tables[i]) {
                const std::string_view key = key_name.str();
                if (std::find(schema->keys.begin(), schema->keys.end(), key) ==
                    schema->keys.end()) {
                    throw ConfigError{fmt::format(
                        "{}: unknown key '{}.{}'{} (keys in [{}]: {})", origin_, where, key,
                        suggestion(key, schema->keys), section, fmt::join(schema->keys, ", "))};
                }
            }
        }
    }
}

std::size_t TomlReader::count(std::string_view section) const {
    const auto* array = root_.get_as<toml::array>(section);
    return array == nullptr ? 0 : array->size();
}

const toml::node* TomlReader::find(std::string_view section, std::string_view key) const {
    // "name[3]": entry 3 of the repeated section "name".
    const toml::table* table = nullptr;
    const auto bracket = section.find('[');
    if (bracket != std::string_view::npos && section.back() == ']') {
        const auto* array = root_.get_as<toml::array>(section.substr(0, bracket));
        const auto index = section.substr(bracket + 1, section.size() - bracket - 2);
        std::size_t i = 0;
        for (const char c : index) {
            i = i * 10 + static_cast<std::size_t>(c - '0');
        }
        if (array != nullptr && i < array->size()) {
            table = array->get(i)->as_table();
        }
    } else {
        table = root_.get_as<toml::table>(section);
    }
    return table == nullptr ? nullptr : table->get(key);
}

std::optional<std::string> TomlReader::string(std::string_view section,
                                              std::string_view key) const {
    const auto* node = find(section, key);
    if (node == nullptr) {
        return std::nullopt;
    }
    if (const auto* value = node->as_string()) {
        return value->get();
    }
    fail(section, key, fmt::format("must be a string, not {}", type_name(node->type())));
}

std::optional<std::int64_t> TomlReader::integer(std::string_view section,
                                                std::string_view key) const {
    const auto* node = find(section, key);
    if (node == nullptr) {
        return std::nullopt;
    }
    if (const auto* value = node->as_integer()) {
        return value->get();
    }
    fail(section, key, fmt::format("must be an integer, not {}", type_name(node->type())));
}

std::optional<bool> TomlReader::boolean(std::string_view section, std::string_view key) const {
    const auto* node = find(section, key);
    if (node == nullptr) {
        return std::nullopt;
    }
    if (const auto* value = node->as_boolean()) {
        return value->get();
    }
    fail(section, key, fmt::format("must be true or false, not {}", type_name(node->type())));
}

std::optional<double> TomlReader::number(std::string_view section, std::string_view key) const {
    const auto* node = find(section, key);
    if (node == nullptr) {
        return std::nullopt;
    }
    if (const auto* value = node->as_floating_point()) {
        return value->get();
    }
    if (const auto* value = node->as_integer()) {
        return static_cast<double>(value->get());
    }
    fail(section, key, fmt::format("must be a number, not {}", type_name(node->type())));
}

std::optional<std::vector<std::string>> TomlReader::strings(std::string_view section,
                                                            std::string_view key) const {
    const auto* node = find(section, key);
    if (node == nullptr) {
        return std::nullopt;
    }
    const auto* array = node->as_array();
    if (array == nullptr) {
        fail(section, key,
             fmt::format("must be an array of strings, not {}", type_name(node->type())));
    }
    std::vector<std::string> out;
    for (const auto& element : *array) {
        const auto* text = element.as_string();
        if (text == nullptr) {
            fail(section, key,
                 fmt::format("must be an array of strings; element {} is {}", out.size(),
                             type_name(element.type())));
        }
        out.push_back(text->get());
    }
    return out;
}

bool TomlReader::is_string(std::string_view section, std::string_view key) const {
    const auto* node = find(section, key);
    return node != nullptr && node->is_string();
}

std::optional<std::map<std::string, double>> TomlReader::number_table(std::string_view section,
                                                                      std::string_view key) const {
    const auto* node = find(section, key);
    if (node == nullptr) {
        return std::nullopt;
    }
    const auto* table = node->as_table();
    if (table == nullptr) {
        fail(section, key,
             fmt::format("must be a table ([{}.{}]) of numbers, not {}", section, key,
                         type_name(node->type())));
    }
    std::map<std::string, double> out;
    for (const auto& [name, value] : *table) {
        if (const auto* f = value.as_floating_point()) {
            out.emplace(std::string{name.str()}, f->get());
        } else if (const auto* i = value.as_integer()) {
            out.emplace(std::string{name.str()}, static_cast<double>(i->get()));
        } else {
            fail(section, fmt::format("{}.{}", key, name.str()),
                 fmt::format("must be a number, not {}", type_name(value.type())));
        }
    }
    return out;
}

std::optional<double> TomlReader::number_in(std::string_view section, std::string_view key,
                                            double min, double max) const {
    const auto value = number(section, key);
    if (value && !(*value >= min && *value <= max)) {
        fail(section, key, fmt::format("must be between {} and {}, not {}", min, max, *value));
    }
    return value;
}

std::optional<std::int64_t> TomlReader::integer_in(std::string_view section, std::string_view key,
                                                   std::int64_t min, std::int64_t max) const {
    const auto value = integer(section, key);
    if (value && (*value < min || *value > max)) {
        fail(section, key, fmt::format("must be between {} and {}, not {}", min, max, *value));
    }
    return value;
}

void TomlReader::fail(std::string_view section, std::string_view key, std::string_view what) const {
    throw ConfigError{fmt::format("{}: {}.{}: {}", origin_, section, key, what)};
}

}  // namespace loa::config
