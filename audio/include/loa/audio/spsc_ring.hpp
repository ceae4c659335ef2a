#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <span>

namespace loa::audio {

// A lock-free single-producer/single-consumer ring of float samples. The capacity is fixed at
// construction (the only allocation; left unzeroed, so its pages become resident only as the
// producer first reaches them).
//
// Threads: write() and write_available() from one producer thread; read(), read_add(),
// read_available() from one consumer thread (they are real-time safe: no allocation, lock or
// system call). reset() only while neither side is using the ring (the owner hands the ring
// over through an atomic with release/acquire ordering).
class SpscRing {
public:
    explicit SpscRing(std::size_t capacity);
    SpscRing(const SpscRing&) = delete;
    SpscRing& operator=(const SpscRing&) = delete;

    std::size_t capacity() const noexcept { return capacity_; }

    // --- producer ---
    std::size_t write_available() const noexcept;
    // Appends as many of `in` as fit; returns how many.
    std::size_t write(std::span<const float> in) noexcept;

    // --- consumer ---
    std::size_t read_available() const noexcept;
    // Moves up to out.size() samples into `out`; returns how many.
    std::size_t read(std::span<float> out) noexcept;
    // Like read(), but adds the samples to what `out` holds (for mixing).
    std::size_t read_add(std::span<float> out) noexcept;

    // --- neither side running ---
    void reset() noexcept;

private:
    template <bool kAdd>
    std::size_t consume(std::span<float> out) noexcept;

    std::unique_ptr<float[]> buffer_;
    std::size_t capacity_;
    // Monotonic counts of samples written and read; index = count % capacity.
    alignas(64) std::atomic<std::size_t> written_{0};
    alignas(64) std::atomic<std::size_t> read_{0};
};

}  // namespace loa::audio
