#pragma once

// Fakes for the Settings window and dashboard tests: an engine that records what it was asked
// and moves through states when the test says so, containers, and prompts with scripted answers.
// The settings are always the real library, on files in a private temporary directory.

#include <QHash>
#include <QPointer>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <optional>
#include <string>

#include "berth/engine/engine_handle.h"
#include "berth/settings/guest_config.h"
#include "berth/settings/settings.h"
#include "container_log_window.h"
#include "container_source.h"
#include "settings_test_support.h"
#include "user_prompts.h"

namespace berth::test {

class FakeEngine final : public engine::EngineHandle {
public:
    // `paths` lets restart() derive the guest config from the settings files, as the engine host does.
    explicit FakeEngine(settings::SettingsPaths paths) : m_paths(std::move(paths))
    {
        m_status.state = engine::EngineState::Running;
        m_status.accelerator = QStringLiteral("tcg");
        m_status.acceleratorReason = QStringLiteral("/dev/kvm is not usable");
    }

    int starts = 0;
    int stops = 0;
    int forcedStops = 0;
    int restarts = 0;
    QStringList calls;  // "start", "stop", "restart", in order, shared with FakeContainers

    void start() override
    {
        ++starts;
        calls << QStringLiteral("start");
        m_status.busy = true;
        moveTo(engine::EngineState::Starting);
    }
    void stop(bool force) override
    {
        ++stops;
        forcedStops += force ? 1 : 0;
        calls << QStringLiteral("stop");
        m_status.busy = true;
        moveTo(engine::EngineState::Stopping);
    }
    void restart() override
    {
        ++restarts;
        calls << QStringLiteral("restart");
        m_status.busy = true;
        moveTo(engine::EngineState::Stopping);
    }
    engine::EngineStatus status() const override { return m_status; }
    void refresh() override
    {
        ++refreshes;
        emit statusChanged(m_status);
    }
    int refreshes = 0;

    void moveTo(engine::EngineState state, const QString& detail = {})
    {
        m_status.state = state;
        m_status.detail = detail;
        m_status.resourceSaverPaused = false;
        emit statusChanged(m_status);
    }
    // Stopped by the Resource Saver, as berth-engine reports it.
    void pauseByResourceSaver()
    {
        m_status.state = engine::EngineState::Stopped;
        m_status.resourceSaverPaused = true;
        emit statusChanged(m_status);
    }
    // Ends the running operation as the engine host would; a restart boots with the config the
    // settings files now describe.
    void finish(engine::EngineOperation operation, bool ok, const QString& message = {})
    {
        m_status.busy = false;
        if (ok && operation != engine::EngineOperation::Stop) {
            m_status.guestConfig = settings::guestConfig(settings::Settings::load(m_paths));
            moveTo(engine::EngineState::Running);
        } else if (ok) {
            moveTo(engine::EngineState::Stopped);
        } else {
            moveTo(engine::EngineState::Error, message);
        }
        emit operationFinished(operation, ok, message);
    }
    void setStatus(const engine::EngineStatus& status)
    {
        m_status = status;
        emit statusChanged(m_status);
    }

private:
    settings::SettingsPaths m_paths;
    engine::EngineStatus m_status;
};

class FakeContainers final : public gui::ContainerSource {
public:
    explicit FakeContainers(QStringList& calls) : m_calls(calls) {}
    QVector<gui::ContainerInfo> containers;
    QString removeError;
    QVector<gui::ContainerInfo> list() override { return containers; }
    QString removeAll() override
    {
        m_calls << QStringLiteral("removeAll");
        if (removeError.isEmpty()) { containers.clear(); }
        return removeError;
    }

    // A container action is answered on the next turn of the event loop, with `actionError`;
    // without one, the container takes the state the action asks for, as the engine's would.
    QString actionError;
    void act(const QString& id, endpoint::ContainerAction action, QObject* context, Acted done) override
    {
        m_calls << QStringLiteral("%1 %2").arg(QString::fromLatin1(endpoint::containerActionVerb(action)), id);
        answerLater(context, std::move(done), [this, id, action] {
            for (auto& c : containers) {
                if (c.id != id) { continue; }
                c.state = action == endpoint::ContainerAction::Stop ? QStringLiteral("exited")
                    : action == endpoint::ContainerAction::Pause    ? QStringLiteral("paused")
                                                                    : QStringLiteral("running");
                c.status = action == endpoint::ContainerAction::Stop
                    ? QStringLiteral("Exited (0) Less than a second ago")
                    : QStringLiteral("Up Less than a second");
            }
        });
    }
    void remove(const QString& id, QObject* context, Acted done) override
    {
        m_calls << QStringLiteral("remove %1").arg(id);
        answerLater(context, std::move(done),
                    [this, id] { containers.removeIf([&id](const gui::ContainerInfo& c) { return c.id == id; }); });
    }

    // The log windows asked for, by container id; the test feeds them.
    QHash<QString, QPointer<gui::ContainerLogWindow>> logWindows;
    void followLogs(const QString& id, gui::ContainerLogWindow* window) override
    {
        m_calls << QStringLiteral("logs %1").arg(id);
        logWindows.insert(id, window);
    }

    // The samples stats() answers with, by container id, oldest first; the last one stays.
    QHash<QString, QList<endpoint::ContainerStats>> samples;
    void stats(const QString& id, QObject* context, Sampled done) override
    {
        auto& queue = samples[id];
        const endpoint::ContainerStats sample = queue.size() > 1 ? queue.takeFirst() : queue.value(0);
        const QString error = queue.isEmpty() ? QStringLiteral("HTTP 404: No such container") : QString();
        QTimer::singleShot(0, context, [sample, error, done = std::move(done)] { done(sample, error); });
    }
    // The disk usage the engine reports; removals and prunes change it as the engine would.
    endpoint::DiskUsage usage;
    void diskUsage(QObject* context, Usage done) override
    {
        QTimer::singleShot(0, context, [this, done = std::move(done)] { done(usage, actionError); });
    }
    void removeImage(const QString& id, QObject* context, Acted done) override
    {
        m_calls << QStringLiteral("remove image %1").arg(id);
        answerLater(context, std::move(done), [this, id] {
            usage.images.removeIf([&id](const endpoint::ImageUsage& i) { return i.id == id || i.tags.contains(id); });
        });
    }
    void removeVolume(const QString& name, QObject* context, Acted done) override
    {
        m_calls << QStringLiteral("remove volume %1").arg(name);
        answerLater(context, std::move(done), [this, name] {
            usage.volumes.removeIf([&name](const endpoint::VolumeUsage& v) { return v.name == name; });
        });
    }
    void prune(endpoint::Prune what, QObject* context, Pruned done) override
    {
        m_calls << QStringLiteral("prune %1").arg(static_cast<int>(what));
        answerLater(
            context, [done = std::move(done)](const QString& error) { done(error.isEmpty() ? 1000 : 0, error); },
            [this, what] {
                if (what == endpoint::Prune::DanglingImages) {
                    usage.images.removeIf([](const endpoint::ImageUsage& i) { return i.tags.isEmpty(); });
                } else if (what == endpoint::Prune::UnusedVolumes) {
                    usage.volumes.removeIf([](const endpoint::VolumeUsage& v) { return v.containers == 0; });
                }
            });
    }

private:
    void answerLater(QObject* context, Acted done, std::function<void()> change)
    {
        QTimer::singleShot(0, context, [this, done = std::move(done), change = std::move(change)] {
            if (actionError.isEmpty()) { change(); }
            done(actionError);
            if (actionError.isEmpty()) { emit changed(); }
        });
    }

    QStringList& m_calls;
};

class ScriptedPrompts final : public gui::UserPrompts {
public:
    ExistingContainersChoice answer = ExistingContainersChoice::Cancel;
    int containerQuestions = 0;
    QVector<gui::ContainerInfo> askedAbout;
    int invalidPolicyShown = 0;
    settings::AdminPolicy shownPolicy;
    QStringList errors;

    ExistingContainersChoice askAboutUnprotectedContainers(const QVector<gui::ContainerInfo>& containers) override
    {
        ++containerQuestions;
        askedAbout = containers;
        return answer;
    }
    void showInvalidAdminPolicy(const settings::AdminPolicy& policy) override
    {
        ++invalidPolicyShown;
        shownPolicy = policy;
    }
    void showError(const QString& title, const QString& message) override
    {
        errors << title + QStringLiteral(": ") + message;
    }
};

// Admin and user files in a private directory; the test process plays the administrator.
struct SettingsFiles {
    QTemporaryDir dir;
    settings::SettingsPaths paths;

    // `adminFixture`: a file under tests/data/admin, or empty for no admin file.
    explicit SettingsFiles(const std::string& adminFixture = {})
    {
        const std::filesystem::path root = dir.path().toStdString();
        paths.adminFile = root / "admin-settings.json";
        paths.userFile = root / "settings-store.json";
        paths.adminRules = ownerIsMe();
        if (!adminFixture.empty()) { writeText(paths.adminFile, readText(testData("admin/" + adminFixture)), 0644); }
    }
    [[nodiscard]] QString adminPath() const { return QString::fromStdString(paths.adminFile.string()); }
    [[nodiscard]] nlohmann::json userJson() const
    {
        if (!std::filesystem::exists(paths.userFile)) { return nlohmann::json::object(); }
        return nlohmann::json::parse(readText(paths.userFile));
    }
};

}  // namespace berth::test
