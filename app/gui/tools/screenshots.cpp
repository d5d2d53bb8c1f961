// Screenshots of Settings > General and Settings > Resources (file sharing), unlocked and locked
// by an admin file, in English and Simplified Chinese, for the docs. See resources/screenshots/README.md for the
// command.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QLabel>
#include <QPainter>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "apply_restart.h"
#include "container_source.h"
#include "setting_editor.h"
#include "settings_draft.h"
#include "settings_window.h"
#include "static_engine.h"
#include "user_prompts.h"

namespace {

using namespace berth;

// The tooltip a hover would show, painted under the control (a real tooltip is its own window).
void paintTooltip(QPixmap& shot, QWidget* window, QWidget* control)
{
    QLabel tip(control->toolTip());
    tip.setForegroundRole(QPalette::ToolTipText);
    tip.setBackgroundRole(QPalette::ToolTipBase);
    tip.setAutoFillBackground(true);
    tip.setMargin(4);
    tip.setFrameShape(QFrame::Box);
    tip.adjustSize();
    const QPoint at = control->mapTo(window, QPoint(24, control->height() + 2));
    QPainter painter(&shot);
    painter.drawPixmap(QPointF(at), tip.grab());
}

// One page of the Settings window, with the tooltip of `key`'s editor when the admin file locks it.
bool shoot(const QString& adminFile, settings::Page page, std::string_view key, const QString& outFile)
{
    QTemporaryDir dir;
    settings::SettingsPaths paths;
    paths.adminFile = adminFile.isEmpty() ? std::filesystem::path(dir.path().toStdString()) / "none.json"
                                          : std::filesystem::path(adminFile.toStdString());
    paths.userFile = std::filesystem::path(dir.path().toStdString()) / "settings-store.json";
    paths.adminRules.trustedOwner = ::geteuid();  // the example file plays a deployed one

    settings::Settings s = settings::Settings::load(paths);
    gui::StaticEngine engine;
    gui::NoContainers containers;
    gui::MessageBoxPrompts prompts;
    gui::SettingsDraft draft(s);
    gui::ApplyRestart applier(draft, engine, containers, prompts);
    gui::SettingsWindow window(draft, applier, engine);
    window.resize(900, 720);
    window.showPage(static_cast<int>(page));
    window.show();
    if (!QTest::qWaitForWindowExposed(&window)) { return false; }
    QPixmap shot = window.grab();
    gui::SettingEditor* editor = window.editor(key);
    if (editor->isLocked()) { paintTooltip(shot, &window, editor->control()); }
    if (!shot.save(outFile)) { return false; }
    std::printf("%s\n", qPrintable(outFile));
    return true;
}

}  // namespace

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser options;
    options.addHelpOption();
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Directory for the PNG files."),
                                 QStringLiteral("dir"), QStringLiteral("screenshots"));
    const QCommandLineOption admin(QStringLiteral("admin"), QStringLiteral("Admin file for the locked ECI shots."),
                                   QStringLiteral("file"),
                                   QStringLiteral(BERTH_SOURCE_DIR "/tests/data/admin/eci-locked.json"));
    const QCommandLineOption sharingAdmin(
        QStringLiteral("sharing-admin"), QStringLiteral("Admin file for the locked file-sharing shots."),
        QStringLiteral("file"), QStringLiteral(BERTH_SOURCE_DIR "/tests/data/admin/filesharing-locked.json"));
    options.addOptions({out, admin, sharingAdmin});
    options.process(app);
    QDir().mkpath(options.value(out));

    bool ok = true;
    for (const QString& locale : {QStringLiteral("en"), QStringLiteral("zh_CN")}) {
        QTranslator translator;
        if (!translator.load(QStringLiteral(":/i18n/berth_%1.qm").arg(locale))) {
            std::fprintf(stderr, "no translation for %s\n", qPrintable(locale));
            return 1;
        }
        QCoreApplication::installTranslator(&translator);
        const QString dir = options.value(out);
        const auto general = settings::Page::General;
        const auto resources = settings::Page::Resources;
        const auto eci = settings::keys::kEnhancedContainerIsolation;
        const auto sharing = settings::keys::kFileSharingDirectories;
        ok = shoot({}, general, eci, QStringLiteral("%1/settings-general-unlocked-%2.png").arg(dir, locale)) && ok;
        ok = shoot(options.value(admin), general, eci,
                   QStringLiteral("%1/settings-general-locked-%2.png").arg(dir, locale))
            && ok;
        ok = shoot({}, resources, sharing, QStringLiteral("%1/settings-resources-unlocked-%2.png").arg(dir, locale))
            && ok;
        ok = shoot(options.value(sharingAdmin), resources, sharing,
                   QStringLiteral("%1/settings-resources-locked-%2.png").arg(dir, locale))
            && ok;
        QCoreApplication::removeTranslator(&translator);
    }
    return ok ? 0 : 1;
}
