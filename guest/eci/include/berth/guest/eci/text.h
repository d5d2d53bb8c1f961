#pragma once

// Small text helpers the ECI library's parsers share.

#include <string>
#include <string_view>
#include <vector>

namespace berth::guest::eci {

// `text` cut at every `separator`: "a,,b" -> {"a", "", "b"}; "" -> {""}.
std::vector<std::string> split(std::string_view text, char separator);

}  // namespace berth::guest::eci
