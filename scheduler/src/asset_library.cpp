#include "loa/scheduler/asset_library.hpp"

#include "loa/audio/format.hpp"
#include "loa/audio/ingest.hpp"
#include "loa/audio/speech_synthesis.hpp"
#include "loa/common/digest.hpp"
#include "loa/common/logging.hpp"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>
#include <utility>

namespace loa::scheduler {
namespace {

// Long ingests log their progress this often.
constexpr auto kProgressLogInterval = std::chrono::seconds{5};

void remove_quietly(const std::filesystem::path& p) {
    if (p.empty()) {
        return;
    }
    std::error_code ec;
    std::filesystem::remove(p, ec);
}

std::string clock_text(std::uint64_t frames) {
    const std::uint64_t s = frames / audio::kSampleRate;
    return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                     : fmt::format("{}:{:02}", s / 60, s % 60);
}

audio::IngestSettings settings_of(const config::IngestConfig& c, std::string name) {
    audio::IngestSettings s;
    s.loudness.integrated_lufs = c.target_lufs;
    s.loudness.true_peak_dbtp = c.true_peak_dbtp;
    s.codec_headroom_db = c.codec_headroom_db;
    s.max_duration = std::chrono::minutes{c.max_duration_minutes};
    s.bitrate = c.bitrate_kbps * 1000;
    s.complexity = c.complexity;
    s.max_bandwidth_hz = c.bandwidth_hz;
    s.progress_interval = kProgressLogInterval;
    s.on_progress = [name = std::move(name)](const audio::IngestProgress& p) {
        if (p.stage != audio::IngestStage::decode || p.speed <= 0.0) {
            return;
        }
        spdlog::info("ingest '{}': {} of {} decoded ({:.0f}x real time)", name,
                     clock_text(p.frames),
                     p.total_frames > 0 ? clock_text(p.total_frames) : std::string{"?"}, p.speed);
    };
    return s;
}

}  // namespace

AssetLibrary::Pending::Pending(Pending&& other) noexcept
    : temp_{std::exchange(other.temp_, {})},
      id_{std::move(other.id_)},
      size_bytes_{other.size_bytes_},
      duration_ms_{other.duration_ms_},
      source_sha256_{std::move(other.source_sha256_)},
      loudness_lufs_{other.loudness_lufs_},
      true_peak_dbtp_{other.true_peak_dbtp_},
      source_format_{std::move(other.source_format_)},
      figures_{other.figures_} {}

AssetLibrary::Pending& AssetLibrary::Pending::operator=(Pending&& other) noexcept {
    if (this != &other) {
        remove_quietly(temp_);
        temp_ = std::exchange(other.temp_, {});
        id_ = std::move(other.id_);
        size_bytes_ = other.size_bytes_;
        duration_ms_ = other.duration_ms_;
        source_sha256_ = std::move(other.source_sha256_);
        loudness_lufs_ = other.loudness_lufs_;
        true_peak_dbtp_ = other.true_peak_dbtp_;
        source_format_ = std::move(other.source_format_);
        figures_ = other.figures_;
    }
    return *this;
}

AssetLibrary::Pending::~Pending() {
    remove_quietly(temp_);
}

AssetLibrary::AssetLibrary(const std::filesystem::path& state_dir, config::IngestConfig ingest)
    : assets_dir_{state_dir / "assets"}, tmp_dir_{state_dir / "tmp"}, ingest_{std::move(ingest)} {
    std::filesystem::create_directories(assets_dir_);
    std::filesystem::create_directories(tmp_dir_);
    for (const auto& entry : std::filesystem::directory_iterator{tmp_dir_}) {
        std::error_code ec;
        std::filesystem::remove_all(entry.path(), ec);
    }
    if (auto voice = audio::find_voice(ingest_.voice); !voice) {
        throw std::runtime_error{fmt::format("ingest.tts_voice: {}", voice.error().message)};
    }
}

std::filesystem::path AssetLibrary::path_of(const std::string& asset_id) const {
    return assets_dir_ / (asset_id + ".opus");
}

std::string AssetLibrary::source_digest(std::span<const std::uint8_t> bytes) {
    return sha256_hex(bytes);
}

std::string AssetLibrary::speech_digest(std::string_view text, std::string_view voice) {
    const std::string key = fmt::format("espeak-ng\x1f{}\x1f{}", voice, text);
    return sha256_hex(std::span{reinterpret_cast<const std::uint8_t*>(key.data()), key.size()});
}

Result<std::string> AssetLibrary::find_voice(std::string_view voice) const {
    auto found = audio::find_voice(voice.empty() ? std::string_view{ingest_.voice} : voice);
    if (!found) {
        return found.error();
    }
    return found->language;
}

Result<AssetLibrary::Pending> AssetLibrary::finish(Pending pending,
                                                   const audio::IngestReport& report) {
    pending.duration_ms_ = report.duration_ms;
    pending.loudness_lufs_ = report.loudness.after.integrated_lufs;
    pending.true_peak_dbtp_ = report.loudness.after.true_peak_dbtp;
    pending.source_format_ = report.source_format;
    pending.figures_.input_lufs = report.loudness.before.integrated_lufs;
    pending.figures_.input_true_peak_dbtp = report.loudness.before.true_peak_dbtp;
    pending.figures_.gain_db = report.loudness.gain_db;
    pending.figures_.limiter_reduction_db = report.loudness.limiter_reduction_db;
    pending.figures_.seconds = report.total_seconds;
    pending.figures_.speed = report.speed;
    auto digest = sha256_file_hex(pending.temp_);
    if (!digest) {
        return Error{digest.error().message};
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(pending.temp_, ec);
    if (ec) {
        return Error{
            fmt::format("cannot read the size of {}: {}", pending.temp_.string(), ec.message())};
    }
    pending.id_ = std::move(digest).value();
    pending.size_bytes_ = size;
    return pending;
}

Result<AssetLibrary::Pending> AssetLibrary::transcode(std::span<const std::uint8_t> bytes,
                                                      std::string_view name) const {
    const std::string token = random_id();
    const auto upload = tmp_dir_ / fmt::format("upload-{}", token);
    Pending pending;
    pending.temp_ = tmp_dir_ / fmt::format("asset-{}.opus", token);
    pending.source_sha256_ = source_digest(bytes);
    {
        std::ofstream out{upload, std::ios::binary | std::ios::trunc};
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) {
            remove_quietly(upload);
            return Error{fmt::format("cannot store the upload in {}", tmp_dir_.string())};
        }
    }
    std::unique_lock lock{ingest_mutex_};
    auto report =
        audio::ingest_file(upload, pending.temp_, settings_of(ingest_, std::string{name}));
    lock.unlock();
    remove_quietly(upload);
    if (!report) {
        return Error{fmt::format("{}: {}", name, report.error().message)};
    }
    return finish(std::move(pending), *report);
}

Result<AssetLibrary::Pending> AssetLibrary::speak(std::string_view text,
                                                  std::string_view voice) const {
    auto found = audio::find_voice(voice.empty() ? std::string_view{ingest_.voice} : voice);
    if (!found) {
        return Error{found.error().message};
    }
    Pending pending;
    pending.temp_ = tmp_dir_ / fmt::format("asset-{}.opus", random_id());
    pending.source_sha256_ = speech_digest(text, found->language);
    std::unique_lock lock{ingest_mutex_};
    auto report = audio::ingest_speech(text, found->language, pending.temp_,
                                       settings_of(ingest_, "typed notice"));
    lock.unlock();
    if (!report) {
        return Error{report.error().message};
    }
    return finish(std::move(pending), *report);
}

Status AssetLibrary::install(Pending& pending) const {
    const auto target = path_of(pending.id_);
    std::error_code ec;
    std::filesystem::rename(pending.temp_, target, ec);
    if (ec) {
        return Error{fmt::format("cannot move the asset to {}: {}", target.string(), ec.message())};
    }
    pending.temp_.clear();
    return Status::success();
}

void AssetLibrary::remove(const std::string& asset_id) const {
    remove_quietly(path_of(asset_id));
}

}  // namespace loa::scheduler
