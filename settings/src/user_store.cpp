#include "berth/settings/user_store.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <variant>

#include <spdlog/spdlog.h>

#include "berth/settings/atomic_file.h"
#include "berth/settings/json_text.h"
#include "berth/settings/schema.h"

namespace berth::settings {

namespace {

constexpr std::uintmax_t kMaxUserFileBytes = 1U << 20;
constexpr const char* kVersionKey = "settingsVersion";

Diagnostic problem(Diagnostic::Severity severity, const std::filesystem::path& file, TextPosition at, std::string key,
                   std::string message, std::string fix)
{
    return Diagnostic{severity, file.string(), at.line, at.column, std::move(key), std::move(message), std::move(fix)};
}

}  // namespace

ParsedUserSettings parseUserSettings(std::string_view text, const std::filesystem::path& file)
{
    ParsedUserSettings out;
    auto parsed = parseLocatedJson(text);
    if (auto* failure = std::get_if<JsonTextError>(&parsed)) {
        out.corruption = problem(Diagnostic::Severity::Warning, file, failure->at, "", failure->message, "");
        return out;
    }
    auto& doc = std::get<LocatedJson>(parsed);
    if (!doc.value.is_object()) {
        out.corruption = problem(Diagnostic::Severity::Warning, file, {1, 1}, "", "is not a JSON object", "");
        return out;
    }
    out.document = std::move(doc.value);
    for (const auto& [key, value] : out.document.items()) {
        const SettingSpec* spec = findSpec(key);
        if (spec == nullptr) { continue; }  // a newer Berth's key, or the version: kept as is
        if (auto error = typeError(*spec, value)) {
            out.problems.push_back(problem(Diagnostic::Severity::Warning, file, doc.positionOf(pointerChild("", key)),
                                           key, "\"" + key + "\" is ignored: " + *error,
                                           "set it again with `berthctl settings set " + key + "=...`"));
            continue;
        }
        out.values.emplace(key, value);
    }
    return out;
}

std::filesystem::path asideName(const std::filesystem::path& file, std::string_view suffix)
{
    const std::string base = file.string() + "." + std::string(suffix) + "-" + fileTimestamp();
    std::filesystem::path candidate = base;
    std::error_code ec;
    for (int n = 1; std::filesystem::exists(candidate, ec); ++n) { candidate = base + "-" + std::to_string(n); }
    return candidate;
}

UserStore::UserStore(std::filesystem::path file) : m_file(std::move(file))
{}

Diagnostics UserStore::load()
{
    Diagnostics out;
    m_document = nlohmann::json::object();
    m_values.clear();
    m_unsafeToWrite = false;
    removeStaleTemporaryFiles(m_file);

    std::error_code ec;
    if (!std::filesystem::exists(m_file, ec)) { return out; }
    const auto size = std::filesystem::file_size(m_file, ec);
    std::string text;
    std::optional<Diagnostic> corruption;
    if (ec) {
        m_unsafeToWrite = true;
        out.push_back(problem(Diagnostic::Severity::Error, m_file, {}, "", "cannot read the file: " + ec.message(),
                              "check its permissions; your settings are untouched"));
        return out;
    }
    if (size > kMaxUserFileBytes) {
        corruption = problem(Diagnostic::Severity::Warning, m_file, {}, "",
                             "is larger than 1 MiB (" + std::to_string(size) + " bytes)", "");
    } else {
        std::ifstream in(m_file, std::ios::binary);
        std::ostringstream buffer;
        buffer << in.rdbuf();
        if (!in.good() && !in.eof()) {
            m_unsafeToWrite = true;
            out.push_back(problem(Diagnostic::Severity::Error, m_file, {}, "", "cannot read the file",
                                  "check its permissions; your settings are untouched"));
            return out;
        }
        text = buffer.str();
        ParsedUserSettings parsed = parseUserSettings(text, m_file);
        corruption = std::move(parsed.corruption);
        m_document = std::move(parsed.document);
        m_values = std::move(parsed.values);
        out = std::move(parsed.problems);
    }

    if (corruption) {
        // Keep the damaged file for the user to inspect; never overwrite it.
        const auto aside = asideName(m_file, "corrupt");
        std::filesystem::rename(m_file, aside, ec);
        m_unsafeToWrite = static_cast<bool>(ec);
        corruption->message = "settings could not be read (" + corruption->message + ")";
        corruption->fix = ec ? "it could not be moved aside (" + ec.message() + "); defaults are used for now"
                             : "the file was kept as " + aside.string() + " and defaults are used";
        spdlog::warn("{}", corruption->format());
        out.push_back(*corruption);
        m_document = nlohmann::json::object();
        m_values.clear();
    }
    return out;
}

std::optional<nlohmann::json> UserStore::value(std::string_view key) const
{
    const auto it = m_values.find(key);
    if (it == m_values.end()) { return std::nullopt; }
    return it->second;
}

void UserStore::set(const std::string& key, const nlohmann::json& value)
{
    m_values[key] = value;
    m_document[key] = value;
}

std::optional<Diagnostic> UserStore::save(const std::function<void()>& beforeRename)
{
    if (m_unsafeToWrite) {
        return problem(Diagnostic::Severity::Error, m_file, {}, "", "not saved: the existing file could not be read",
                       "fix its permissions or move it away; it was left as it is");
    }
    std::error_code ec;
    const auto dir = m_file.parent_path();
    if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            return problem(Diagnostic::Severity::Error, dir, {}, "", "cannot create the directory: " + ec.message(),
                           "");
        }
        ::chmod(dir.c_str(), 0700);
    }
    m_document[kVersionKey] = kVersion;
    const std::string error = writeFileAtomically(m_file, m_document.dump(2) + "\n", 0600, beforeRename);
    if (!error.empty()) {
        return problem(Diagnostic::Severity::Error, m_file, {}, "", error, "your previous settings file is unchanged");
    }
    return std::nullopt;
}

std::optional<Diagnostic> UserStore::reset(std::string& backup)
{
    std::error_code ec;
    if (std::filesystem::exists(m_file, ec)) {
        const auto aside = asideName(m_file, "bak");
        std::filesystem::copy_file(m_file, aside, ec);
        if (ec) {
            return problem(Diagnostic::Severity::Error, m_file, {}, "", "cannot back up the file: " + ec.message(),
                           "nothing was reset");
        }
        backup = aside.string();
    }
    m_document = nlohmann::json::object();
    m_values.clear();
    m_unsafeToWrite = false;  // backed up above
    return save();
}

}  // namespace berth::settings
