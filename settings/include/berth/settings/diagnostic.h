#pragma once

#include <string>
#include <vector>

namespace berth::settings {

// A problem found in a settings file, located precisely enough for an editor to jump to it.
struct Diagnostic {
    enum class Severity { Error, Warning, Notice };

    Severity severity = Severity::Error;
    std::string file;  // path as given; empty for problems not tied to a file
    int line = 0;  // 1-based; 0 when the problem is about the file as a whole
    int column = 0;  // 1-based, in characters
    std::string key;  // setting or JSON path concerned, if any
    std::string message;  // what is wrong
    std::string fix;  // what to do about it, in plain words

    // "file:line:col: error: message (fix: ...)" (the compiler format editors and terminals understand).
    [[nodiscard]] std::string format() const;
};

using Diagnostics = std::vector<Diagnostic>;

[[nodiscard]] bool hasErrors(const Diagnostics& diagnostics);
[[nodiscard]] const char* severityName(Diagnostic::Severity severity);

}  // namespace berth::settings
