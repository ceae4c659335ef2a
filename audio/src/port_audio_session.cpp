#include "port_audio_session.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

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

Result<PaDeviceIndex> PortAudioSession::find_device(const std::string& device,
                                                    const std::string& host_api, bool input) {
    const char* kind = input ? "input" : "output";
    const auto channels = [input](const PaDeviceInfo* info) {
        return info == nullptr ? 0 : input ? info->maxInputChannels : info->maxOutputChannels;
    };
    const auto listing = [&] {
        const auto names = devices(input);
        return names.empty() ? fmt::format("PortAudio found no {} device", kind)
                             : fmt::format("{} devices: {}", kind, fmt::join(names, ", "));
    };
    PaHostApiIndex api = -1;
    if (!host_api.empty()) {
        std::vector<std::string> apis;
        api = find_host_api(host_api, apis);
        if (api < 0) {
            return Error{fmt::format("PortAudio: no host API \"{}\" (host APIs: {}); {}", host_api,
                                     fmt::join(apis, ", "), listing())};
        }
    }
    PaDeviceIndex index = paNoDevice;
    if (device == "default") {
        const PaHostApiInfo* info = api < 0 ? nullptr : Pa_GetHostApiInfo(api);
        index = info == nullptr ? (input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice())
                : input         ? info->defaultInputDevice
                                : info->defaultOutputDevice;
    } else {
        for (PaDeviceIndex i = 0; i < Pa_GetDeviceCount(); ++i) {
            const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
            if (channels(info) > 0 && device == info->name && (api < 0 || info->hostApi == api)) {
                index = i;
                break;
            }
        }
    }
    if (index == paNoDevice || channels(Pa_GetDeviceInfo(index)) <= 0) {
        return Error{fmt::format("PortAudio: no {} device \"{}\"{}; {}", kind, device,
                                 host_api.empty() ? "" : " on host API \"" + host_api + "\"",
                                 listing())};
    }
    return index;
}

}  // namespace loa::audio
