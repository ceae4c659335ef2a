#pragma once

#include "loa/alerting/alert.hpp"

#include <array>
#include <string_view>
#include <utility>

// The CAP 1.2 spelling of every enumerated value, in the order of the standard.
namespace loa::alerting::cap_names {

template <class E, std::size_t N>
using Table = std::array<std::pair<std::string_view, E>, N>;

inline constexpr Table<AlertStatus, 5> kStatus{{{"Actual", AlertStatus::Actual},
                                                {"Exercise", AlertStatus::Exercise},
                                                {"System", AlertStatus::System},
                                                {"Test", AlertStatus::Test},
                                                {"Draft", AlertStatus::Draft}}};

inline constexpr Table<MsgType, 5> kMsgType{{{"Alert", MsgType::Alert},
                                             {"Update", MsgType::Update},
                                             {"Cancel", MsgType::Cancel},
                                             {"Ack", MsgType::Ack},
                                             {"Error", MsgType::Error}}};

inline constexpr Table<Scope, 3> kScope{
    {{"Public", Scope::Public}, {"Restricted", Scope::Restricted}, {"Private", Scope::Private}}};

inline constexpr Table<Category, 12> kCategory{{{"Geo", Category::Geo},
                                                {"Met", Category::Met},
                                                {"Safety", Category::Safety},
                                                {"Security", Category::Security},
                                                {"Rescue", Category::Rescue},
                                                {"Fire", Category::Fire},
                                                {"Health", Category::Health},
                                                {"Env", Category::Env},
                                                {"Transport", Category::Transport},
                                                {"Infra", Category::Infra},
                                                {"CBRNE", Category::CBRNE},
                                                {"Other", Category::Other}}};

inline constexpr Table<ResponseType, 9> kResponseType{{{"Shelter", ResponseType::Shelter},
                                                       {"Evacuate", ResponseType::Evacuate},
                                                       {"Prepare", ResponseType::Prepare},
                                                       {"Execute", ResponseType::Execute},
                                                       {"Avoid", ResponseType::Avoid},
                                                       {"Monitor", ResponseType::Monitor},
                                                       {"Assess", ResponseType::Assess},
                                                       {"AllClear", ResponseType::AllClear},
                                                       {"None", ResponseType::None}}};

inline constexpr Table<Urgency, 5> kUrgency{{{"Immediate", Urgency::Immediate},
                                             {"Expected", Urgency::Expected},
                                             {"Future", Urgency::Future},
                                             {"Past", Urgency::Past},
                                             {"Unknown", Urgency::Unknown}}};

inline constexpr Table<Severity, 5> kSeverity{{{"Extreme", Severity::Extreme},
                                               {"Severe", Severity::Severe},
                                               {"Moderate", Severity::Moderate},
                                               {"Minor", Severity::Minor},
                                               {"Unknown", Severity::Unknown}}};

inline constexpr Table<Certainty, 5> kCertainty{{{"Observed", Certainty::Observed},
                                                 {"Likely", Certainty::Likely},
                                                 {"Possible", Certainty::Possible},
                                                 {"Unlikely", Certainty::Unlikely},
                                                 {"Unknown", Certainty::Unknown}}};

template <class E, std::size_t N>
constexpr std::string_view name_of(const Table<E, N>& table, E value) {
    for (const auto& [name, v] : table) {
        if (v == value) {
            return name;
        }
    }
    return "?";
}

}  // namespace loa::alerting::cap_names
