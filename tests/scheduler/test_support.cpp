#include "test_support.hpp"

#include "loa/common/digest.hpp"

#include <sndfile.h>

#include <array>
#include <cmath>
#include <fstream>
#include <numbers>
#include <sstream>
#include <stdexcept>

namespace loa::scheduler::test {

TimePoint test_epoch() {
    return *parse_time("2026-11-27T00:00:00Z");
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in{path, std::ios::binary};
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> files_in(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator{dir, ec}) {
        names.push_back(e.path().filename().string());
    }
    return names;
}

std::string sine_wav(double seconds, int sample_rate, double frequency) {
    TempDir dir;
    const auto path = dir.path() / "tone.wav";
    SF_INFO info{};
    info.samplerate = sample_rate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (f == nullptr) {
        throw std::runtime_error{sf_strerror(nullptr)};
    }
    const auto frames = static_cast<std::size_t>(seconds * sample_rate);
    std::vector<float> samples(frames);
    for (std::size_t i = 0; i < frames; ++i) {
        samples[i] = static_cast<float>(0.5 * std::sin(2.0 * std::numbers::pi * frequency *
                                                       static_cast<double>(i) / sample_rate));
    }
    sf_writef_float(f, samples.data(), static_cast<sf_count_t>(frames));
    sf_close(f);
    return read_file(path);
}

TestAgent::TestAgent(const transport::CurveKeyPair& keys, const std::string& server_public_key,
                     const std::string& endpoint)
    : socket_{transport::make_agent_socket(ctx_, keys, server_public_key, endpoint)} {
    socket_.set(zmq::sockopt::sndtimeo, 5000);
}

TestAgent::~TestAgent() = default;

wire::Envelope TestAgent::envelope() {
    return protocol::make_envelope(++seq_, SystemClock::instance().now());
}

void TestAgent::send(const wire::Envelope& envelope) {
    send_raw(protocol::encode(envelope));
}

void TestAgent::send_raw(const std::string& bytes) {
    if (!socket_.send(zmq::buffer(bytes), zmq::send_flags::none)) {
        throw std::runtime_error{"test agent: send timed out (link not up)"};
    }
}

bool TestAgent::try_send_raw(const std::string& bytes) {
    return socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait).has_value();
}

std::optional<wire::Envelope> TestAgent::receive(std::chrono::milliseconds timeout) {
    std::array<zmq::pollitem_t, 1> items{{{socket_.handle(), 0, ZMQ_POLLIN, 0}}};
    zmq::poll(items, timeout);
    if ((items[0].revents & ZMQ_POLLIN) == 0) {
        return std::nullopt;
    }
    zmq::message_t m;
    if (!socket_.recv(m, zmq::recv_flags::none)) {
        return std::nullopt;
    }
    auto env = protocol::decode(std::span<const std::uint8_t>{m.data<std::uint8_t>(), m.size()});
    if (!env) {
        throw std::runtime_error{"test agent: undecodable message: " + env.error().message};
    }
    return std::move(env).value();
}

std::optional<wire::Envelope> TestAgent::receive_body(wire::Envelope::BodyCase body_case,
                                                      std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return std::nullopt;
        }
        auto env = receive(left);
        if (!env) {
            return std::nullopt;
        }
        if (env->body_case() == body_case) {
            return env;
        }
    }
}

}  // namespace loa::scheduler::test
