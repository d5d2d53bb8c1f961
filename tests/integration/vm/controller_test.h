#pragma once

// What the QEMU and libvirt integration tests share: the test guest, an EngineController made on
// first use with its results and progress collected, and running one request to completion.

#include "berth/contracts/guest_config.h"
#include "berth/contracts/names.h"
#include "berth/vm/engine_controller.h"

#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace berth::vm::itest {

constexpr int kBootMs = 60'000;  // TCG boots the test guest in a few seconds; leave room for a busy host

inline QString guestFile(const char* name)
{
    return qEnvironmentVariable("BERTH_TEST_GUEST_DIR") + "/" + name;
}

// A guest config as the host makes it, told apart from others by an engine label.
inline nlohmann::json guestConfig(const std::string& label, bool eci = false)
{
    contracts::GuestConfig config;
    config.eci.enabled = eci;
    config.dockerDaemonOptions = {{"labels", {label}}};
    return contracts::toJson(config);
}

// The kernel command line with the test guest's hooks (guest/testguest/README.md), e.g. "failBoot".
inline QString withTestHooks(const QString& hooks)
{
    return kDefaultKernelCmdline
        + QStringLiteral(" %1=%2").arg(QLatin1String(contracts::kTestHooksKernelParameter), hooks);
}

inline void report(const char* what, qint64 ms)
{
    std::printf("[ timing   ] %s: %lld ms\n", what, static_cast<long long>(ms));
    std::fflush(stdout);
}

class ControllerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!QFile::exists(guestFile("vmlinux")) || !QFile::exists(guestFile("initramfs.img"))) {
            GTEST_FAIL() << "test guest not found in " << qPrintable(qEnvironmentVariable("BERTH_TEST_GUEST_DIR"))
                         << " (build the berth_test_guest target)";
        }
        ASSERT_TRUE(m_tmp.isValid());
        m_options.instanceDir = m_tmp.filePath("instance");
        m_options.kernel = guestFile("vmlinux");
        m_options.initrd = guestFile("initramfs.img");
        m_options.kvmDevice = qEnvironmentVariable("BERTH_TEST_KVM_DEVICE", "/dev/kvm");
        m_options.timeouts.bootToReady = std::chrono::milliseconds(kBootMs);
        // One KVM probe for the whole run, as one per host boot in real use.
        static QTemporaryDir sharedCache;
        m_options.acceleratorCacheFile = sharedCache.filePath("accelerator.json");
    }

    // The controller under test, made from `options` on first use (so a test can change them).
    virtual std::unique_ptr<EngineController> makeController() { return std::make_unique<EngineController>(m_options); }

    EngineController& controller()
    {
        if (!m_controller) {
            m_controller = makeController();
            QObject::connect(m_controller.get(), &EngineController::operationFinished,
                             [this](EngineOperation, bool ok, const QString& message) {
                                 m_results.push_back({ok, message});
                             });
            QObject::connect(m_controller.get(), &EngineController::progress, [this](const QString& text) {
                m_progress << text;
                // In the log too: what a slow or failed operation was waiting for.
                std::printf("[ progress ] %s\n", qPrintable(text.section(QLatin1Char('\n'), 0, 0)));
                std::fflush(stdout);
            });
        }
        return *m_controller;
    }

    // Runs one request to completion; returns how long it took.
    qint64 run(const std::function<void()>& request, bool expectOk = true, int timeoutMs = kBootMs)
    {
        const size_t before = m_results.size();
        QElapsedTimer clock;
        clock.start();
        request();
        EXPECT_TRUE(QTest::qWaitFor([&] { return m_results.size() > before; }, timeoutMs))
            << "operation did not finish";
        if (m_results.size() > before) {
            EXPECT_EQ(m_results.back().first, expectOk) << m_results.back().second.toStdString();
        }
        return clock.elapsed();
    }

    // What the engine host would plan, with this guest config.
    LaunchPlan plan(const nlohmann::json& guestConfig) const
    {
        LaunchPlan planned = m_plan;
        planned.guestConfig = QByteArray::fromStdString(guestConfig.dump());
        return planned;
    }

    nlohmann::json reportedConfig()
    {
        return nlohmann::json::parse(controller().guestReportedConfig().toStdString(), nullptr, false);
    }

    QTemporaryDir m_tmp;
    EngineOptions m_options;
    LaunchPlan m_plan = planFor({}, {1, 256, 0});  // plan() adds the guest config
    std::unique_ptr<EngineController> m_controller;
    std::vector<std::pair<bool, QString>> m_results;
    QStringList m_progress;
};

}  // namespace berth::vm::itest
