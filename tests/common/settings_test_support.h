#pragma once

// Helpers shared by the settings tests: files in a private temporary directory and trust rules
// that accept the test user as the "administrator". Plain C++, so that both the GoogleTest
// settings tests and the Qt Test tests of the programs built on the settings can use it.

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "berth/settings/settings.h"
#include "berth/settings/trusted_file.h"

namespace berth::test {

// A fresh directory only the test user can enter (mode 0700), removed with its contents.
class TemporaryDirectory {
public:
    TemporaryDirectory()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "berth-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) != nullptr) { m_path = pattern; }
    }
    ~TemporaryDirectory()
    {
        std::error_code ignored;
        if (!m_path.empty()) { std::filesystem::remove_all(m_path, ignored); }
    }
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

    bool isValid() const { return !m_path.empty(); }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

inline std::filesystem::path testData(const std::string& relative)
{
    const char* root = std::getenv("BERTH_TEST_DATA");
    return std::filesystem::path(root != nullptr ? root : "tests/data") / relative;
}

inline std::string readText(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline void writeText(const std::filesystem::path& path, const std::string& text, mode_t mode = 0644)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    ::chmod(path.c_str(), mode);
}

// The test process plays the administrator: its own files count as trusted.
inline settings::TrustRules ownerIsMe()
{
    settings::TrustRules rules;
    rules.trustedOwner = ::geteuid();
    return rules;
}

// Fresh admin and user file locations under `base` (etc/admin-settings.json,
// home/berth/settings-store.json), neither file present, the test user as administrator.
inline settings::SettingsPaths freshSettingsPaths(const std::filesystem::path& base)
{
    std::filesystem::remove_all(base / "etc");
    std::filesystem::remove_all(base / "home");
    std::filesystem::create_directories(base / "etc");
    settings::SettingsPaths paths;
    paths.adminFile = base / "etc" / "admin-settings.json";
    paths.userFile = base / "home" / "berth" / "settings-store.json";
    paths.adminRules = ownerIsMe();
    return paths;
}

}  // namespace berth::test
