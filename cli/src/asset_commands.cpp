#include "commands.hpp"
#include "loa/cli/table.hpp"
#include "messages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>

namespace loa::cli {
namespace {

std::string content_type_of(const std::filesystem::path& file) {
    auto ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".wav") {
        return "audio/wav";
    }
    if (ext == ".flac") {
        return "audio/flac";
    }
    if (ext == ".ogg" || ext == ".oga" || ext == ".opus") {
        return "audio/ogg";
    }
    if (ext == ".mp3") {
        return "audio/mpeg";
    }
    return "application/octet-stream";
}

// The bytes of `file`, or why they cannot be read.
Result<std::string> read_bytes(const std::string& file) {
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

Table asset_table() {
    Table table{{std::string{text::kColId}, std::string{text::kColName},
                 std::string{text::kColDuration}, std::string{text::kColSize},
                 std::string{text::kColCreated}}};
    table.align_right(2);
    table.align_right(3);
    return table;
}

}  // namespace

int asset_add(CommandContext& ctx, const std::vector<std::string>& files) {
    // Every file must be readable before anything is sent: a typo uploads nothing.
    for (const auto& file : files) {
        std::error_code ec;
        const bool directory = std::filesystem::is_directory(file, ec);
        errno = 0;
        if (directory || !std::ifstream{file, std::ios::binary}) {
            const int code = directory ? EISDIR : (errno != 0 ? errno : EIO);
            return fail(
                ctx, fmt::format(text::kCannotRead, file, std::generic_category().message(code)));
        }
    }
    auto table = asset_table();
    auto answers = nlohmann::json::array();
    int status = 0;
    for (const auto& file : files) {
        auto bytes = read_bytes(file);
        if (!bytes) {
            status = fail(ctx, bytes.error().message);
            break;
        }
        const auto name = std::filesystem::path{file}.filename().string();
        auto answer =
            ctx.api.post_bytes("/api/v1/assets", {{"name", name}}, *bytes, content_type_of(file));
        if (!answer) {
            status = fail(ctx, fmt::format(text::kFileUpload, file, answer.error().message));
            break;
        }
        const auto& asset = answer->body;
        auto note = answer->status == 200 ? std::string{text::kAssetExisting}
                                          : field_time(asset, "created_at", ctx.zone);
        table.add_row({field_text(asset, "id"), field_text(asset, "name"),
                       duration_text(field(asset, "duration_ms")),
                       size_text(field(asset, "size_bytes")), std::move(note)});
        answers.push_back(asset);
    }
    if (ctx.json) {
        print_json(ctx, answers);
    } else if (table.row_count() > 0) {
        table.print(ctx.out);
    }
    return status;
}

int asset_list(CommandContext& ctx) {
    auto answer = ctx.api.get("/api/v1/assets");
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    const auto& assets = answer->body;
    if (ctx.json) {
        print_json(ctx, assets);
        return 0;
    }
    if (!assets.is_array()) {
        return fail(ctx, fmt::format(text::kUnexpectedAnswer, assets.dump()));
    }
    if (assets.empty()) {
        ctx.out << text::kNoAssets << '\n';
        return 0;
    }
    auto table = asset_table();
    for (const auto& a : assets) {
        table.add_row({field_text(a, "id"), field_text(a, "name"),
                       duration_text(field(a, "duration_ms")), size_text(field(a, "size_bytes")),
                       field_time(a, "created_at", ctx.zone)});
    }
    table.print(ctx.out);
    return 0;
}

}  // namespace loa::cli
