#include "loa/audio/air_check_writer.hpp"

#include "loa/audio/format.hpp"
#include "loa/audio/frame_time.hpp"
#include "loa/common/time_format.hpp"
#include "sndfile_library.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <system_error>

namespace loa::audio {

namespace {

using std::chrono::hours;

// Ogg pages are flushed to the file at least this often (what a kill -9 can lose).
constexpr double kOggPageLatencyMs = 500.0;
// Silence is written in pieces of this many frames.
constexpr std::size_t kSilenceFrames = 4800;

TimePoint hour_of(TimePoint t) {
    return std::chrono::floor<hours>(t);
}

const char* extension(AirCheckFormat format) {
    return format == AirCheckFormat::flac ? ".flac" : ".opus";
}

const char* format_name(AirCheckFormat format) {
    return format == AirCheckFormat::flac ? "flac" : "opus";
}

// The number of frames of a chunk starting at `t` that lie before `limit` (rounded up, as the
// frame times are).
std::size_t frames_before(TimePoint t, TimePoint limit) {
    const std::int64_t ns = (limit - t).count();
    if (ns <= 0) {
        return 0;
    }
    // frames = ceil(ns * 48000 / 1e9) = ceil(ns * 3 / 62500)
    return static_cast<std::size_t>((ns * 3 + 62499) / 62500);
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        if (static_cast<unsigned char>(c) >= 0x20) {
            out += c;
        }
    }
    return out + "\"";
}

}  // namespace

struct AirCheckWriter::OpenFile {
    OpenFile() = default;
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    ~OpenFile() {
        if (sf != nullptr) {
            lib->close(sf);
        }
    }

    const SndfileLibrary* lib = nullptr;
    std::filesystem::path path;
    SNDFILE* sf = nullptr;
    TimePoint first_sample_time{};
    TimePoint hour{};
    std::uint64_t frames = 0;
};

AirCheckWriter::AirCheckWriter(AirCheckOptions options, const IClock& clock)
    : options_{std::move(options)}, clock_{clock}, silence_(kSilenceFrames, 0.0F) {
    if (options_.keep_days < 1) {
        throw std::runtime_error{
            fmt::format("air-check: keep_days must be 1 or more, not {}", options_.keep_days)};
    }
    if (options_.format == AirCheckFormat::opus &&
        (options_.bitrate_kbps < 6 || options_.bitrate_kbps > 256)) {
        throw std::runtime_error{fmt::format(
            "air-check: bitrate_kbps must be between 6 and 256, not {}", options_.bitrate_kbps)};
    }
    if (options_.zone.empty() || options_.zone.find('/') != std::string::npos ||
        options_.zone == "." || options_.zone == "..") {
        throw std::runtime_error{
            fmt::format("air-check: \"{}\" cannot name a directory", options_.zone)};
    }
    auto lib = SndfileLibrary::get();
    if (!lib) {
        throw std::runtime_error{"air-check: " + lib.error().message};
    }
    lib_ = *lib;
    zone_dir_ = options_.dir / options_.zone;
    std::error_code ec;
    std::filesystem::create_directories(zone_dir_, ec);
    if (ec || !std::filesystem::is_directory(zone_dir_)) {
        throw std::runtime_error{fmt::format("air-check: cannot make the directory {}: {}",
                                             zone_dir_.string(),
                                             ec ? ec.message() : "a file is in the way")};
    }
    prune();
}

AirCheckWriter::~AirCheckWriter() {
    if (auto st = close(); !st) {
        spdlog::error("{}", st.message());
    }
}

std::string AirCheckWriter::hour_name(TimePoint t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const auto hour = std::chrono::floor<hours>(t - day).count();
    return fmt::format("{:04}-{:02}-{:02}T{:02}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hour);
}

std::optional<TimePoint> AirCheckWriter::parse_hour_name(std::string_view name) {
    // YYYY-MM-DDTHHZ[-N].(opus|flac)[.json]
    if (name.size() < 14 || name[4] != '-' || name[7] != '-' || name[10] != 'T' ||
        name[13] != 'Z') {
        return std::nullopt;
    }
    const auto number = [&](std::size_t at, std::size_t len) -> std::optional<int> {
        int value = 0;
        const char* first = name.data() + at;
        const auto [end, ec] = std::from_chars(first, first + len, value);
        if (ec != std::errc{} || end != first + len) {
            return std::nullopt;
        }
        return value;
    };
    const auto y = number(0, 4);
    const auto m = number(5, 2);
    const auto d = number(8, 2);
    const auto h = number(11, 2);
    if (!y || !m || !d || !h || *h > 23) {
        return std::nullopt;
    }
    const std::chrono::year_month_day ymd{std::chrono::year{*y},
                                          std::chrono::month{static_cast<unsigned>(*m)},
                                          std::chrono::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    std::string_view rest = name.substr(14);
    if (rest.starts_with('-')) {
        const auto digits = rest.substr(1).find_first_not_of("0123456789");
        if (digits == 0 || digits == std::string_view::npos) {
            return std::nullopt;
        }
        rest = rest.substr(1 + digits);
    }
    if (rest.ends_with(".json")) {
        rest.remove_suffix(5);
    }
    if (rest != ".opus" && rest != ".flac") {
        return std::nullopt;
    }
    return TimePoint{std::chrono::sys_days{ymd}} + hours{*h};
}

std::filesystem::path AirCheckWriter::current_file() const {
    return file_ ? file_->path : std::filesystem::path{};
}

std::size_t AirCheckWriter::prune() {
    const TimePoint cutoff = clock_.now() - std::chrono::days{options_.keep_days};
    std::size_t deleted = 0;
    std::error_code ec;
    std::vector<std::filesystem::path> old;
    for (std::filesystem::directory_iterator it{zone_dir_, ec}, end; !ec && it != end;
         it.increment(ec)) {
        const auto name = it->path().filename().string();
        const auto hour = parse_hour_name(name);
        if (!hour || *hour + hours{1} > cutoff || !it->is_regular_file(ec)) {
            continue;
        }
        if (file_ &&
            (it->path() == file_->path || name == file_->path.filename().string() + ".json")) {
            continue;
        }
        old.push_back(it->path());
    }
    if (ec) {
        spdlog::warn("aircheck: cannot list {}: {}", zone_dir_.string(), ec.message());
    }
    for (const auto& path : old) {
        std::error_code rm;
        if (std::filesystem::remove(path, rm)) {
            ++deleted;
        } else if (rm) {
            spdlog::warn("aircheck: cannot delete {}: {}", path.string(), rm.message());
        }
    }
    if (deleted > 0) {
        spdlog::info("aircheck: zone {}: deleted {} files older than {} days", options_.zone,
                     deleted, options_.keep_days);
    }
    return deleted;
}

Status AirCheckWriter::open(TimePoint first_sample_time) {
    const std::string base = hour_name(first_sample_time);
    const char* ext = extension(options_.format);
    std::filesystem::path path = zone_dir_ / (base + ext);
    for (int n = 2; std::filesystem::exists(path) ||
                    std::filesystem::exists(std::filesystem::path{path} += ".json");
         ++n) {
        path = zone_dir_ / fmt::format("{}-{}{}", base, n, ext);
    }
    SF_INFO info{};
    info.samplerate = kSampleRate;
    info.channels = kChannels;
    info.format = options_.format == AirCheckFormat::flac ? (SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
                                                          : (SF_FORMAT_OGG | SF_FORMAT_OPUS);
    auto file = std::make_unique<OpenFile>();
    file->lib = lib_;
    file->sf = lib_->open(path.c_str(), SFM_WRITE, &info);
    if (file->sf == nullptr) {
        return Error{
            fmt::format("aircheck: cannot create {}: {}", path.string(), lib_->strerror(nullptr))};
    }
    if (options_.format == AirCheckFormat::opus) {
        // libsndfile maps the level linearly onto 256 kbit/s (0) .. 6 kbit/s (1).
        double level = std::clamp((256.0 - options_.bitrate_kbps) / 250.0, 0.0, 1.0);
        lib_->command(file->sf, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level);
        int mode = SF_BITRATE_MODE_VARIABLE;
        lib_->command(file->sf, SFC_SET_BITRATE_MODE, &mode, sizeof mode);
        double latency = kOggPageLatencyMs;
        lib_->command(file->sf, SFC_SET_OGG_PAGE_LATENCY_MS, &latency, sizeof latency);
    } else {
        lib_->command(file->sf, SFC_SET_CLIPPING, nullptr, SF_TRUE);
    }
    file->path = path;
    file->first_sample_time = first_sample_time;
    file->hour = hour_of(first_sample_time);
    file_ = std::move(file);
    ++files_opened_;
    if (auto st = write_sidecar(false); !st) {
        file_.reset();
        std::error_code ec;
        std::filesystem::remove(path, ec);
        return st;
    }
    spdlog::info("aircheck: zone {}: recording to {} from {}", options_.zone, path.string(),
                 format_utc(first_sample_time));
    return Status::success();
}

Status AirCheckWriter::write_sidecar(bool closed) {
    std::filesystem::path json = file_->path;
    json += ".json";
    std::filesystem::path tmp = json;
    tmp += ".tmp";
    std::string text = fmt::format(
        "{{\"zone\": {}, \"format\": \"{}\", \"sample_rate\": {}, \"first_sample_utc_us\": {}, "
        "\"first_sample_utc\": \"{}\"",
        json_string(options_.zone), format_name(options_.format), kSampleRate,
        to_unix_us(file_->first_sample_time), format_utc(file_->first_sample_time));
    if (closed) {
        text += fmt::format(", \"frames\": {}", file_->frames);
    }
    text += "}\n";
    std::FILE* out = std::fopen(tmp.c_str(), "wb");
    bool ok = out != nullptr;
    if (ok) {
        ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
        ok = std::fclose(out) == 0 && ok;
    }
    std::error_code ec;
    if (ok) {
        std::filesystem::rename(tmp, json, ec);
    }
    if (!ok || ec) {
        std::filesystem::remove(tmp, ec);
        return Error{fmt::format("aircheck: cannot write {}", json.string())};
    }
    return Status::success();
}

Status AirCheckWriter::append(std::span<const float> frames) {
    if (frames.empty()) {
        return Status::success();
    }
    const auto n = static_cast<sf_count_t>(frames.size());
    const sf_count_t written = lib_->writef_float(file_->sf, frames.data(), n);
    file_->frames += static_cast<std::uint64_t>(std::max<sf_count_t>(written, 0));
    frames_written_ += static_cast<std::uint64_t>(std::max<sf_count_t>(written, 0));
    if (written != n) {
        return Error{fmt::format("aircheck: cannot write {}: {}", file_->path.string(),
                                 lib_->strerror(file_->sf))};
    }
    return Status::success();
}

Status AirCheckWriter::write_silence(std::size_t frames) {
    padded_frames_ += frames;
    while (frames > 0) {
        const std::size_t n = std::min(frames, silence_.size());
        if (auto st = append(std::span<const float>{silence_}.first(n)); !st) {
            return st;
        }
        frames -= n;
    }
    return Status::success();
}

Status AirCheckWriter::close() {
    if (!file_) {
        return Status::success();
    }
    Status st = write_sidecar(true);
    if (lib_->close(file_->sf) != 0 && st) {
        st = Error{fmt::format("aircheck: cannot finish {}", file_->path.string())};
    }
    file_->sf = nullptr;
    file_.reset();
    return st;
}

Status AirCheckWriter::write(std::span<const float> frames, TimePoint first_frame_time) {
    std::size_t pos = 0;
    while (pos < frames.size()) {
        const TimePoint t = first_frame_time + frames_to_duration(static_cast<std::int64_t>(pos));
        const TimePoint hour = hour_of(t);
        if (failed_until_) {
            if (t < *failed_until_) {
                pos += std::max<std::size_t>(1, frames_before(t, *failed_until_));
                continue;
            }
            failed_until_.reset();
        }
        if (file_ && file_->hour != hour) {
            auto st = close();
            prune();
            if (!st) {
                return st;
            }
        }
        if (file_) {
            const TimePoint expected = file_->first_sample_time +
                                       frames_to_duration(static_cast<std::int64_t>(file_->frames));
            const Duration diff = t - expected;
            if (diff > kTolerance) {
                if (auto st = write_silence(static_cast<std::size_t>(duration_to_frames(diff)));
                    !st) {
                    return st;
                }
            } else if (diff < -kTolerance && diff >= -kMaxTrim) {
                const auto skip = std::min(frames.size() - pos,
                                           static_cast<std::size_t>(duration_to_frames(-diff)));
                trimmed_frames_ += skip;
                pos += skip;
                continue;
            } else if (diff < -kMaxTrim) {
                spdlog::warn(
                    "aircheck: zone {}: the output's time went back {} ms; starting a "
                    "new file",
                    options_.zone,
                    std::chrono::duration_cast<std::chrono::milliseconds>(-diff).count());
                if (auto st = close(); !st) {
                    return st;
                }
            }
        }
        if (!file_) {
            if (auto st = open(t); !st) {
                failed_until_ = hour + hours{1};
                return st;
            }
        }
        const std::size_t end =
            std::clamp(frames_before(first_frame_time, hour + hours{1}), pos + 1, frames.size());
        if (auto st = append(frames.subspan(pos, end - pos)); !st) {
            // A file that cannot be written is given up until the next hour.
            file_.reset();
            failed_until_ = hour + hours{1};
            return st;
        }
        pos = end;
    }
    return Status::success();
}

}  // namespace loa::audio
