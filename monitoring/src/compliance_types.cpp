#include "loa/monitoring/compliance_types.hpp"

namespace loa::monitoring {

std::string_view verdict_name(Verdict v) {
    switch (v) {
        case Verdict::aired:
            return "aired";
        case Verdict::partly_aired:
            return "partly_aired";
        case Verdict::missed:
            return "missed";
        case Verdict::pending:
            return "pending";
    }
    return "unknown";
}

std::string_view reason_name(MissReason r) {
    switch (r) {
        case MissReason::offline:
            return "offline";
        case MissReason::amplifier_fault:
            return "amplifier_fault";
        case MissReason::preempted:
            return "preempted";
        case MissReason::asset_missing:
            return "asset_missing";
        case MissReason::clock_unsynchronised:
            return "clock_unsynchronised";
        case MissReason::dead_air:
            return "dead_air";
        case MissReason::agent_not_running:
            return "agent_not_running";
        case MissReason::no_report:
            return "no_report";
    }
    return "unknown";
}

std::string_view verdict_label(Verdict v, Language language) {
    const bool vi = language == Language::vi;
    switch (v) {
        case Verdict::aired:
            return vi ? "Đã phát" : "Aired";
        case Verdict::partly_aired:
            return vi ? "Phát một phần" : "Partly aired";
        case Verdict::missed:
            return vi ? "Bỏ lỡ" : "Missed";
        case Verdict::pending:
            return vi ? "Chưa có kết quả" : "Pending";
    }
    return "?";
}

std::string_view reason_label(MissReason r, Language language) {
    const bool vi = language == Language::vi;
    switch (r) {
        case MissReason::offline:
            return vi ? "Trạm mất kết nối" : "Station offline";
        case MissReason::amplifier_fault:
            return vi ? "Lỗi bộ khuếch đại" : "Amplifier fault";
        case MissReason::preempted:
            return vi ? "Bị chương trình ưu tiên cao hơn chen ngang" : "Preempted";
        case MissReason::asset_missing:
            return vi ? "Thiếu tệp âm thanh" : "Asset missing";
        case MissReason::clock_unsynchronised:
            return vi ? "Đồng hồ chưa đồng bộ" : "Clock unsynchronised";
        case MissReason::dead_air:
            return vi ? "Mất tiếng (im lặng)" : "Dead air";
        case MissReason::agent_not_running:
            return vi ? "Phần mềm trạm không chạy" : "Agent not running";
        case MissReason::no_report:
            return vi ? "Không có báo cáo" : "No report";
    }
    return "?";
}

}  // namespace loa::monitoring
