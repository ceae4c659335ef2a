#include "port_audio_session.hpp"

#include <fmt/format.h>

#include <mutex>

namespace loa::audio {

namespace {

std::mutex& session_mutex() {
    static std::mutex m;
    return m;
}

std::weak_ptr<PortAudioSession>& current_session() {
    static std::weak_ptr<PortAudioSession> session;
    return session;
}

}  // namespace

PortAudioSession::~PortAudioSession() {
    const std::lock_guard lock{session_mutex()};
    Pa_Terminate();
}

Result<std::shared_ptr<PortAudioSession>> PortAudioSession::acquire() {
    const std::lock_guard lock{session_mutex()};
    if (auto session = current_session().lock()) {
        return session;
    }
    if (const PaError err = Pa_Initialize(); err != paNoError) {
        return Error{fmt::format("PortAudio: cannot initialise: {}", Pa_GetErrorText(err))};
    }
    auto session = std::make_shared<PortAudioSession>();
    current_session() = session;
    return session;
}

std::string PortAudioSession::host_api_name(PaHostApiIndex index) {
    const PaHostApiInfo* info = Pa_GetHostApiInfo(index);
    return info != nullptr && info->name != nullptr ? info->name : "?";
}

PaHostApiIndex PortAudioSession::find_host_api(const std::string& name,
                                               std::vector<std::string>& names) {
    PaHostApiIndex found = -1;
    for (PaHostApiIndex i = 0; i < Pa_GetHostApiCount(); ++i) {
        names.push_back(host_api_name(i));
        if (names.back() == name) {
            found = i;
        }
    }
    return found;
}

std::vector<std::string> PortAudioSession::devices(bool input) {
    std::vector<std::string> names;
    const PaDeviceIndex count = Pa_GetDeviceCount();
    for (PaDeviceIndex i = 0; i < count; ++i) {
        const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
        if (info != nullptr && (input ? info->maxInputChannels : info->maxOutputChannels) > 0) {
            names.push_back(host_api_name(info->hostApi) + " / " + info->name);
        }
    }
    return names;
}

}  // namespace loa::audio
