#pragma once

// A fresh directory under the system's temporary directory for one test, removed with everything
// in it when the test's scope ends.

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace berth::test {

struct TempDir {
    explicit TempDir(const std::string& prefix = "berth-test")
    {
        std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        path = ::mkdtemp(pattern.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string path;
};

}  // namespace berth::test
