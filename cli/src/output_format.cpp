#include "commands.hpp"
#include "loa/common/time_format.hpp"
#include "messages.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>

namespace loa::cli {

int fail(CommandContext& ctx, std::string_view message) {
    ctx.err << text::kErrorPrefix << message << '\n';
    return 1;
}

void print_json(CommandContext& ctx, const nlohmann::json& value) {
    ctx.out << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

const nlohmann::json& field(const nlohmann::json& object, std::string_view key) {
    static const nlohmann::json null;
    if (!object.is_object()) {
        return null;
    }
    const auto it = object.find(key);
    return it == object.end() ? null : *it;
}

std::string field_text(const nlohmann::json& object, std::string_view key) {
    const auto& value = field(object, key);
    if (value.is_null()) {
        return std::string{text::kNone};
    }
    if (value.is_string()) {
        return value.get<std::string>();
    }
    if (value.is_boolean()) {
        return std::string{value.get<bool>() ? text::kYes : text::kNo};
    }
    return value.dump();
}

std::string field_time(const nlohmann::json& object, std::string_view key, std::string_view zone,
                       bool milliseconds) {
    auto raw = field_text(object, key);
    if (raw == text::kNone) {
        return raw;
    }
    const auto t = parse_time(raw, "UTC");
    return t ? format_local(*t, zone, milliseconds) : raw;
}

std::string duration_text(const nlohmann::json& milliseconds) {
    if (!milliseconds.is_number()) {
        return std::string{text::kNone};
    }
    const auto ms = milliseconds.get<std::int64_t>();
    if (ms < 0) {
        return std::string{text::kNone};
    }
    const auto tenths = (ms + 50) / 100;
    const auto seconds = tenths / 10;
    if (seconds >= 3600) {
        return fmt::format("{}:{:02}:{:02}.{}", seconds / 3600, seconds / 60 % 60, seconds % 60,
                           tenths % 10);
    }
    return fmt::format("{}:{:02}.{}", seconds / 60, seconds % 60, tenths % 10);
}

std::string size_text(const nlohmann::json& bytes) {
    if (!bytes.is_number()) {
        return std::string{text::kNone};
    }
    const auto n = bytes.get<double>();
    if (n < 1000) {
        return fmt::format("{} B", bytes.get<std::int64_t>());
    }
    if (n < 1e6) {
        return fmt::format("{:.1f} kB", n / 1e3);
    }
    if (n < 1e9) {
        return fmt::format("{:.1f} MB", n / 1e6);
    }
    return fmt::format("{:.1f} GB", n / 1e9);
}

std::string short_id(std::string_view id) {
    constexpr std::size_t kShown = 12;
    return std::string{id.size() > kShown ? id.substr(0, kShown) : id};
}

Result<std::string> read_file(const std::string& file) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
        return Error{fmt::format(text::kCannotRead, file, std::generic_category().message(EISDIR))};
    }
    const auto error = [&](int code) {
        return Error{fmt::format(text::kCannotRead, file,
                                 std::generic_category().message(code != 0 ? code : EIO))};
    };
    errno = 0;
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> in{std::fopen(file.c_str(), "rb"),
                                                             &std::fclose};
    if (!in) {
        return error(errno);
    }
    std::string bytes;
    std::array<char, 65536> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), in.get())) > 0) {
        bytes.append(buffer.data(), n);
    }
    if (std::ferror(in.get()) != 0) {
        return error(errno);
    }
    return bytes;
}

int print_list(CommandContext& ctx, const Result<ApiAnswer>& answer, std::string_view empty,
               const std::function<void(const nlohmann::json&)>& table) {
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    const auto& list = answer->body;
    if (ctx.json) {
        print_json(ctx, list);
        return 0;
    }
    if (!list.is_array()) {
        return fail(ctx, fmt::format(text::kUnexpectedAnswer, list.dump()));
    }
    if (list.empty()) {
        ctx.out << empty << '\n';
        return 0;
    }
    table(list);
    return 0;
}

std::string field_list(const nlohmann::json& object, std::string_view key) {
    const auto& list = field(object, key);
    std::string out;
    if (list.is_array()) {
        for (const auto& v : list) {
            if (!out.empty()) {
                out += ',';
            }
            out += v.is_string() ? v.get<std::string>() : v.dump();
        }
    }
    return out.empty() ? std::string{text::kNone} : out;
}

}  // namespace loa::cli
