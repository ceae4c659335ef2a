#include "loa/audio/clocked_file_sink.hpp"

#include "loa/audio/format.hpp"
#include "loa/audio/frame_time.hpp"

#include <fmt/format.h>
#include <fmt/std.h>
#include <sndfile.h>

#include <pthread.h>

#include <chrono>
#include <fstream>
#include <vector>

namespace loa::audio {

namespace {

// The WAV header is rewritten every this many frames (and at stop), so a reader can open the
// file while it grows.
constexpr std::uint64_t kHeaderUpdateFrames = kSampleRate / 10;

}  // namespace

struct ClockedFileSink::Impl {
    Impl(std::filesystem::path p, const IClock& c, std::size_t frames_per_block)
        : path{std::move(p)}, clock{c}, block_frames{frames_per_block} {}

    void run(std::chrono::steady_clock::time_point steady_start) noexcept;
    void close_file() noexcept;

    std::filesystem::path path;
    const IClock& clock;
    std::size_t block_frames;

    std::thread thread;
    std::atomic<bool> running{false};
    std::atomic<std::uint64_t> frames{0};

    // Set by start() before the thread starts; then owned by the thread until stop() joins it.
    SNDFILE* file = nullptr;
    IRenderSource* source = nullptr;
    TimePoint first_sample_time{};
    std::vector<float> block;
};

void ClockedFileSink::Impl::run(std::chrono::steady_clock::time_point steady_start) noexcept {
    std::uint64_t k = 0;
    std::uint64_t since_header = 0;
    while (running.load(std::memory_order_acquire)) {
        const auto offset = frames_to_duration(static_cast<std::int64_t>(k * block_frames));
        // Absolute deadlines: block k is due at steady_start + k * block duration, so the
        // pacing never drifts however long each block takes.
        std::this_thread::sleep_until(steady_start + offset);
        if (!running.load(std::memory_order_acquire)) {
            break;
        }
        source->render(block, first_sample_time + offset);
        sf_writef_float(file, block.data(), static_cast<sf_count_t>(block.size()));
        frames.fetch_add(block.size(), std::memory_order_relaxed);
        since_header += block.size();
        if (since_header >= kHeaderUpdateFrames) {
            sf_command(file, SFC_UPDATE_HEADER_NOW, nullptr, 0);
            since_header = 0;
        }
        ++k;
    }
}

void ClockedFileSink::Impl::close_file() noexcept {
    if (file != nullptr) {
        sf_close(file);
        file = nullptr;
    }
}

ClockedFileSink::ClockedFileSink(std::filesystem::path path, const IClock& clock,
                                 std::size_t block_frames)
    : impl_{std::make_unique<Impl>(std::move(path), clock,
                                   block_frames == 0 ? std::size_t{480} : block_frames)} {}

ClockedFileSink::~ClockedFileSink() {
    stop();
}

Status ClockedFileSink::start(IRenderSource& source) {
    Impl& d = *impl_;
    if (d.thread.joinable()) {
        return Error{fmt::format("file sink {} is already running", d.path)};
    }
    SF_INFO info{};
    info.samplerate = kSampleRate;
    info.channels = kChannels;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    d.file = sf_open(d.path.c_str(), SFM_WRITE, &info);
    if (d.file == nullptr) {
        return Error{fmt::format("cannot create {}: {}", d.path, sf_strerror(nullptr))};
    }
    sf_command(d.file, SFC_SET_CLIPPING, nullptr, SF_TRUE);
    sf_command(d.file, SFC_UPDATE_HEADER_NOW, nullptr, 0);

    // Microsecond resolution, so the sidecar states the first sample's time exactly.
    d.first_sample_time = std::chrono::time_point_cast<std::chrono::microseconds>(d.clock.now());
    const auto steady_start = std::chrono::steady_clock::now();
    std::filesystem::path sidecar = d.path;
    sidecar += ".json";
    {
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
    d.frames.store(0, std::memory_order_relaxed);
    d.running.store(true, std::memory_order_release);
    d.thread = std::thread{[&d, steady_start] { d.run(steady_start); }};
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

std::string ClockedFileSink::describe() const {
    return "file:" + impl_->path.string();
}

}  // namespace loa::audio
