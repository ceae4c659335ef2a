#pragma once

#include "loa/common/clock.hpp"
#include "loa/common/time_format.hpp"
#include "loa/protocol/envelope.hpp"
#include "loa/transport/curve_keys.hpp"
#include "loa/transport/sockets.hpp"

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include "loa/test/temp_dir.hpp"

#include <string>
#include <vector>

namespace loa::scheduler::test {

using loa::test_support::TempDir;

// A fixed, known instant for fake clocks: 2026-11-27T00:00:00Z.
TimePoint test_epoch();

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& bytes);
// Names of the regular files in `dir` (none if it does not exist).
std::vector<std::string> files_in(const std::filesystem::path& dir);

// A 16-bit mono WAV of a sine tone, as bytes (libsndfile).
std::string sine_wav(double seconds, int sample_rate = 48000, double frequency = 440.0);

// An agent's end of the link: a real DEALER with CurveZMQ over TCP.
class TestAgent {
public:
    TestAgent(const transport::CurveKeyPair& keys, const std::string& server_public_key,
              const std::string& endpoint);
    ~TestAgent();
    TestAgent(const TestAgent&) = delete;
    TestAgent& operator=(const TestAgent&) = delete;

    // Sends an envelope (blocks until the link is up, at most a few seconds).
    void send(const wire::Envelope& envelope);
    void send_raw(const std::string& bytes);
    // Non-blocking: for a key the scheduler refuses, a send never completes.
    bool try_send_raw(const std::string& bytes);
    // The next message, or nullopt when none came within `timeout`.
    std::optional<wire::Envelope> receive(
        std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});
    // Receives until a message with the body `body_case` arrives, dropping any other; nullopt
    // on timeout.
    std::optional<wire::Envelope> receive_body(
        wire::Envelope::BodyCase body_case,
        std::chrono::milliseconds timeout = std::chrono::milliseconds{5000});
    wire::Envelope envelope();

private:
    zmq::context_t ctx_;
    zmq::socket_t socket_;
    std::uint64_t seq_ = 0;
};

}  // namespace loa::scheduler::test
