#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace loa::config {

// One [section] of a config file and the keys it may hold. A `repeated` section is an array of
// tables ([[name]]); its entries are read as section "name[0]", "name[1]", ...
struct SectionSchema {
    std::string_view name;
    std::vector<std::string_view> keys;
    bool repeated = false;
};

// Parses a TOML document and reads typed values from it, turning every problem into a
// ConfigError that names the file and the key. The constructor rejects syntax errors and any
// section or key the schema does not list, so a misspelt key never goes unnoticed.
// Not thread-safe; used by one thread while a config is read.
class TomlReader {
public:
    TomlReader(std::string_view toml, std::string origin, std::vector<SectionSchema> schema);

    // The value of `section.key`, or nothing when the key is absent. Throws ConfigError when the
    // value has another type.
    std::optional<std::string> string(std::string_view section, std::string_view key) const;
    std::optional<std::int64_t> integer(std::string_view section, std::string_view key) const;
    std::optional<bool> boolean(std::string_view section, std::string_view key) const;
    // A floating-point number; an integer is accepted too.
    std::optional<double> number(std::string_view section, std::string_view key) const;
    // An array of strings.
    std::optional<std::vector<std::string>> strings(std::string_view section,
                                                    std::string_view key) const;
    // True when `section.key` is present and a string (for keys that take a number or a word).
    bool is_string(std::string_view section, std::string_view key) const;
    // A table of numbers ([section.key] with `name = number` lines), by name. Throws ConfigError
    // naming the entry when a value is not a number.
    std::optional<std::map<std::string, double>> number_table(std::string_view section,
                                                              std::string_view key) const;
    // How many entries a repeated section has (0 when absent).
    std::size_t count(std::string_view section) const;

    // An integer that must lie in [min, max].
    std::optional<std::int64_t> integer_in(std::string_view section, std::string_view key,
                                           std::int64_t min, std::int64_t max) const;
    // A number that must lie in [min, max].
    std::optional<double> number_in(std::string_view section, std::string_view key, double min,
                                    double max) const;

    // Throws ConfigError "<origin>: <section>.<key>: <what>".
    [[noreturn]] void fail(std::string_view section, std::string_view key,
                           std::string_view what) const;

private:
    const toml::node* find(std::string_view section, std::string_view key) const;
    void check_known_keys() const;

    std::string origin_;
    std::vector<SectionSchema> schema_;
    toml::table root_;
};

}  // namespace loa::config
