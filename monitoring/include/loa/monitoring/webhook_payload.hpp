#pragma once

#include "loa/monitoring/alarm.hpp"

#include <string>

namespace loa::monitoring {

// The JSON body sent for a raise or clear event (docs/monitoring.md has its fields):
// {"event":"raised","key":...,"kind":...,"severity":...,"unit":...,"station":...,"zone":...,
//  "text":{"vi":...,"en":...},"since":"...Z","raised_at":"...Z","cleared_at":"...Z"|null}.
std::string webhook_payload(const AlarmEvent& event);

}  // namespace loa::monitoring
