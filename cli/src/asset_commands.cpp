#include "commands.hpp"
#include "loa/audio/audio_output.hpp"
#include "loa/audio/format.hpp"
#include "loa/audio/opus_reader.hpp"
#include "loa/audio/portaudio_output.hpp"
#include "loa/cli/table.hpp"
#include "loa/common/digest.hpp"
#include "messages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <system_error>
#include <thread>

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
    if (ext == ".m4a" || ext == ".aac" || ext == ".mp4") {
        return "audio/mp4";
    }
    if (ext == ".amr") {
        return "audio/amr";
    }
    if (ext == ".3gp") {
        return "audio/3gpp";
    }
    return "application/octet-stream";
}

// "-16.0 LUFS" from a number field; "-" when absent or null.
std::string level_text(const nlohmann::json& object, std::string_view key, std::string_view unit) {
    const auto& v = field(object, key);
    if (!v.is_number()) {
        return std::string{text::kNone};
    }
    return fmt::format(fmt::runtime(unit), v.get<double>());
}

Table asset_table() {
    Table table{{std::string{text::kColId}, std::string{text::kColName},
                 std::string{text::kColDuration}, std::string{text::kColLoudness},
                 std::string{text::kColPeak}, std::string{text::kColSize},
                 std::string{text::kColCreated}}};
    for (const std::size_t column : {2, 3, 4, 5}) {
        table.align_right(column);
    }
    return table;
}

void add_asset_row(Table& table, const nlohmann::json& asset, std::string note) {
    table.add_row({field_text(asset, "id"), field_text(asset, "name"),
                   duration_text(field(asset, "duration_ms")),
                   level_text(asset, "loudness_lufs", text::kUnitLufs),
                   level_text(asset, "true_peak_dbtp", text::kUnitDbtp),
                   size_text(field(asset, "size_bytes")), std::move(note)});
}

// What the scheduler said of a new asset's ingest, on the error stream (stdout keeps the table).
void print_ingest(CommandContext& ctx, const nlohmann::json& asset) {
    const auto& ingest = field(asset, "ingest");
    if (ctx.json || !ingest.is_object()) {
        return;
    }
    const auto number = [&](std::string_view key) {
        const auto& v = field(ingest, key);
        return v.is_number() ? v.get<double>() : 0.0;
    };
    const auto lufs = [](const nlohmann::json& object, std::string_view key) {
        const auto& v = field(object, key);
        return v.is_number() ? fmt::format("{:.1f}", v.get<double>()) : std::string{text::kNone};
    };
    ctx.err << fmt::format(text::kIngested, number("seconds"), number("speed"),
                           lufs(ingest, "input_loudness_lufs"), lufs(asset, "loudness_lufs"))
            << '\n';
}

std::string note_of(const ApiAnswer& answer, const CommandContext& ctx) {
    return answer.status == 200 ? std::string{text::kAssetExisting}
                                : field_time(answer.body, "created_at", ctx.zone);
}

// Plays a buffer once, then silence. render() runs on PortAudio's callback thread: it copies and
// bumps an atomic, nothing else.
class BufferSource final : public audio::IRenderSource {
public:
    explicit BufferSource(std::span<const float> pcm) : pcm_{pcm} {}

    void render(std::span<float> out, TimePoint /*first_frame_time*/) noexcept override {
        const std::size_t at = position_.load(std::memory_order_relaxed);
        const std::size_t n = std::min(out.size(), pcm_.size() - std::min(at, pcm_.size()));
        std::copy_n(pcm_.begin() + static_cast<std::ptrdiff_t>(at), n, out.begin());
        std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), 0.0F);
        position_.store(at + n, std::memory_order_release);
    }

    bool done() const { return position_.load(std::memory_order_acquire) >= pcm_.size(); }

private:
    std::span<const float> pcm_;
    std::atomic<std::size_t> position_{0};
};

// Decodes Ogg Opus bytes (through a private temporary file, removed at once).
Result<std::vector<float>> decode_opus(const std::string& bytes) {
    const auto path =
        std::filesystem::temp_directory_path() / ("loa-play-" + random_id() + ".opus");
    {
        std::ofstream out{path, std::ios::binary};
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out) {
            std::error_code ec;
            std::filesystem::remove(path, ec);
            return Error{fmt::format(text::kCannotWrite, path.string(), "write error")};
        }
    }
    auto reader = audio::OpusReader::open(path);
    std::error_code ec;
    std::filesystem::remove(path, ec);  // the reader keeps the file open
    if (!reader) {
        return reader.error();
    }
    std::vector<float> pcm;
    pcm.reserve(static_cast<std::size_t>((*reader)->total_frames()));
    std::vector<float> chunk(audio::frames_for_ms(100));
    while (const std::size_t n = (*reader)->read(chunk)) {
        pcm.insert(pcm.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
    if (!(*reader)->error().empty()) {
        return Error{(*reader)->error()};
    }
    return pcm;
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
        auto bytes = read_file(file);
        if (!bytes) {
            status = fail(ctx, bytes.error().message);
            break;
        }
        const auto name = std::filesystem::path{file}.filename().string();
        if (!ctx.json) {
            ctx.err << fmt::format(text::kIngesting, name, size_text(bytes->size())) << std::endl;
        }
        auto answer =
            ctx.api.post_bytes("/api/v1/assets", {{"name", name}}, *bytes, content_type_of(file));
        if (!answer) {
            // The scheduler names the upload itself ("<name>: not audio: ...").
            const auto& why = answer.error().message;
            status =
                fail(ctx, why.starts_with(name + ": ") ? why
                                                       : fmt::format(text::kFileUpload, file, why));
            break;
        }
        print_ingest(ctx, answer->body);
        add_asset_row(table, answer->body, note_of(*answer, ctx));
        answers.push_back(answer->body);
    }
    if (ctx.json) {
        print_json(ctx, answers);
    } else if (table.row_count() > 0) {
        table.print(ctx.out);
    }
    return status;
}

int asset_tts(CommandContext& ctx, const AssetTtsOptions& options) {
    nlohmann::json body{{"text", options.text}};
    if (!options.voice.empty()) {
        body["voice"] = options.voice;
    }
    if (!options.name.empty()) {
        body["name"] = options.name;
    }
    if (!ctx.json) {
        const auto characters = std::count_if(options.text.begin(), options.text.end(), [](char c) {
            return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;  // UTF-8 lead bytes
        });
        ctx.err << (options.voice.empty() ? fmt::format(text::kSpeakingDefault, characters)
                                          : fmt::format(text::kSpeaking, characters, options.voice))
                << std::endl;
    }
    auto answer = ctx.api.post_json("/api/v1/assets/tts", body);
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    if (ctx.json) {
        print_json(ctx, answer->body);
        return 0;
    }
    print_ingest(ctx, answer->body);
    auto table = asset_table();
    add_asset_row(table, answer->body, note_of(*answer, ctx));
    table.print(ctx.out);
    return 0;
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
        add_asset_row(table, a, field_time(a, "created_at", ctx.zone));
    }
    table.print(ctx.out);
    return 0;
}

int asset_show(CommandContext& ctx, const std::string& id) {
    auto answer = ctx.api.get("/api/v1/assets/" + url_encode(id));
    if (!answer) {
        return fail(ctx, answer.error().message);
    }
    const auto& a = answer->body;
    if (ctx.json) {
        print_json(ctx, a);
        return 0;
    }
    const std::pair<std::string_view, std::string> lines[] = {
        {text::kShowId, field_text(a, "id")},
        {text::kShowName, field_text(a, "name")},
        {text::kShowDuration, duration_text(field(a, "duration_ms"))},
        {text::kShowLoudness, level_text(a, "loudness_lufs", text::kUnitLufs)},
        {text::kShowTruePeak, level_text(a, "true_peak_dbtp", text::kUnitDbtp)},
        {text::kShowSource, field_text(a, "source_format")},
        {text::kShowSize, size_text(field(a, "size_bytes"))},
        {text::kShowCreated, field_time(a, "created_at", ctx.zone)},
    };
    std::size_t width = 0;
    for (const auto& [label, value] : lines) {
        width = std::max(width, label.size());
    }
    for (const auto& [label, value] : lines) {
        ctx.out << fmt::format("{:<{}}  {}\n", std::string{label} + ":", width + 1, value);
    }
    return 0;
}

int asset_play_local(CommandContext& ctx, const std::string& id, const std::string& device) {
    auto asset = ctx.api.get("/api/v1/assets/" + url_encode(id));
    if (!asset) {
        return fail(ctx, asset.error().message);
    }
    auto bytes = ctx.api.get_bytes("/api/v1/assets/" + url_encode(id) + "/audio");
    if (!bytes) {
        return fail(ctx, bytes.error().message);
    }
    auto pcm = decode_opus(*bytes);
    if (!pcm) {
        return fail(ctx, fmt::format(text::kCannotPlay, id, pcm.error().message));
    }
    auto output = audio::PortAudioOutput::open(device, "", SystemClock::instance());
    if (!output) {
        return fail(ctx, fmt::format(text::kCannotPlay, id, output.error().message));
    }
    BufferSource source{*pcm};
    ctx.err << fmt::format(text::kPlaying, field_text(asset->body, "name"),
                           duration_text(field(asset->body, "duration_ms")), (*output)->describe())
            << std::endl;
    if (auto st = (*output)->start(source); !st) {
        return fail(ctx, fmt::format(text::kCannotPlay, id, st.message()));
    }
    // The device plays on its own thread; wait for the last samples and the device's buffer.
    constexpr auto kPoll = std::chrono::milliseconds{50};
    while (!source.done()) {
        std::this_thread::sleep_for(kPoll);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    (*output)->stop();
    ctx.err << text::kPlayed << '\n';
    return 0;
}

}  // namespace loa::cli
