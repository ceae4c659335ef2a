#include "loa/audio/clocked_file_sink.hpp"

#include "loa/audio/device_timeline.hpp"
#include "loa/audio/format.hpp"
#include "loa/audio/frame_time.hpp"

#include <fmt/format.h>
#include <fmt/std.h>

#include <pthread.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <span>
#include <vector>

namespace loa::audio {

namespace {

// The WAV header is rewritten every this many frames (and at stop), so a reader can open the
// file while it grows.
constexpr std::uint64_t kHeaderUpdateFrames = kSampleRate / 10;

// A 16-bit mono 48 kHz WAV written directly (no libsndfile in the agent: it and the codecs it
// loads cost about 1 MB of RSS): a 44-byte header whose sizes are rewritten as the file grows.
constexpr std::size_t kWavHeaderBytes = 44;

// A play-clock reading whose two surrounding steady readings lie further apart is dropped.
constexpr auto kMaxReadingSpread = std::chrono::microseconds{100};
// Changes of the play clock against the steady clock below this are read noise, not corrections
// (a slew of 0.5 ms/s moves it 5 us per 10 ms block).
constexpr auto kReadNoise = std::chrono::microseconds{2};

void put_u32(unsigned char* at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        at[i] = static_cast<unsigned char>(v >> (8 * i));
    }
}

void put_u16(unsigned char* at, std::uint16_t v) {
    at[0] = static_cast<unsigned char>(v);
    at[1] = static_cast<unsigned char>(v >> 8);
}

// Writes the header for `frames` frames at the start of `file`, then returns to its end.
bool write_wav_header(std::FILE* file, std::uint64_t frames) {
    const std::uint64_t data_bytes = std::min<std::uint64_t>(frames * 2, 0xFFFFFFFFULL - 36);
    unsigned char h[kWavHeaderBytes];
    std::memcpy(h, "RIFF", 4);
    put_u32(h + 4, static_cast<std::uint32_t>(36 + data_bytes));
    std::memcpy(h + 8, "WAVEfmt ", 8);
    put_u32(h + 16, 16);                                         // fmt chunk size
    put_u16(h + 20, 1);                                          // PCM
    put_u16(h + 22, kChannels);                                  // channels
    put_u32(h + 24, kSampleRate);                                // frames per second
    put_u32(h + 28, kSampleRate * kChannels * 2);                // bytes per second
    put_u16(h + 32, static_cast<std::uint16_t>(kChannels * 2));  // bytes per frame
    put_u16(h + 34, 16);                                         // bits per sample
    std::memcpy(h + 36, "data", 4);
    put_u32(h + 40, static_cast<std::uint32_t>(data_bytes));
    const bool ok = std::fseek(file, 0, SEEK_SET) == 0 &&
                    std::fwrite(h, 1, sizeof h, file) == sizeof h &&
                    std::fseek(file, 0, SEEK_END) == 0 && std::fflush(file) == 0;
    return ok;
}

// Float in [-1, 1] to 16-bit little-endian PCM, clipped (scaled by 32768 as libsndfile reads it).
void to_pcm16(std::span<const float> in, std::vector<unsigned char>& out) {
    out.resize(in.size() * 2);
    for (std::size_t i = 0; i < in.size(); ++i) {
        const long v = std::lrint(static_cast<double>(in[i]) * 32768.0);
        const auto s = static_cast<std::int16_t>(std::clamp<long>(v, -32768, 32767));
        put_u16(out.data() + 2 * i, static_cast<std::uint16_t>(s));
    }
}

}  // namespace

struct ClockedFileSink::Impl {
    Impl(std::filesystem::path p, const IClock& play, const IClock& file_c,
         std::size_t frames_per_block)
        : path{std::move(p)},
          play_clock{play},
          file_clock{file_c},
          block_frames{frames_per_block} {}

    void run(std::chrono::steady_clock::time_point steady_start, Duration base) noexcept;
    void close_file() noexcept;
    // How far the play clock has moved beyond the steady clock since first_play_time and
    // `steady_start`, or nothing when the reading was preempted.
    std::optional<Duration> play_apart(std::chrono::steady_clock::time_point steady_start) const;

    std::filesystem::path path;
    const IClock& play_clock;
    const IClock& file_clock;
    std::size_t block_frames;

    std::thread thread;
    std::atomic<bool> running{false};
    std::atomic<std::uint64_t> frames{0};
    std::atomic<std::uint64_t> reanchors{0};

    // Set by start() before the thread starts; then owned by the thread until stop() joins it.
    std::FILE* file = nullptr;
    std::vector<unsigned char> pcm;
    IRenderSource* source = nullptr;
    TimePoint first_sample_time{};  // on file_clock
    TimePoint first_play_time{};    // the same instant on play_clock
    std::vector<float> block;
    DeviceTimeline timeline;
};

void ClockedFileSink::Impl::run(std::chrono::steady_clock::time_point steady_start,
                                Duration base) noexcept {
    std::uint64_t k = 0;
    std::uint64_t since_header = 0;
    Duration shift{};
    while (running.load(std::memory_order_acquire)) {
        const auto offset = frames_to_duration(static_cast<std::int64_t>(k * block_frames));
        // Absolute deadlines: block k is due at steady_start + k * block duration, so the
        // pacing never drifts however long each block takes.
        std::this_thread::sleep_until(steady_start + offset);
        if (!running.load(std::memory_order_acquire)) {
            break;
        }
        // How far the play clock has moved against the steady clock since the first block: read
        // between two steady readings (dropped when the thread was preempted in between), and
        // taken only when it moved by more than read noise, so an uncorrected clock keeps an
        // exact timeline. The base was read by start() (what passed between its clock readings
        // is not a correction; a correction made after it, even before the first block, is).
        if (const auto apart = play_apart(steady_start)) {
            if (std::chrono::abs(*apart - base - shift) > kReadNoise) {
                shift = *apart - base;
            }
        }
        // When this block is heard on the play clock, through the timeline (smooths a slew,
        // re-anchors once on a step).
        const TimePoint reported = first_play_time + offset + shift;
        source->render(block, timeline.next(reported, block.size()));
        reanchors.store(timeline.reanchors(), std::memory_order_relaxed);
        const auto total = frames.fetch_add(block.size(), std::memory_order_relaxed) + block.size();
        if (file == nullptr) {
            ++k;  // a null output: rendered and dropped
            continue;
        }
        to_pcm16(block, pcm);
        std::fwrite(pcm.data(), 1, pcm.size(), file);
        since_header += block.size();
        if (since_header >= kHeaderUpdateFrames) {
            write_wav_header(file, total);
            since_header = 0;
        }
        ++k;
    }
}

std::optional<Duration> ClockedFileSink::Impl::play_apart(
    std::chrono::steady_clock::time_point steady_start) const {
    const auto s1 = std::chrono::steady_clock::now();
    const TimePoint now = play_clock.now();
    const auto s2 = std::chrono::steady_clock::now();
    if (s2 - s1 >= kMaxReadingSpread) {
        return std::nullopt;
    }
    return (now - first_play_time) -
           std::chrono::duration_cast<Duration>(s1 + (s2 - s1) / 2 - steady_start);
}

void ClockedFileSink::Impl::close_file() noexcept {
    if (file != nullptr) {
        write_wav_header(file, frames.load(std::memory_order_relaxed));
        std::fclose(file);
        file = nullptr;
    }
}

ClockedFileSink::ClockedFileSink(std::filesystem::path path, const IClock& clock,
                                 std::size_t block_frames)
    : ClockedFileSink{std::move(path), clock, clock, block_frames} {}

ClockedFileSink::ClockedFileSink(std::filesystem::path path, const IClock& play_clock,
                                 const IClock& file_clock, std::size_t block_frames)
    : impl_{std::make_unique<Impl>(std::move(path), play_clock, file_clock,
                                   block_frames == 0 ? std::size_t{480} : block_frames)} {}

ClockedFileSink::~ClockedFileSink() {
    stop();
}

Status ClockedFileSink::start(IRenderSource& source) {
    Impl& d = *impl_;
    if (d.thread.joinable()) {
        return Error{fmt::format("file sink {} is already running", d.path)};
    }
    d.frames.store(0, std::memory_order_relaxed);
    if (!d.path.empty()) {
        d.file = std::fopen(d.path.c_str(), "wb");
        if (d.file == nullptr) {
            return Error{fmt::format("cannot create {}: {}", d.path, std::strerror(errno))};
        }
        if (!write_wav_header(d.file, 0)) {
            d.close_file();
            return Error{fmt::format("cannot write {}: {}", d.path, std::strerror(errno))};
        }
    }

    // Microsecond resolution, so the sidecar states the first sample's time exactly.
    d.first_sample_time =
        std::chrono::time_point_cast<std::chrono::microseconds>(d.file_clock.now());
    d.first_play_time = &d.play_clock == &d.file_clock
                            ? d.first_sample_time
                            : d.first_sample_time + (d.play_clock.now() - d.file_clock.now());
    const auto steady_start = std::chrono::steady_clock::now();
    std::filesystem::path sidecar = d.path;
    sidecar += ".json";
    if (d.file != nullptr) {
        std::ofstream json{sidecar, std::ios::trunc};
        json << fmt::format("{{\"first_sample_utc_us\": {}, \"sample_rate\": {}}}\n",
                            to_unix_us(d.first_sample_time), kSampleRate);
        json.close();
        if (!json) {
            d.close_file();
            return Error{fmt::format("cannot write {}", sidecar)};
        }
    }

    d.source = &source;
    d.block.assign(d.block_frames, 0.0F);
    d.timeline.reset();
    d.reanchors.store(0, std::memory_order_relaxed);
    d.frames.store(0, std::memory_order_relaxed);
    // The base of the play clock against the steady clock, read now: a clock correction that
    // lands between here and the first block is then followed like any later one.
    std::optional<Duration> base;
    for (int attempt = 0; attempt < 100 && !base; ++attempt) {
        base = d.play_apart(steady_start);
    }
    d.running.store(true, std::memory_order_release);
    d.thread = std::thread{
        [&d, steady_start, base = base.value_or(Duration{})] { d.run(steady_start, base); }};
    // Named here rather than in the thread, so the name is there when start() returns.
    pthread_setname_np(d.thread.native_handle(), "loa-audio-rt");
    return Status::success();
}

void ClockedFileSink::stop() {
    Impl& d = *impl_;
    d.running.store(false, std::memory_order_release);
    if (d.thread.joinable()) {
        d.thread.join();
    }
    d.close_file();
    d.source = nullptr;
}

std::uint64_t ClockedFileSink::frames_rendered() const {
    return impl_->frames.load(std::memory_order_relaxed);
}

std::uint64_t ClockedFileSink::reanchors() const {
    return impl_->reanchors.load(std::memory_order_relaxed);
}

std::string ClockedFileSink::describe() const {
    return impl_->path.empty() ? std::string{"null"} : "file:" + impl_->path.string();
}

}  // namespace loa::audio
