#include "berth/settings/diagnostic.h"

#include <algorithm>

namespace berth::settings {

const char* severityName(Diagnostic::Severity severity)
{
    switch (severity) {
    case Diagnostic::Severity::Error: return "error";
    case Diagnostic::Severity::Warning: return "warning";
    case Diagnostic::Severity::Notice: return "note";
    }
    return "error";
}

std::string Diagnostic::format() const
{
    std::string out;
    if (!file.empty()) {
        out += file;
        if (line > 0) { out += ':' + std::to_string(line) + ':' + std::to_string(column); }
        out += ": ";
    }
    out += severityName(severity);
    out += ": ";
    out += message;
    if (!fix.empty()) {
        out += " (fix: ";
        out += fix;
        out += ')';
    }
    return out;
}

bool hasErrors(const Diagnostics& diagnostics)
{
    return std::any_of(diagnostics.begin(), diagnostics.end(),
                       [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::Error; });
}

}  // namespace berth::settings
