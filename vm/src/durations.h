#pragma once

#include <QString>

#include <chrono>

namespace berth::vm {

// "20", "0.25", "1200": seconds for people, in the messages of the controller and the backends.
inline QString secondsText(std::chrono::milliseconds duration)
{
    return QString::number(static_cast<double>(duration.count()) / 1000.0, 'g', 4);
}

}  // namespace berth::vm
